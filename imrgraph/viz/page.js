/* imrgraph guideline-usage page: a small canvas layout, no libraries, works offline.
   Data comes from the JSON block #imr-data written by imrgraph.viz.  Counts of what is shown
   and drawn are exposed as data-* attributes of #graph so tests can check the page. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("imr-data").textContent);
  var root = document.getElementById("graph");
  var canvas = document.getElementById("canvas");
  var ctx = canvas.getContext("2d");
  var tip = document.getElementById("tooltip");
  var status = document.getElementById("status");

  var nodes = DATA.nodes.map(function (n, i) {
    return { id: n.id, label: n.label, kind: n.kind, f: n.filters, examples: n.examples,
             index: i, x: 0, y: 0, vx: 0, vy: 0, r: 4, visible: false, weight: 0 };
  });
  var edges = DATA.edges.map(function (e) {
    return { a: nodes[e.source], b: nodes[e.target], f: e.filters, examples: e.examples,
             visible: false, weight: 0, rate: 0, width: 1 };
  });
  var party = "any", outcome = "all";
  var alpha = 1, ALPHA_MIN = 0.01, DECAY = 0.985, settled = false, ticks = 0;
  var view = { x: 0, y: 0, k: 1 }, autoFit = true, width = 800, height = 600, dpr = 1;
  var hover = null, frameMs = 0, loopRunning = false;

  // Start from a deterministic order: each side sorted by weight, spread around 0.
  var SPACING = 16, COLUMN_X = 300;
  var columns = [
    nodes.filter(function (n) { return n.kind === "guideline"; }),
    nodes.filter(function (n) { return n.kind !== "guideline"; }),
  ];
  columns.forEach(function (column, side) {
    column.forEach(function (n, i) {
      n.x = side === 0 ? -COLUMN_X : COLUMN_X;
      n.y = (i - column.length / 2) * SPACING;
    });
  });
  // Diverging blue (0: upheld) - grey - red (1: overturned); the same stops as matplotlib's
  // "coolwarm", used for the static pictures too.
  var STOPS = [[0, [59, 76, 192]], [0.5, [221, 221, 221]], [1, [180, 4, 38]]];
  function colour(rate) {
    for (var s = 1; s < STOPS.length; s++) {
      if (rate <= STOPS[s][0]) {
        var t = (rate - STOPS[s - 1][0]) / (STOPS[s][0] - STOPS[s - 1][0]);
        var a = STOPS[s - 1][1], b = STOPS[s][1];
        return "rgb(" + [0, 1, 2].map(function (j) {
          return Math.round(a[j] + t * (b[j] - a[j]));
        }).join(",") + ")";
      }
    }
    return "rgb(180,4,38)";
  }

  function applyFilter() {
    var maxNode = 1, maxEdge = 1, visibleNodes = 0, visibleEdges = 0;
    nodes.forEach(function (n) {
      n.visible = false; n.degree = 0; n.weight = n.f[party][outcome][1];
    });
    edges.forEach(function (e) {
      var counts = e.f[party];
      e.weight = counts[outcome][0];
      e.visible = e.weight > 0;
      e.rate = counts.all[0] > 0 ? counts.overturned[0] / counts.all[0] : 0;
      if (e.visible) {
        e.a.visible = true; e.b.visible = true; e.a.degree++; e.b.degree++; visibleEdges++;
        if (e.weight > maxEdge) maxEdge = e.weight;
      }
    });
    nodes.forEach(function (n) {
      if (n.visible) { visibleNodes++; if (n.weight > maxNode) maxNode = n.weight; }
    });
    nodes.forEach(function (n) { n.r = 4 + 14 * Math.sqrt(n.weight / maxNode); });
    edges.forEach(function (e) {
      e.width = 1 + 7 * Math.sqrt(e.weight / maxEdge);
      e.strength = 0.3 + 0.7 * e.weight / maxEdge;
    });
    root.dataset.party = party;
    root.dataset.outcome = outcome;
    root.dataset.visibleNodes = String(visibleNodes);
    root.dataset.visibleEdges = String(visibleEdges);
    status.textContent = nodes.length === 0 ? "No guideline citations in this graph."
      : visibleNodes + " nodes and " + visibleEdges + " edges shown";
  }

  // One step of the simulation.  Guidelines keep to a left column and treatment categories to a
  // right one; along a column, springs pull the two ends of each edge to the same height (a
  // weighted barycentre) and a sweep keeps neighbours at least a label's height apart, so the
  // layout is readable, near-linear in size and comes to rest.
  function tick() {
    edges.forEach(function (e) {
      if (!e.visible) return;
      var f = (e.b.y - e.a.y) * 0.5 * alpha * e.strength;
      e.a.vy += f / e.a.degree; e.b.vy -= f / e.b.degree;
    });
    columns.forEach(function (column) {
      var shown = column.filter(function (n) { return n.visible; });
      shown.forEach(function (n) {
        n.vy -= n.y * 0.002 * alpha;
        n.vy *= 0.55;
        n.y += n.vy;
      });
      shown.sort(function (p, q) { return p.y - q.y || p.index - q.index; });
      for (var pass = 0; pass < 2; pass++) {
        for (var i = 1; i < shown.length; i++) {
          var p = shown[i - 1], q = shown[i], gap = Math.max(p.r + q.r + 4, SPACING);
          var overlap = p.y + gap - q.y;
          if (overlap > 0) { p.y -= overlap / 2; q.y += overlap / 2; }
        }
      }
    });
    alpha *= DECAY;
    ticks++;
  }

  function resize() {
    var rect = canvas.parentElement.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    width = Math.max(300, rect.width);
    height = Math.max(300, rect.height);
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
  }

  function fit() {
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      minX = Math.min(minX, n.x - n.r); maxX = Math.max(maxX, n.x + n.r);
      minY = Math.min(minY, n.y - n.r); maxY = Math.max(maxY, n.y + n.r);
    });
    if (minX === Infinity) { view = { x: width / 2, y: height / 2, k: 1 }; return; }
    var margin = 260; // room for the labels beside each column
    var k = Math.min((width - 2 * margin) / Math.max(1, maxX - minX),
                     (height - 40) / Math.max(1, maxY - minY), 1.3);
    k = Math.max(k, 0.02);
    view.k = k;
    view.x = width / 2 - k * (minX + maxX) / 2;
    view.y = height / 2 - k * (minY + maxY) / 2;
  }

  function truncate(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }

  function draw() {
    if (autoFit) fit();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.x, dpr * view.y);
    var drawnEdges = 0, drawnNodes = 0;
    ctx.globalAlpha = 0.75;
    edges.forEach(function (e) {
      if (!e.visible) return;
      ctx.strokeStyle = colour(e.rate);
      ctx.lineWidth = (e === hover ? e.width + 3 : e.width) / view.k;
      ctx.beginPath(); ctx.moveTo(e.a.x, e.a.y); ctx.lineTo(e.b.x, e.b.y); ctx.stroke();
      drawnEdges++;
    });
    ctx.globalAlpha = 1;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      ctx.fillStyle = n.kind === "guideline" ? "#1b9e77" : "#7570b3";
      ctx.strokeStyle = n === hover ? "#000" : "#fff";
      ctx.lineWidth = 1.5 / view.k;
      ctx.beginPath();
      var r = Math.max(n.r, 2 / view.k);
      if (n.kind === "guideline") ctx.arc(n.x, n.y, r, 0, 2 * Math.PI);
      else ctx.rect(n.x - r, n.y - r, 2 * r, 2 * r);
      ctx.fill(); ctx.stroke();
      drawnNodes++;
    });
    // Labels in screen space, biggest nodes first, skipping any that would overlap one already
    // written on the same side: every label shown is legible.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    var shown = nodes.filter(function (n) { return n.visible; });
    shown.sort(function (p, q) { return q.weight - p.weight || p.index - q.index; });
    var placed = [[], []], labelled = 0;
    for (var i = 0; i < shown.length && labelled < 200; i++) {
      var n = shown[i], sx = view.x + view.k * n.x, sy = view.y + view.k * n.y;
      var left = n.kind === "guideline", side = left ? 0 : 1;
      if (placed[side].some(function (y) { return Math.abs(y - sy) < 13; })) continue;
      placed[side].push(sy);
      labelled++;
      ctx.textAlign = left ? "right" : "left";
      var text = truncate(n.label, 38), offset = Math.max(n.r * view.k, 2) + 5;
      ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.strokeText(text, left ? sx - offset : sx + offset, sy);
      ctx.fillStyle = "#222";
      ctx.fillText(text, left ? sx - offset : sx + offset, sy);
    }
    root.dataset.labels = String(labelled);
    root.dataset.drawnNodes = String(drawnNodes);
    root.dataset.drawnEdges = String(drawnEdges);
  }

  function frame() {
    var start = performance.now();
    // Several steps per frame while the budget allows, so large graphs settle quickly.
    do { tick(); } while (alpha >= ALPHA_MIN && performance.now() - start < 12);
    draw();
    frameMs = 0.8 * frameMs + 0.2 * (performance.now() - start);
    root.dataset.frameMs = frameMs.toFixed(1);
    root.dataset.ticks = String(ticks);
    if (alpha >= ALPHA_MIN) {
      window.requestAnimationFrame(frame);
    } else {
      loopRunning = false;
      settled = true;
      root.dataset.settled = "true";
    }
  }

  function restart(heat) {
    alpha = Math.max(alpha, heat);
    settled = false;
    root.dataset.settled = "false";
    if (!loopRunning) { loopRunning = true; window.requestAnimationFrame(frame); }
  }

  // ------------------------------------------------------------------ interaction

  function toWorld(px, py) { return [(px - view.x) / view.k, (py - view.y) / view.k]; }

  function find(px, py) {
    var w = toWorld(px, py), best = null, bestD = Infinity;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      var d = Math.hypot(n.x - w[0], n.y - w[1]);
      if (d < n.r + 4 / view.k && d < bestD) { best = n; bestD = d; }
    });
    if (best) return best;
    var tol = 5 / view.k;
    edges.forEach(function (e) {
      if (!e.visible) return;
      var ax = e.a.x, ay = e.a.y, bx = e.b.x, by = e.b.y;
      var dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy || 1;
      var t = Math.max(0, Math.min(1, ((w[0] - ax) * dx + (w[1] - ay) * dy) / len2));
      var d = Math.hypot(ax + t * dx - w[0], ay + t * dy - w[1]);
      if (d < tol + e.width / 2 / view.k && d < bestD) { best = e; bestD = d; }
    });
    return best;
  }

  function lines(thing) {
    var c = thing.f[party], out = [];
    var who = { any: "all parties", ca: "claims administrator", er: "expert reviewer" }[party];
    if (thing.kind) {
      out.push(thing.label);
      out.push(thing.kind === "guideline" ? "guideline (" + DATA.level + ")"
                                          : "treatment category");
    } else {
      out.push(thing.a.label + " \u2014 " + thing.b.label);
    }
    out.push("citations (" + who + "): " + c.all[1]);
    out.push("items: " + c.all[0] + " \u2014 upheld " + c.upheld[0] +
             ", overturned " + c.overturned[0]);
    if (c.all[0] > 0) {
      out.push("overturn rate: " + Math.round(100 * c.overturned[0] / c.all[0]) + "%");
    }
    if (thing.examples && thing.examples.length) out.push("e.g. " + thing.examples.join(", "));
    return out;
  }

  function showTip(thing, px, py) {
    if (!thing) { tip.hidden = true; return; }
    tip.replaceChildren.apply(tip, lines(thing).map(function (text, i) {
      var div = document.createElement("div");
      div.textContent = text;
      if (i === 0) div.className = "tip-title";
      return div;
    }));
    tip.hidden = false;
    var box = canvas.parentElement.getBoundingClientRect();
    tip.style.left = Math.min(px + 14, box.width - 320) + "px";
    tip.style.top = Math.min(py + 14, box.height - 120) + "px";
  }

  var dragging = null;
  canvas.addEventListener("mousemove", function (ev) {
    var rect = canvas.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    if (dragging) {
      view.x = dragging.vx + (px - dragging.px); view.y = dragging.vy + (py - dragging.py);
      autoFit = false; draw(); return;
    }
    var found = find(px, py);
    if (found !== hover) { hover = found; if (!loopRunning) draw(); }
    showTip(found, px, py);
    root.dataset.hover = !found ? "" :
      found.kind ? found.label : found.a.label + " | " + found.b.label;
  });
  canvas.addEventListener("mouseleave", function () {
    hover = null; tip.hidden = true;
    if (!loopRunning) draw();
  });
  canvas.addEventListener("mousedown", function (ev) {
    var rect = canvas.getBoundingClientRect();
    dragging = { px: ev.clientX - rect.left, py: ev.clientY - rect.top, vx: view.x, vy: view.y };
  });
  window.addEventListener("mouseup", function () { dragging = null; });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var rect = canvas.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    var w = toWorld(px, py), k = view.k * Math.exp(-ev.deltaY * 0.0015);
    view.k = Math.max(0.01, Math.min(20, k));
    view.x = px - w[0] * view.k; view.y = py - w[1] * view.k;
    autoFit = false; draw();
  }, { passive: false });
  canvas.addEventListener("dblclick", function () { autoFit = true; draw(); });

  document.querySelectorAll("button[data-party]").forEach(function (button) {
    button.addEventListener("click", function () {
      party = button.dataset.party;
      document.querySelectorAll("button[data-party]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      applyFilter(); restart(0.3); draw();
    });
  });
  document.querySelectorAll("button[data-outcome]").forEach(function (button) {
    button.addEventListener("click", function () {
      outcome = button.dataset.outcome;
      document.querySelectorAll("button[data-outcome]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      applyFilter(); restart(0.3); draw();
    });
  });
  window.addEventListener("resize", function () { resize(); draw(); });

  // For tests and scripting: where each shown node is drawn, in CSS pixels of the canvas.
  window.imrgraphViz = {
    positions: function () {
      return nodes.filter(function (n) { return n.visible; }).map(function (n) {
        return { id: n.id, label: n.label, kind: n.kind,
                 x: view.x + view.k * n.x, y: view.y + view.k * n.y };
      });
    },
  };

  resize();
  applyFilter();
  restart(1);
})();
