"""A trace as a Mermaid sequence diagram, to paste into Markdown (GitHub, GitLab, DragonOS docs).

Actors are lifelines in order of first appearance; each step is a message from its actor to
itself labelled ``n. step → next · kernel function``, followed by a note with the variables it
changed (and the user views). The violating step is shaded red and a final note names the
violated property; a lasso's cycle is wrapped in a ``loop`` block. Built from
:func:`checker.trace.text.step_rows`, the same rows as the terminal view.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from checker.result import Trace
from checker.trace.itf import describe, trace_actors, verdict_line
from checker.trace.text import step_rows, why_lines, wrap_items

if TYPE_CHECKING:
    from checker.trace.views import View

#: Characters Mermaid would read as syntax or HTML inside message and note text, as its entity codes.
_ESCAPES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;", "%": "#37;", "{": "#123;", "}": "#125;",
            "\"": "#quot;"}
VIOLATION_FILL = "rgb(255, 225, 225)"
MAX_WHY_LINES = 16  # lines of the explanation in the final note


def mm_text(s: str) -> str:
    """Text safe inside a Mermaid message, note or alias (one line; ``<br/>`` joins lines)."""
    out = "".join(_ESCAPES.get(ch, ch) for ch in s)
    return "<br/>".join(part.strip() for part in out.splitlines()) or " "


def trace_to_mermaid(trace: Trace, views: list[View] | None = None, title: str | None = None,
                     doc: str = "") -> str:
    """The Mermaid source (``sequenceDiagram``) of ``trace``."""
    rows = step_rows(trace, views)
    actors = trace_actors(trace) or ["system"]
    ids = {a: f"A{k}" for k, a in enumerate(actors)}
    first, last = ids[actors[0]], ids[actors[-1]]
    span = f"{first},{last}" if first != last else first
    lines = ["sequenceDiagram"]
    lines.insert(0, f"%% {title or describe(trace)}")
    for a in actors:
        lines.append(f"    participant {ids[a]} as {mm_text(a)}")
    init = [x for x in rows[0]["changes"].split(", ") if x]
    note0 = ["initial state"] + wrap_items(init) + ([rows[0]["hidden"]] if rows[0].get("hidden") else [])
    if rows[0].get("views"):
        note0.append("▸ " + rows[0]["views"])
    lines.append(f"    Note over {span}: " + "<br/>".join(mm_text(x) for x in note0))
    n = len(trace.steps)
    in_loop = False
    for k, (t, r) in enumerate(zip(trace.steps, rows[1:]), 1):
        if trace.loop is not None and k == trace.loop + 1 and not in_loop:
            lines.append("    loop repeats forever")
            in_loop = True
        mark = k == n and trace.kind in ("safety", "deadlock") and trace.loop is None
        ind = "        " if in_loop or mark else "    "
        if mark:
            lines.append(f"    rect {VIOLATION_FILL}")
        who = ids[t.actor]
        step = r["step"].replace("loop starts ↻ ", "")
        lines.append(f"{ind}{who}->>{who}: {mm_text(f'{k}. {step} · {t.function}')}")
        body = wrap_items(r["changes"].split("; "))
        if r.get("views"):
            body.append("▸ " + r["views"])
        lines.append(f"{ind}Note right of {who}: " + "<br/>".join(mm_text(x) for x in body))
        if mark:
            lines.append("    end")
    if in_loop:
        lines.append("    end")
    if trace.failing_step is not None:
        ft = trace.failing_step
        who = ids.get(ft.actor, first)
        lines.append(f"    rect {VIOLATION_FILL}")
        lines.append(f"        {who}-x{who}: {mm_text(f'{ft.label} · {ft.function} fails: {trace.message}')}")
        lines.append("    end")
    verdict = verdict_line(trace)
    if doc:
        verdict += f" — {doc}"
    lines.append(f"    Note over {span}: " + "<br/>".join(mm_text(x) for x in textwrap.wrap(verdict, 80)))
    why = why_lines(trace)
    if why:  # the failing clauses, one per line; depth shown by "›" (Mermaid trims leading spaces)
        shown = textwrap.wrap(why[0], 100) + ["›" * ((len(ln) - len(ln.lstrip())) // 2 - 1) + " " + ln.strip()
                                               for ln in why[1:MAX_WHY_LINES]]
        if len(why) > MAX_WHY_LINES:
            shown.append(f"… {len(why) - MAX_WHY_LINES} more lines in the text view")
        lines.append(f"    Note over {span}: " + "<br/>".join(mm_text(x) for x in shown))
    return "\n".join(lines) + "\n"


def markdown_block(mermaid: str) -> str:
    """The diagram in a fenced block, ready to paste into Markdown."""
    return "```mermaid\n" + mermaid + "```\n"
