"""What makes two counterexamples of one property *distinct*: their cause.

A violation's cause is the pair

* the **kernel function of the step that enters the bad state** (for a transition property: of
  the violating step; for a deadlock: of the last step before the stuck state; for a bad initial
  state: none), and
* the **set of kernel functions the trace runs** (its steps' functions, order and repetitions
  ignored).

Kernel functions are the steps' ``function`` citations reduced to ``file:function`` (the path's
directories, the parenthesised detail and the ``@release`` tag dropped), so that the several
atomic steps of one function count once and a race is named by the functions that take part in
it. Two traces that reach the bad state through the same function and involve the same
functions are the same race told twice; a trace that needs a function the other does not (a
second waker, a syscall's direct poll, a timer firing) is a different race.

The explicit engine reports, per violated property, the shortest trace of each distinct cause
in breadth-first order, up to ``max_traces``: the first trace is the property's shortest
counterexample; each further one is the first trace the search meets whose cause differs from
all reported ones. Only *fresh* violations count: a state that violates the property while the
state it was reached from (on its recorded shortest path) does not; a state that stays bad
after further steps is not a new race.
"""

from __future__ import annotations

import re
from typing import Iterable

from checker.lang.system import Transition

_TAG = re.compile(r"\s+@\S+\s*$")

Cause = tuple[str, frozenset[str]]


def kernel_function(t: Transition) -> str:
    """``file:function`` of a step's citation (e.g. ``napi.rs:net_rx_action``); the step key when it has none."""
    text = _TAG.sub("", t.function or "").strip()
    text = text.split(" (", 1)[0].strip()
    if not text:
        return t.key
    path, sep, rest = text.partition(":")
    return f"{path.rsplit('/', 1)[-1]}{sep}{rest}".strip() if sep else text


def cause_of(steps: Iterable[Transition]) -> Cause:
    """The cause of a trace with these steps (see the module docstring)."""
    steps = list(steps)
    if not steps:
        return ("initial state", frozenset())
    return (kernel_function(steps[-1]), frozenset(kernel_function(t) for t in steps))


def describe_cause(cause: Cause, others: list[Cause] | None = None) -> str:
    """One line naming a cause; with ``others`` (the causes reported before it), the functions it adds."""
    entering, funcs = cause
    line = f"enters the bad state in {entering}"
    if others:
        seen = frozenset().union(*(f for _, f in others))
        extra = sorted(funcs - seen)
        if extra:
            line += "; also runs " + ", ".join(extra)
        missing = sorted(others[0][1] - funcs)
        if missing:
            line += "; without " + ", ".join(missing)
    return line


__all__ = ["Cause", "cause_of", "describe_cause", "kernel_function"]
