"""The terminal view of a trace: per step the actor, the step, the kernel function and only what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checker.lang.pycompile import flat_values
from checker.result import Trace

if TYPE_CHECKING:
    from checker.trace.views import View


def _is_pc(name: str) -> bool:
    return ".pc[" in name or name.endswith(".pc")


def step_rows(trace: Trace, views: list[View] | None = None) -> list[dict[str, str]]:
    """One row per state: ``n``, ``actor``, ``step``, ``function``, ``changes`` (text), and
    ``views`` (``name=value`` of every user view in the state reached, empty without views).
    Row 0 is the initial state; row k is step k and the state it leads to."""
    system = trace.system
    rows: list[dict[str, str]] = []
    prev = flat_values(system, trace.states[0])
    init = ", ".join(f"{k}={v}" for k, v in prev.items() if not _is_pc(k))
    rows.append({"n": "0", "actor": "", "step": "initial state", "function": "", "changes": init})
    for k, (t, s) in enumerate(zip(trace.steps, trace.states[1:]), 1):
        cur = flat_values(system, s)
        nxt = [cur[n] for n in cur if _is_pc(n) and cur[n] != prev[n]]
        changes = [f"{n}: {prev[n]} → {cur[n]}" for n in cur if cur[n] != prev[n] and not _is_pc(n)]
        label = t.label + (f" → {nxt[0]}" if nxt else "")
        params = ", ".join(f"{a}={b}" for a, b in t.params.items())
        if params:
            label += f" ({params})"
        mark = ""
        if trace.loop is not None and k - 1 == trace.loop:
            mark = "loop starts ↻ "
        rows.append({"n": str(k), "actor": t.actor, "step": mark + label, "function": t.function,
                     "changes": "; ".join(changes) or "(no visible change)"})
        prev = cur
    if views:
        from checker.trace.views import view_rows

        for r, vals in zip(rows, view_rows(views, trace.states)):
            r["views"] = "  ".join(f"{k}={v}" for k, v in vals.items())
    return rows


def render_trace(trace: Trace, header: str = "", views: list[View] | None = None) -> str:
    """Plain text (no colour), fit for CI logs and files; user views on a ``▸`` line per state."""
    rows = step_rows(trace, views)
    wa = max(len(r["actor"]) for r in rows)
    ws = max(len(r["step"]) for r in rows)
    lines = [header] if header else []
    for r in rows:
        lines.append(f"{r['n']:>3}  {r['actor']:<{wa}}  {r['step']:<{ws}}  {r['function']}")
        lines.append(f"{'':>3}  {'':<{wa}}  {r['changes']}")
        if r.get("views"):
            lines.append(f"{'':>3}  {'':<{wa}}  ▸ {r['views']}")
    if trace.loop is not None and trace.loop == len(trace.states) - 1:
        lines.append(f"  ■ the run stops in state {trace.loop}: no step that fairness obliges is enabled, "
                     "so a fair run may stay here for ever")
    elif trace.loop is not None:
        lines.append(f"  ↻ the last step returns to state {trace.loop}: the loop repeats forever")
    if trace.failing_step is not None:
        t = trace.failing_step
        lines.append(f"  ✗ next: {t.actor} {t.label} [{t.function}] fails: {trace.message}")
    return "\n".join(lines)


def wrap_items(items: list[str], width: int = 60) -> list[str]:
    """Join ``items`` with ``; `` into lines of about ``width`` characters (for diagram labels)."""
    lines: list[str] = []
    cur = ""
    for it in items:
        if cur and len(cur) + len(it) + 2 > width:
            lines.append(cur)
            cur = it
        else:
            cur = f"{cur}; {it}" if cur else it
    if cur:
        lines.append(cur)
    return lines
