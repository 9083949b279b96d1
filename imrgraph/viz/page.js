/* imrgraph guideline-usage page: a small canvas layout, no libraries, works offline.
   Data comes from the JSON block #imr-data written by imrgraph.viz.  Counts of what is shown
   and drawn are exposed as data-* attributes of #graph so tests can check the page.

   The layout is computed once, from every node (two columns in the order imrgraph.viz gives);
   the filters, the search box and click-to-isolate only show and hide, so positions never move
   with them. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("imr-data").textContent);
  var root = document.getElementById("graph");
  var canvas = document.getElementById("canvas");
  var ctx = canvas.getContext("2d");
  var tip = document.getElementById("tooltip");
  var status = document.getElementById("status");
  var search = document.getElementById("search");
  var FONT = "12px system-ui, sans-serif", LINE = 14, LABEL_WIDTH = 300;
  var SMALL_N = DATA.small_n || 10;

  var nodes = DATA.nodes.map(function (n, i) {
    return { id: n.id, label: n.label, kind: n.kind, f: n.filters, examples: n.examples,
             index: i, x: 0, y: 0, r: 4, r0: 4, visible: false, weight: 0,
             lines: [n.label], degree0: 0, neighbours: [] };
  });
  var edges = DATA.edges.map(function (e) {
    return { a: nodes[e.source], b: nodes[e.target], f: e.filters, examples: e.examples,
             visible: false, weight: 0, rate: 0, width: 1 };
  });
  edges.forEach(function (e) {
    e.a.neighbours.push(e.b); e.b.neighbours.push(e.a); e.a.degree0++; e.b.degree0++;
  });
  var party = "any", outcome = "all", query = "", isolated = null, view = "network";
  var ticks = 0;
  var cam = { x: 0, y: 0, k: 1 }, fitMode = "labels", width = 800, height = 600, dpr = 1;
  var hover = null, frameMs = 0, hiddenLabels = 0, offScreen = 0;

  // ------------------------------------------------------------------ colours
  // The overturn-rate scale of the PNG/SVG (network.RATE_COLOURS): one hue family, lightness
  // falling with the rate, so 0% and 100% differ in greyscale and for colour-blind readers.
  function hex(c) {
    return [1, 3, 5].map(function (i) { return parseInt(c.slice(i, i + 2), 16); });
  }
  var STOPS = (DATA.rate_colours || ["#fdd49e", "#7f0000"]).map(hex);
  document.querySelectorAll(".ramp").forEach(function (el) {
    el.style.background = "linear-gradient(to right," + DATA.rate_colours.join(",") + ")";
  });
  function colour(rate) {
    var t = Math.max(0, Math.min(1, rate)) * (STOPS.length - 1), i = Math.min(Math.floor(t),
      STOPS.length - 2), u = t - i, a = STOPS[i], b = STOPS[i + 1];
    return "rgb(" + [0, 1, 2].map(function (j) {
      return Math.round(a[j] + u * (b[j] - a[j]));
    }).join(",") + ")";
  }
  // Opacity by number of items: a rate over one item is faint, over a hundred solid.
  function fade(n) { return 0.2 + 0.8 * n / (n + 5); }

  // ------------------------------------------------------------------ labels, wrapped not cut
  ctx.font = FONT;
  function wrapLabel(text) {
    var words = text.split(" "), lines = [], line = "";
    words.forEach(function (w) {
      var next = line ? line + " " + w : w;
      if (line && ctx.measureText(next).width > LABEL_WIDTH) { lines.push(line); line = w; }
      else line = next;
    });
    if (line) lines.push(line);
    return lines;
  }
  nodes.forEach(function (n) { n.lines = wrapLabel(n.label); });

  // ------------------------------------------------------------------ layout (once)
  var COLUMN_X = 300;
  var columns = [
    nodes.filter(function (n) { return n.kind === "guideline"; }),
    nodes.filter(function (n) { return n.kind !== "guideline"; }),
  ];
  var maxItems0 = 1;
  nodes.forEach(function (n) { maxItems0 = Math.max(maxItems0, n.f.any.all[0]); });
  nodes.forEach(function (n) { n.r0 = 4 + 14 * Math.sqrt(n.f.any.all[0] / maxItems0); });
  function half(n) { return Math.max(n.r0 + 2, n.lines.length * LINE / 2 + 1); }
  // Each column in the order imrgraph.viz gives (a weighted barycentre order that cuts edge
  // crossings), every node given its label's height, the shorter column spread over the
  // height of the taller one: no two labels of a column overlap at scale 1, and positions
  // depend only on the data, never on the filters.
  var extents = columns.map(function (column) {
    return column.reduce(function (sum, n) { return sum + 2 * half(n); }, 0);
  });
  var tallest = Math.max.apply(null, extents.concat([0]));
  columns.forEach(function (column, side) {
    var spare = column.length > 1 ? (tallest - extents[side]) / (column.length - 1) : 0;
    var y = column.length === 1 ? (tallest - 2 * half(column[0])) / 2 : 0;
    column.forEach(function (n) {
      n.x = side === 0 ? -COLUMN_X : COLUMN_X;
      y += half(n); n.y = y - tallest / 2; y += half(n) + spare;
    });
  });

  // ------------------------------------------------------------------ what is shown
  function matches(n) { return n.label.toLowerCase().indexOf(query) >= 0; }

  function applyFilter() {
    var maxNode = 1, maxEdge = 1, visibleNodes = 0, visibleEdges = 0, found = 0;
    var focus = null;  // nodes kept by the search box or the isolated node, with neighbours
    if (isolated) {
      focus = new Set([isolated].concat(isolated.neighbours));
    } else if (query) {
      focus = new Set();
      nodes.forEach(function (n) {
        if (matches(n)) { found++; focus.add(n); n.neighbours.forEach(function (m) { focus.add(m); }); }
      });
    }
    nodes.forEach(function (n) { n.visible = false; n.weight = n.f[party][outcome][0]; });
    edges.forEach(function (e) {
      var counts = e.f[party];
      e.weight = counts[outcome][0];
      e.visible = e.weight > 0 && (!focus || (focus.has(e.a) && focus.has(e.b) &&
        (isolated ? (e.a === isolated || e.b === isolated) : (matches(e.a) || matches(e.b)))));
      // Colour by what is shown: the share overturned of all items, or, when only upheld or
      // only overturned items are shown, that outcome's end of the scale.
      e.rate = outcome === "overturned" ? 1 : outcome === "upheld" ? 0
        : counts.all[0] > 0 ? counts.overturned[0] / counts.all[0] : 0;
      if (e.visible) {
        e.a.visible = true; e.b.visible = true; visibleEdges++;
        if (e.weight > maxEdge) maxEdge = e.weight;
      }
    });
    nodes.forEach(function (n) {
      if (n.visible) { visibleNodes++; if (n.weight > maxNode) maxNode = n.weight; }
    });
    nodes.forEach(function (n) { n.r = 3 + 13 * Math.sqrt(n.weight / maxNode); });
    edges.forEach(function (e) { e.width = 1 + 7 * Math.sqrt(e.weight / maxEdge); });
    root.dataset.party = party;
    root.dataset.outcome = outcome;
    root.dataset.query = query;
    root.dataset.isolated = isolated ? isolated.label : "";
    root.dataset.matches = String(found);
    root.dataset.visibleNodes = String(visibleNodes);
    root.dataset.visibleEdges = String(visibleEdges);
    document.getElementById("colour-legend").textContent = outcome === "all"
      ? "edge colour: share of its items overturned"
      : "edge colour: " + outcome + " items only";
    updateStatus();
    if (view === "losses") renderLosses();
  }

  function updateStatus() {
    var shown = nodes.filter(function (n) { return n.visible; }).length;
    var edgesShown = edges.filter(function (e) { return e.visible; }).length;
    var text = nodes.length === 0 ? "No guideline citations in this graph."
      : shown + " nodes and " + edgesShown + " edges shown";
    if (isolated) text += " (neighbours of " + isolated.label + ")";
    else if (query) text += " (" + root.dataset.matches + " matching \u201c" + query + "\u201d)";
    if (offScreen > 0) {
      text += "; " + offScreen + " more out of view: drag or wheel, double-click for the whole";
    }
    if (hiddenLabels > 0) {
      text += "; " + hiddenLabels + " labels hidden at this zoom: zoom in (wheel) or hover";
    }
    status.textContent = text;
  }

  // ------------------------------------------------------------------ drawing

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

  // Fit "labels": the scale at which every label has room (1), narrower if the width asks,
  // the top of the columns at the top; fit "all": everything in view (labels may then hide).
  function fit() {
    var minY = Infinity, maxY = -Infinity;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      minY = Math.min(minY, n.y - half(n)); maxY = Math.max(maxY, n.y + half(n));
    });
    if (minY === Infinity) { cam = { x: width / 2, y: height / 2, k: 1 }; return; }
    var margin = LABEL_WIDTH + 40;
    var kw = (width - 2 * margin) / (2 * COLUMN_X + 40);
    var kh = (height - 30) / Math.max(1, maxY - minY);
    var k = fitMode === "all" ? Math.min(kw, kh, 1.3) : Math.min(Math.max(kh, 1), kw, 1.3);
    cam.k = Math.max(k, 0.02);
    cam.x = width / 2;
    cam.y = cam.k * (maxY - minY) <= height - 30 ? height / 2 - cam.k * (minY + maxY) / 2
      : 15 - cam.k * minY;
  }

  function draw() {
    if (fitMode) fit();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.setTransform(dpr * cam.k, 0, 0, dpr * cam.k, dpr * cam.x, dpr * cam.y);
    var drawnEdges = 0, drawnNodes = 0;
    edges.forEach(function (e) {
      if (!e.visible) return;
      ctx.globalAlpha = e === hover ? 1 : fade(e.weight);
      ctx.strokeStyle = colour(e.rate);
      ctx.lineWidth = (e === hover ? e.width + 3 : e.width) / cam.k;
      // control points at a third and two thirds of the way: x moves evenly along the curve
      // and y eases as y = a + (b - a)(3t² - 2t³), as in the PNG (and in find())
      var dx = (e.b.x - e.a.x) / 3;
      ctx.beginPath(); ctx.moveTo(e.a.x, e.a.y);
      ctx.bezierCurveTo(e.a.x + dx, e.a.y, e.b.x - dx, e.b.y, e.b.x, e.b.y); ctx.stroke();
      drawnEdges++;
    });
    ctx.globalAlpha = 1;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      ctx.fillStyle = n.kind === "guideline" ? "#1b9e77" : "#7570b3";
      ctx.strokeStyle = n === hover || n === isolated ? "#000" : "#fff";
      ctx.lineWidth = 1.5 / cam.k;
      ctx.beginPath();
      var r = Math.max(n.r, 2 / cam.k);
      if (n.kind === "guideline") ctx.arc(n.x, n.y, r, 0, 2 * Math.PI);
      else ctx.rect(n.x - r, n.y - r, 2 * r, 2 * r);
      ctx.fill(); ctx.stroke();
      drawnNodes++;
    });
    // Labels in screen space, whole and wrapped, biggest nodes first; one that would overlap a
    // label already written on its side is left for hover or zoom, and counted in the status.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    var shown = nodes.filter(function (n) { return n.visible; });
    shown.sort(function (p, q) { return q.weight - p.weight || p.index - q.index; });
    var placed = [[], []], labelled = 0;
    shown.forEach(function (n) {
      var sx = cam.x + cam.k * n.x, sy = cam.y + cam.k * n.y;
      var left = n.kind === "guideline", side = left ? 0 : 1;
      var h = n.lines.length * LINE, top = sy - h / 2, bottom = sy + h / 2;
      if (bottom < 0 || top > height) return;  // off screen: not hidden, just not in view
      if (placed[side].some(function (s) { return top < s[1] - 1 && bottom > s[0] + 1; })) return;
      placed[side].push([top, bottom]);
      labelled++;
      ctx.textAlign = left ? "right" : "left";
      var offset = Math.max(n.r * cam.k, 2) + 5, x = left ? sx - offset : sx + offset;
      n.lines.forEach(function (line, i) {
        var y = top + LINE / 2 + i * LINE;
        ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)";
        ctx.strokeText(line, x, y);
        ctx.fillStyle = "#222";
        ctx.fillText(line, x, y);
      });
    });
    var onScreen = shown.filter(function (n) {
      var sy = cam.y + cam.k * n.y, h = n.lines.length * LINE / 2;
      return sy + h >= 0 && sy - h <= height;
    }).length;
    hiddenLabels = onScreen - labelled;
    offScreen = shown.length - onScreen;
    root.dataset.labels = String(labelled);
    root.dataset.hiddenLabels = String(hiddenLabels);
    root.dataset.drawnNodes = String(drawnNodes);
    root.dataset.drawnEdges = String(drawnEdges);
    updateStatus();
  }

  function frame() {
    var start = performance.now();
    draw();
    ticks++;
    frameMs = performance.now() - start;
    root.dataset.frameMs = frameMs.toFixed(1);
    root.dataset.ticks = String(ticks);
    root.dataset.settled = "true";
  }

  // ------------------------------------------------------------------ the losses matrix
  // Guidelines (rows) x treatment categories (columns): "k/n", k of the n items citing the
  // guideline (by the chosen party) for the category overturned; colour k/n; n < SMALL_N pale.
  var rank = DATA.rank || "overturned";
  var RANK_TEXT = { volume: "most items", overturned: "most items overturned",
                    rate: "highest overturn rate (fewer than " + SMALL_N + " items last)" };
  function rankKey(n, k) {
    if (rank === "volume") return [-n, -k];
    if (rank === "overturned") return [-k, -n];
    return [n < SMALL_N ? 1 : 0, -(n ? k / n : 0), -n];
  }
  function compare(a, b) {
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1; }
    return 0;
  }
  function cellStyle(td, n, k) {
    td.textContent = k + "/" + n;
    td.style.background = colour(n ? k / n : 0);
    td.style.opacity = n >= SMALL_N ? "1" : "0.55";
    if (n < SMALL_N) td.className = "small";
    if (n >= SMALL_N && k / n > 0.55) td.style.color = "#fff";
    td.title = k + " of " + n + " items overturned" + (n < SMALL_N ? " (few items)" : "");
  }
  function renderLosses() {
    var top = DATA.top > 0 ? DATA.top : Infinity;
    var rows = columns[0].filter(function (g) {
      return g.f[party].all[0] > 0 && (!query || matches(g));
    });
    rows.sort(function (p, q) {
      return compare(rankKey(p.f[party].all[0], p.f[party].overturned[0]),
                     rankKey(q.f[party].all[0], q.f[party].overturned[0])) ||
        (p.label < q.label ? -1 : p.label > q.label ? 1 : 0);
    });
    var total = rows.length;
    rows = rows.slice(0, top);
    var cell = {}, volume = new Map();
    edges.forEach(function (e) {
      var n = e.f[party].all[0];
      if (!n || rows.indexOf(e.a) < 0) return;
      cell[e.a.index + ":" + e.b.index] = [n, e.f[party].overturned[0]];
      volume.set(e.b, (volume.get(e.b) || 0) + n);
    });
    var cols = Array.from(volume.keys()).sort(function (p, q) {
      return volume.get(q) - volume.get(p) || (p.label < q.label ? -1 : 1);
    }).slice(0, top);
    var table = document.getElementById("losses-table");
    var head = document.createElement("thead"), tr = document.createElement("tr");
    tr.appendChild(document.createElement("th"));
    cols.concat([null]).forEach(function (t) {
      var th = document.createElement("th");
      th.textContent = t ? t.label : "all categories";
      tr.appendChild(th);
    });
    head.appendChild(tr);
    var body = document.createElement("tbody");
    rows.forEach(function (g) {
      var row = document.createElement("tr"), th = document.createElement("th");
      th.textContent = g.label; row.appendChild(th);
      cols.forEach(function (t) {
        var td = document.createElement("td"), c = cell[g.index + ":" + t.index];
        if (c) cellStyle(td, c[0], c[1]);
        row.appendChild(td);
      });
      var all = document.createElement("td");
      cellStyle(all, g.f[party].all[0], g.f[party].overturned[0]);
      all.className += " total";
      row.appendChild(all);
      body.appendChild(row);
    });
    table.replaceChildren(head, body);
    var who = { any: "any party", ca: "the claims administrator", er: "the expert reviewer" };
    document.getElementById("losses-caption").textContent =
      "Items overturned / items citing the guideline (cited by " + who[party] + "): " +
      rows.length + " of " + total + " guidelines, those with " + RANK_TEXT[rank] + "; " +
      cols.length + " treatment categories with most items. Pale italic: fewer than " +
      SMALL_N + " items.";
    document.querySelectorAll("button[data-rank]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.rank === rank));
    });
    var losses = document.getElementById("losses");
    losses.dataset.rows = String(rows.length);
    losses.dataset.columns = String(cols.length);
    losses.dataset.rank = rank;
    losses.dataset.first = rows.length ? rows[0].label : "";
  }

  // ------------------------------------------------------------------ interaction

  function toWorld(px, py) { return [(px - cam.x) / cam.k, (py - cam.y) / cam.k]; }

  function find(px, py) {
    var w = toWorld(px, py), best = null, bestD = Infinity;
    nodes.forEach(function (n) {
      if (!n.visible) return;
      var d = Math.hypot(n.x - w[0], n.y - w[1]);
      if (d < n.r + 4 / cam.k && d < bestD) { best = n; bestD = d; }
    });
    if (best) return best;
    var tol = 5 / cam.k;
    edges.forEach(function (e) {
      if (!e.visible) return;
      var ax = e.a.x, ay = e.a.y, bx = e.b.x, by = e.b.y;
      // the curve's height at the pointer's x (a cubic ease between the two ends)
      var t = (w[0] - ax) / (bx - ax);
      if (t < 0 || t > 1) return;
      var y = ay + (by - ay) * (3 * t * t - 2 * t * t * t);
      var d = Math.abs(y - w[1]);
      if (d < tol + e.width / 2 / cam.k && d < bestD) { best = e; bestD = d; }
    });
    return best;
  }

  function lines(thing) {
    var c = thing.f[party], out = [];
    var who = { any: "all parties", ca: "claims administrator", er: "expert reviewer" }[party];
    if (thing.kind) {
      out.push(thing.label);
      out.push(thing.kind === "guideline" ? "guideline (" + DATA.level + " level)"
                                          : "treatment category");
    } else {
      out.push(thing.a.label + " \u2014 " + thing.b.label);
    }
    out.push("items: " + c.all[0] + " \u2014 upheld " + c.upheld[0] +
             ", overturned " + c.overturned[0] + " (cited by " + who + ")");
    if (c.all[0] > 0) {
      out.push("overturn rate: " + Math.round(100 * c.overturned[0] / c.all[0]) + "%" +
               (c.all[0] < SMALL_N ? " (few items)" : ""));
    }
    out.push("citations: " + c.all[1]);
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
    tip.style.left = Math.max(0, Math.min(px + 14, box.width - 330)) + "px";
    tip.style.top = Math.max(0, Math.min(py + 14, box.height - 140)) + "px";
  }

  var dragging = null;
  canvas.addEventListener("mousemove", function (ev) {
    var rect = canvas.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    if (dragging) {
      if (Math.abs(px - dragging.px) + Math.abs(py - dragging.py) > 3) dragging.moved = true;
      cam.x = dragging.vx + (px - dragging.px); cam.y = dragging.vy + (py - dragging.py);
      fitMode = null; draw(); return;
    }
    var found = find(px, py);
    if (found !== hover) { hover = found; draw(); }
    showTip(found, px, py);
    root.dataset.hover = !found ? "" :
      found.kind ? found.label : found.a.label + " | " + found.b.label;
  });
  canvas.addEventListener("mouseleave", function () {
    hover = null; tip.hidden = true;
    draw();
  });
  canvas.addEventListener("mousedown", function (ev) {
    var rect = canvas.getBoundingClientRect();
    dragging = { px: ev.clientX - rect.left, py: ev.clientY - rect.top, vx: cam.x, vy: cam.y,
                 moved: false };
  });
  window.addEventListener("mouseup", function (ev) {
    var was = dragging;
    dragging = null;
    if (!was || was.moved || ev.target !== canvas) return;
    // A click (no drag): isolate the node under the pointer, or show everything again.
    var found = find(was.px, was.py);
    isolate(found && found.kind && found !== isolated ? found : null);
  });
  function isolate(node) {
    isolated = node;
    applyFilter(); draw();
  }
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var rect = canvas.getBoundingClientRect();
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    var w = toWorld(px, py), k = cam.k * Math.exp(-ev.deltaY * 0.0015);
    cam.k = Math.max(0.01, Math.min(20, k));
    cam.x = px - w[0] * cam.k; cam.y = py - w[1] * cam.k;
    fitMode = null; draw();
  }, { passive: false });
  canvas.addEventListener("dblclick", function () {
    fitMode = fitMode === "all" ? "labels" : "all"; draw();
  });
  window.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && isolated) isolate(null);
  });

  function press(selector, button) {
    document.querySelectorAll(selector).forEach(function (b) {
      b.setAttribute("aria-pressed", String(b === button));
    });
  }
  document.querySelectorAll("button[data-party]").forEach(function (button) {
    button.addEventListener("click", function () {
      party = button.dataset.party; press("button[data-party]", button);
      applyFilter(); draw();
    });
  });
  document.querySelectorAll("button[data-outcome]").forEach(function (button) {
    button.addEventListener("click", function () {
      outcome = button.dataset.outcome; press("button[data-outcome]", button);
      applyFilter(); draw();
    });
  });
  document.querySelectorAll("button[data-rank]").forEach(function (button) {
    button.addEventListener("click", function () { rank = button.dataset.rank; renderLosses(); });
  });
  document.querySelectorAll("button[data-view]").forEach(function (button) {
    button.addEventListener("click", function () {
      view = button.dataset.view; press("button[data-view]", button);
      root.hidden = view !== "network";
      document.getElementById("losses").hidden = view !== "losses";
      document.querySelectorAll("button[data-outcome]").forEach(function (b) {
        b.disabled = view !== "network";
      });
      if (view === "losses") renderLosses(); else { resize(); draw(); }
    });
  });
  search.addEventListener("input", function () {
    query = search.value.trim().toLowerCase();
    isolated = null;
    applyFilter(); draw();
  });
  window.addEventListener("resize", function () { resize(); draw(); });

  // For tests and scripting: where each shown node is drawn, in CSS pixels of the canvas.
  window.imrgraphViz = {
    positions: function () {
      return nodes.filter(function (n) { return n.visible; }).map(function (n) {
        return { id: n.id, label: n.label, kind: n.kind,
                 x: cam.x + cam.k * n.x, y: cam.y + cam.k * n.y, worldY: n.y };
      });
    },
    fit: function (mode) { fitMode = mode; draw(); },
  };

  resize();
  applyFilter();
  window.requestAnimationFrame(frame);
})();
