"""Charts as inline SVG, text kept as text (searchable, selectable, sharp in print).

Three kinds cover the report: horizontal rate bars with their 95 % intervals (one or two series
per row), stacked columns of items per period, and dots for waiting times.  Colours are from
the Okabe-Ito palette, chosen so the two outcomes differ for colour-blind readers and in
greyscale (dark blue against light orange); cells with n < 10 are drawn faded and hatched.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from html import escape
from typing import Any

from imrgraph.report.model import Chart
from imrgraph.report.stats import SMALL_N, Proportion

WIDTH = 760
FONT = 12
CHAR = 6.6  # average glyph width at FONT px, for layout
UPHELD = "#0072B2"  # dark blue
OVERTURNED = "#E69F00"  # light orange
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
INK = "#222"
GRID = "#ccc"


def render(chart: Chart) -> str:
    draw = {"rates": rate_bars, "stacked": stacked_columns, "dots": dot_rows}[chart.kind]
    return draw(**chart.data)


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'font-family="inherit" font-size="{FONT}">'
            f"<title>{escape(title)}</title>"
            '<defs><pattern id="small-n" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern></defs>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "",
          weight: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}"{attrs}>'
            f"{escape(text)}</text>")


def _wrap(label: str, width_chars: int) -> list[str]:
    """A long label on up to three lines, never cut mid-word and never silently shortened:
    a label longer than three lines keeps its words on the third line."""
    lines = textwrap.wrap(label, width_chars) or [""]
    return lines[:2] + [" ".join(lines[2:])] if len(lines) > 3 else lines


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def _axis(x0: float, x1: float, y: float, ticks: Sequence[float], label: str,
          height: float) -> list[str]:
    out = []
    for t in ticks:
        x = x0 + t * (x1 - x0)
        out.append(f'<line x1="{x:.1f}" y1="{y - height:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(_text(x, y + 14, _pct(t), "middle"))
    out.append(_text((x0 + x1) / 2, y + 30, label, "middle"))
    return out


def rate_bars(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]],
              axis_label: str = "overturn rate (bar) with 95 % interval (line)") -> str:
    """One row per label, one bar per series: the rate, its Wilson interval as a line, n at
    the end; n < 10 faded and hatched."""
    label_chars = max(18, min(44, max((len(s) for s in labels), default=0)))
    x0 = label_chars * CHAR + 16
    x1 = WIDTH - 86
    bar_h = 13 if len(series) == 1 else 10
    body: list[str] = []
    y = 34.0 + (18 if len(series) > 1 else 0)
    if len(series) > 1:
        lx = x0
        for colour, (name, _) in zip(SERIES, series, strict=False):
            body.append(f'<rect x="{lx:.1f}" y="22" width="12" height="12" fill="{colour}"/>')
            body.append(_text(lx + 16, 32, name))
            lx += 24 + len(name) * CHAR
    top = y
    for row, label in enumerate(labels):
        lines = _wrap(label, label_chars)
        row_h = max(len(series) * (bar_h + 3) + 8, len(lines) * 14 + 6)
        for j, line in enumerate(lines):
            body.append(_text(x0 - 8, y + 12 + 14 * j, line, "end"))
        for s, (name, cells) in enumerate(series):
            cell = cells[row]
            by = y + 3 + s * (bar_h + 3)
            if not isinstance(cell, Proportion) or cell.rate is None:
                body.append(_text(x0 + 4, by + bar_h - 2, "no items", cls="muted"))
                continue
            colour = SERIES[s % len(SERIES)]
            small = cell.small
            w = max(cell.rate * (x1 - x0), 1.5)
            fill = "url(#small-n)" if small else colour
            faded = ' opacity="0.6"' if small else ""
            body.append(f'<rect x="{x0:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" '
                        f'fill="{fill}" stroke="{colour}" stroke-width="1"{faded}>'
                        f"<title>{escape(label)} — {escape(name)}: {cell.k} of {cell.n}"
                        f"</title></rect>")
            low, high = cell.interval or (0.0, 0.0)
            cy = by + bar_h / 2
            body.append(f'<line x1="{x0 + low * (x1 - x0):.1f}" y1="{cy:.1f}" '
                        f'x2="{x0 + high * (x1 - x0):.1f}" y2="{cy:.1f}" stroke="{INK}" '
                        f'stroke-width="1.5"/>')
            for edge in (low, high):
                ex = x0 + edge * (x1 - x0)
                body.append(f'<line x1="{ex:.1f}" y1="{cy - 4:.1f}" x2="{ex:.1f}" '
                            f'y2="{cy + 4:.1f}" stroke="{INK}" stroke-width="1.5"/>')
            note = f"{cell.k}/{cell.n}" + (" †" if small else "")
            body.append(_text(x1 + 6, by + bar_h - 2, note, cls="muted" if small else ""))
        y += row_h
    body = _axis(x0, x1, y + 2, (0, 0.25, 0.5, 0.75, 1), axis_label, y - top) + body
    body.insert(0, _text(0, 14, title, weight="bold"))
    if any(isinstance(c, Proportion) and c.small for _, cells in series for c in cells):
        body.append(_text(0, y + 48, f"† fewer than {SMALL_N} items: hatched, read with care",
                          cls="muted"))
        y += 14
    return _svg(WIDTH, y + 44, title, body)


def stacked_columns(title: str, labels: Sequence[str],
                    series: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Items per period, one column per period stacked by outcome, the total on top."""
    colours = (UPHELD, OVERTURNED)
    totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = _nice_step(peak)
    top_value = step * -(-peak // step)
    x0, x1, y0, y1 = 48.0, WIDTH - 10.0, 44.0, 230.0
    slot = (x1 - x0) / max(len(labels), 1)
    bar_w = min(48.0, slot * 0.7)
    body = [_text(0, 14, title, weight="bold")]
    lx = x0
    for colour, (name, _) in zip(colours, series, strict=False):
        body.append(f'<rect x="{lx:.1f}" y="22" width="12" height="12" fill="{colour}"/>')
        body.append(_text(lx + 16, 32, name))
        lx += 24 + len(name) * CHAR
    value = 0
    while value <= top_value:
        y = y1 - value / top_value * (y1 - y0)
        body.append(f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(x0 - 6, y + 4, str(value), "end"))
        value += step
    rotate = len(labels) > 12
    for i, label in enumerate(labels):
        cx = x0 + slot * (i + 0.5)
        base = y1
        parts = []
        for colour, (name, values) in zip(colours, series, strict=False):
            h = values[i] / top_value * (y1 - y0)
            parts.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(label)} — '
                         f"{escape(name)}: {values[i]}</title></rect>")
            base -= h
        body += parts
        body.append(_text(cx, base - 4, str(totals[i]), "middle"))
        if rotate:
            body.append(f'<text x="{cx:.1f}" y="{y1 + 12:.1f}" text-anchor="end" fill="{INK}" '
                        f'transform="rotate(-45 {cx:.1f} {y1 + 12:.1f})">{escape(label)}</text>')
        else:
            body.append(_text(cx, y1 + 16, label, "middle"))
    height = y1 + (70 if rotate else 30)
    body.append(_text(x0 - 44, y0 - 8, "items", cls="muted"))
    return _svg(WIDTH, height, title, body)


def dot_rows(title: str, labels: Sequence[str],
             series: Sequence[tuple[str, Sequence[float | None]]], unit: str = "days") -> str:
    """One row per label, a dot per series on a shared scale (e.g. median and 90th percentile
    of days to decision)."""
    values = [v for _, vs in series for v in vs if v is not None]
    peak = max(values, default=0) or 1
    step = _nice_step(peak)
    top_value = step * -(-int(peak) // step)
    label_chars = max(12, max((len(s) for s in labels), default=0))
    x0, x1 = label_chars * CHAR + 16, WIDTH - 20.0
    body = [_text(0, 14, title, weight="bold")]
    shapes = ("circle", "diamond", "circle-open", "diamond-open")
    lx, ly = x0, 28.0
    for s, (name, _) in enumerate(series):
        width = 28 + len(name) * CHAR
        if lx + width > WIDTH and lx > x0:  # the legend wraps rather than running off
            lx, ly = x0, ly + 18
        body.append(_marker(shapes[s], SERIES[s], lx + 6, ly))
        body.append(_text(lx + 16, ly + 4, name))
        lx += width
    y = ly + 16
    top = y
    for i, label in enumerate(labels):
        body.append(_text(x0 - 8, y + 12, label, "end"))
        for s, (name, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            x = x0 + v / top_value * (x1 - x0)
            body.append(f"<g><title>{escape(label)} — {escape(name)}: {v:g} {unit}</title>"
                        + _marker(shapes[s], SERIES[s], x, y + 8) + "</g>")
        y += 20
    value = 0
    while value <= top_value:
        x = x0 + value / top_value * (x1 - x0)
        body.insert(1, f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                       f'stroke="{GRID}"/>')
        body.append(_text(x, y + 14, str(value), "middle"))
        value += step
    body.append(_text((x0 + x1) / 2, y + 30, unit, "middle"))
    return _svg(WIDTH, y + 40, title, body)


def _marker(shape: str, colour: str, x: float, y: float) -> str:
    fill = "none" if shape.endswith("open") else colour  # open markers never hide others
    if shape.startswith("diamond"):
        return (f'<path d="M{x:.1f} {y - 6:.1f} L{x + 6:.1f} {y:.1f} L{x:.1f} {y + 6:.1f} '
                f'L{x - 6:.1f} {y:.1f} Z" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>')
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="{colour}" '
            f'stroke-width="1.5"/>')


def _nice_step(peak: float) -> int:
    """A round grid step giving about four to eight lines up to peak."""
    step = 1
    while peak / step > 8:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= 8:
                break
    return step
