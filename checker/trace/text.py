"""The terminal view of a trace: per step the actor, the step, the kernel function and only what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checker.lang.explain import Why, why_bad
from checker.lang.pycompile import flat_values
from checker.lang.system import System
from checker.result import Trace

if TYPE_CHECKING:
    from checker.trace.views import View

#: How to ask for the whole initial state (shown in the note about what the trimmed one leaves out).
FULL_INITIAL_HINT = "--full-initial shows them"


def _is_pc(name: str) -> bool:
    return ".pc[" in name or name.endswith(".pc")


def initial_values(system: System, state: tuple, full: bool = False) -> tuple[list[str], int]:
    """The initial state as ``name=value`` items a kernel developer needs, and how many were left out.

    Left out unless ``full``: program counters (every actor starts at its first step, shown by the
    steps), and actor locals and ghost variables still at their type's default value (``false``,
    0, empty). Shared state (rings, flags, lists, timers) is always shown."""
    flat = flat_values(system, state)
    locals_ = tuple(a.name + "." for a in system.actors)
    pcs = {a.pc.value.slot for a in system.actors}
    shown: list[str] = []
    hidden = 0
    for v in system.vars:
        items = [f"{k}={x}" for k, x in flat.items() if k == v.name or k.startswith(v.name + "[")]
        quiet = v.slot in pcs or ((v.ghost or v.name.startswith(locals_)) and state[v.slot] == v.typ.default())
        if quiet and not full:
            hidden += len(items)
        else:
            shown.extend(items)
    return shown, hidden


_WHY: dict[int, tuple[Trace, Why | None]] = {}


def trace_why(trace: Trace) -> Why | None:
    """Why the trace's last state (or loop) is bad (checker.lang.explain); None for modelling-error
    traces and properties it cannot explain. Kept per trace: every view of one trace shows it."""
    hit = _WHY.get(id(trace))
    if hit is not None and hit[0] is trace:
        return hit[1]
    why: Why | None = None
    if trace.kind in ("safety", "deadlock", "lasso") and trace.states:
        try:
            why = why_bad(trace.system, trace.system.prop(trace.property), trace.states, trace.loop)
        except KeyError:
            why = None
    if len(_WHY) > 64:
        _WHY.clear()
    _WHY[id(trace)] = (trace, why)
    return why


def why_lines(trace: Trace) -> list[str]:
    """The explanation as text lines: ``why: <headline>`` and the clauses behind it (empty if none)."""
    why = trace_why(trace)
    if why is None:
        return []
    return [f"why: {why.headline}", *why.lines("  ")]


def step_rows(trace: Trace, views: list[View] | None = None, full_initial: bool = False) -> list[dict[str, str]]:
    """One row per state: ``n``, ``actor``, ``step``, ``function``, ``changes`` (text), and
    ``views`` (``name=value`` of every user view in the state reached, empty without views).
    Row 0 is the initial state (trimmed unless ``full_initial``, see :func:`initial_values`; its
    ``hidden`` says what was left out and ``full`` has every value); row k is step k and the state
    it leads to."""
    system = trace.system
    rows: list[dict[str, str]] = []
    prev = flat_values(system, trace.states[0])
    shown, hidden = initial_values(system, trace.states[0], full_initial)
    rows.append({"n": "0", "actor": "", "step": "initial state", "function": "", "changes": ", ".join(shown),
                 "hidden": (f"… {hidden} more at their start values (program counters, actor locals, ghost "
                            f"counters): {FULL_INITIAL_HINT}") if hidden else "",
                 "full": ", ".join(f"{k}={v}" for k, v in prev.items())})
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


def render_trace(trace: Trace, header: str = "", views: list[View] | None = None, full_initial: bool = False) -> str:
    """Plain text (no colour), fit for CI logs and files; user views on a ``▸`` line per state;
    at the end, why the last state is bad (:func:`why_lines`)."""
    rows = step_rows(trace, views, full_initial)
    wa = max(len(r["actor"]) for r in rows)
    ws = max(len(r["step"]) for r in rows)
    lines = [header] if header else []
    for r in rows:
        lines.append(f"{r['n']:>3}  {r['actor']:<{wa}}  {r['step']:<{ws}}  {r['function']}")
        lines.append(f"{'':>3}  {'':<{wa}}  {r['changes']}")
        if r.get("hidden"):
            lines.append(f"{'':>3}  {'':<{wa}}  {r['hidden']}")
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
    why = why_lines(trace)
    if why:
        lines.append(f"  ✗ {why[0]}")
        lines.extend("  " + ln for ln in why[1:])
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
