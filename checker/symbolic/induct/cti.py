"""A counterexample to induction told in the kernel's terms.

When Houdini drops a property, the model that dropped it is a state that every clause kept so
far allows — not shown reachable — and a step from it (or, with forward exploration, a few
steps) after which the property is false. Shown as a trace from that state: per step the
context, the step and the kernel function, and what changed, then why the last state is bad
(:func:`checker.trace.text.render_trace`); the user reads which fact about the starting state
the engine could not rule out.
"""

from __future__ import annotations

from checker.lang.system import System
from checker.result import Trace
from checker.trace.text import render_trace

#: the label of row 0 of a rendered trace, and what it is here (same width: the columns stay aligned)
INITIAL, ASSUMED = "initial state", "CTI pre-state"


def cti_trace(system: System, prop: str, pre: tuple, path: list[tuple[int, tuple]]) -> Trace:
    """The steps from the CTI's pre-state as a Trace (``states[0]`` is the pre-state, not initial)."""
    return Trace(system, [pre] + [s for _, s in path], [system.transitions[t] for t, _ in path], prop,
                 engine="induct")


def cti_lines(system: System, prop: str, pre: tuple, path: list[tuple[int, tuple]],
              consts: dict[str, int] | None = None) -> list[str]:
    """The counterexample to induction as text lines (the pre-state in full)."""
    at = f" (at {', '.join(f'{k}={v}' for k, v in consts.items())})" if consts else ""
    head = (f"counterexample to induction for {prop}{at}: a state every kept clause allows (not shown "
            f"reachable), and {len(path)} step(s) from it that break {prop}; a stronger invariant must rule "
            "that state out")
    text = render_trace(cti_trace(system, prop, pre, path), head, full_initial=True)
    lines = text.splitlines()
    if len(lines) > 1:
        lines[1] = lines[1].replace(INITIAL, ASSUMED, 1)
    return lines
