"""A trace's sequence diagram drawn as standalone SVG (no JavaScript, no fonts, no network).

Layout: one vertical lifeline per actor (in order of first appearance), then a text column.
Each step is a marker on its actor's lifeline, joined by a thin rule to its text:
``n. actor  step → next`` with the kernel function and the variables it changed (and the
user views) below. The violating step's row is shaded red; a lasso's cycle is bracketed.
Built from :func:`checker.trace.text.step_rows`, the same rows as the terminal view.
"""

from __future__ import annotations

import textwrap
from html import escape
from typing import TYPE_CHECKING

from checker.result import Trace
from checker.trace.itf import trace_actors, verdict_line
from checker.trace.text import step_rows, why_lines

if TYPE_CHECKING:
    from checker.trace.views import View

LANE = 118  # px between lifelines
TOP = 56  # px above the first row (actor boxes)
LINE = 14  # px per text line
CHAR = 6.4  # px per character at 11 px sans-serif, a safe over-estimate
WRAP = 96  # characters per detail line
COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]


def _t(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> str:
    c = f' class="{cls}"' if cls else ""
    a = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{x:.0f}" y="{y:.0f}"{c}{a}>{escape(text)}</text>'


def trace_to_svg(trace: Trace, views: list[View] | None = None, title: str = "") -> str:
    """The SVG document (a string starting with ``<svg``) for ``trace``."""
    rows = step_rows(trace, views)
    actors = trace_actors(trace) or ["system"]
    lane = {a: k for k, a in enumerate(actors)}
    x_of = {a: 20 + LANE * k + LANE / 2 for a, k in lane.items()}
    text_x = 20 + LANE * len(actors) + 10
    body: list[tuple[str, list[str], str]] = []  # (headline, detail lines, actor)
    init_detail = textwrap.wrap(rows[0]["changes"], WRAP)
    if rows[0].get("views"):
        init_detail.append("▸ " + rows[0]["views"])
    body.append(("0. initial state", init_detail, ""))
    for k, (t, r) in enumerate(zip(trace.steps, rows[1:]), 1):
        detail = [t.function] + textwrap.wrap(r["changes"], WRAP)
        if r.get("views"):
            detail += textwrap.wrap("▸ " + r["views"], WRAP)
        body.append((f"{k}. {t.actor}  {r['step'].replace('loop starts ↻ ', '')}", detail, t.actor))
    if trace.failing_step is not None:
        ft = trace.failing_step
        body.append((f"✗ next: {ft.actor}  {ft.label} fails", [ft.function] + textwrap.wrap(trace.message, WRAP),
                     ft.actor))
    why = why_lines(trace)
    why_rows = textwrap.wrap(why[0], WRAP) if why else []  # the headline: failing clause and its values
    widest = max([max(len(h), *(len(d) for d in ds)) if ds else len(h) for h, ds, _ in body]
                 + [len(r) + 2 for r in why_rows])
    width = int(text_x + widest * CHAR + 30)
    parts: list[str] = []
    bg: list[str] = []  # row backgrounds, drawn under the lifelines
    y = TOP
    n = len(trace.steps)
    row_tops: list[float] = []
    for k, (head, detail, actor) in enumerate(body):
        h = LINE * (1 + len(detail)) + 10
        row_tops.append(y)
        bad = (k == n and trace.kind in ("safety", "deadlock") and trace.loop is None) or (
            trace.failing_step is not None and k == len(body) - 1)
        if bad:
            bg.append(f'<rect x="4" y="{y - 2:.0f}" width="{width - 8}" height="{h:.0f}" class="bad"/>')
        elif k % 2 == 0:
            bg.append(f'<rect x="4" y="{y - 2:.0f}" width="{width - 8}" height="{h:.0f}" class="band"/>')
        cy = y + LINE * 0.75
        if actor:
            ax = x_of[actor]
            col = COLOURS[lane[actor] % len(COLOURS)]
            parts.append(f'<line x1="{ax:.0f}" y1="{cy:.0f}" x2="{text_x - 4:.0f}" y2="{cy:.0f}" class="rule"/>')
            parts.append(f'<circle cx="{ax:.0f}" cy="{cy:.0f}" r="5" fill="{col}"/>')
        parts.append(_t(text_x, y + LINE * 0.75 + 4, head, "head" + (" badtext" if bad else "")))
        for j, d in enumerate(detail):
            parts.append(_t(text_x + 12, y + LINE * (j + 1.75) + 4, d, "detail"))
        y += h
    if trace.loop is not None and trace.loop + 1 < len(row_tops):
        y0 = row_tops[trace.loop + 1]
        parts.append(f'<path d="M {text_x - 8} {y0:.0f} h -4 V {y - 6:.0f} h 4" class="loop"/>')
        parts.append(_t(text_x - 16, (y0 + y) / 2, "↻", "badtext", "end"))
    verdict = verdict_line(trace)
    parts.append(_t(text_x, y + 18, verdict, "head badtext"))
    for j, line in enumerate(why_rows):
        parts.append(_t(text_x + 12, y + 18 + LINE * (j + 1), line, "detail badtext"))
    height = int(y + 34 + LINE * len(why_rows))
    heads: list[str] = []
    for a in actors:
        x = x_of[a]
        col = COLOURS[lane[a] % len(COLOURS)]
        heads.append(f'<line x1="{x:.0f}" y1="{TOP - 16}" x2="{x:.0f}" y2="{y:.0f}" stroke="{col}" class="life"/>')
        heads.append(f'<rect x="{x - LANE / 2 + 6:.0f}" y="8" width="{LANE - 12}" height="26" rx="4" '
                     f'fill="white" stroke="{col}"/>')
        label = a if len(a) * CHAR <= LANE - 16 else a[: int((LANE - 22) / CHAR)] + "…"
        heads.append(f'<text x="{x:.0f}" y="25" class="actor" text-anchor="middle"><title>{escape(a)}</title>'
                     f"{escape(label)}</text>")
    style = ("<style>text{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;font-size:11px;fill:#222}"
             ".head{font-weight:bold}.detail{fill:#444}.actor{font-weight:bold;font-size:11px}"
             ".badtext{fill:#b00020}.bad{fill:#ffe1e1}.band{fill:#f6f6f6}.rule{stroke:#bbb;stroke-dasharray:2 2}"
             ".life{stroke-width:2;opacity:0.5}.loop{fill:none;stroke:#b00020;stroke-width:2}</style>")
    t = f"<title>{escape(title)}</title>" if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" class="seq">{t}{style}'
            + "".join(bg) + "".join(heads) + "".join(parts) + "</svg>")
