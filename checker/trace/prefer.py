"""Among the shortest counterexamples, prefer the one with fewest actors, then fewest context switches.

A post-pass over any engine's safety trace: a breadth-first search from the same initial
state, layered by depth, over the same compiled semantics. Every node of layer ``k`` is a
state at distance exactly ``k`` (a state on a shortest path to the violation can be at no
other distance), labelled with the last actor and the set of actors used so far; per label
the fewest context switches are kept, and labels dominated by another (a subset of its actors
and no more switches) are dropped. The search stops at the first layer holding a violation
and picks, lexicographically, the fewest actors and then the fewest switches: an exact
optimum among the shortest traces.

Every state is expanded, violating ones too, as in the explicit engine, so the shortest length
is the engine's. When the engine reported further counterexamples of distinct causes
(checker.cause), the preferred trace must not be the same race as any of them, so that they
stay distinct. The search is bounded (``max_nodes`` labels and
``max_seconds``); past the bound it retries with switches only, then gives up and keeps the
engine's trace. The
result is replayed before it replaces the original; lassos and modelling-error traces are
left as found.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from checker.cause import cause_of, same_race
from checker.lang.pycompile import CompiledSystem, State, StepError
from checker.result import Trace
from checker.trace.replay import replay

DEFAULT_MAX_NODES = 200_000
DEFAULT_MAX_SECONDS = 5.0


def shape(trace: Trace) -> tuple[int, int]:
    """(distinct actors, context switches) of a trace's steps."""
    actors = [t.actor for t in trace.steps]
    return len(set(actors)), sum(a != b for a, b in zip(actors, actors[1:]))


@dataclass(eq=False)
class _Label:
    actor: str | None
    actors: frozenset[str]
    switches: int
    state: State
    parent: _Label | None
    tid: int

    def key(self) -> tuple[int, int]:
        return len(self.actors), self.switches


class _Budget(Exception):
    pass


def _search(c: CompiledSystem, trace: Trace, blocking: list[Callable[[State], bool]],
            max_len: int, max_nodes: int, track_sets: bool, deadline: float) -> _Label | None:
    """The best end label of a violation at the smallest depth <= max_len, or None."""
    system = c.system
    prop = system.prop(trace.property)
    bad_state: Callable[[State], bool] | None = None
    bad_edge: Callable[[State, State], bool] | None = None
    is_end: Callable[[State], bool] | None = None
    if prop.kind == "invariant":
        fn = c.state_fn(prop.expr)
        bad_state = lambda s: not fn(s)
    elif prop.kind == "transition":
        efn = c.edge_fn(prop.expr)
        bad_edge = lambda s, t: not efn(s, t)
    elif prop.kind == "deadlock":
        end = c.state_fn(prop.expr)
        is_end = lambda s: bool(end(s))
    else:
        return None
    actor_of = [t.actor for t in system.transitions]
    init = system.init_state()
    root = _Label(None, frozenset(), 0, init, None, -1)
    if bad_state is not None and bad_state(init):
        return root
    seen: set[State] = {init}
    layer: dict[State, list[_Label]] = {init: [root]}
    nodes = 1
    for _depth in range(max_len + 1):
        found: list[_Label] = []
        nxt: dict[State, list[_Label]] = {}
        for s, labels in layer.items():
            if any(not ok(s) for ok in blocking):
                continue  # the engine does not expand a state that violates a checked invariant
            try:
                succ = c.successors(s)
            except StepError:
                continue
            if not succ and is_end is not None and not is_end(s):
                found.extend(labels)
                continue
            for tid, t in succ:
                a = actor_of[tid]
                edge_bad = bad_edge is not None and bad_edge(s, t)
                if not edge_bad and (t in seen and t not in nxt):
                    continue
                for lb in labels:
                    new = _Label(a, lb.actors | {a} if track_sets else lb.actors,
                                 lb.switches + (lb.actor is not None and lb.actor != a), t, lb, tid)
                    if edge_bad:
                        found.append(new)
                        continue
                    if t in seen and t not in nxt:
                        continue
                    bucket = nxt.setdefault(t, [])
                    if any(o.actor == a and o.actors <= new.actors and o.switches <= new.switches for o in bucket):
                        continue
                    bucket[:] = [o for o in bucket if not (o.actor == a and new.actors <= o.actors
                                                           and new.switches <= o.switches)]
                    bucket.append(new)
                    nodes += 1
                    if bad_state is not None and bad_state(t):
                        found.append(new)
            if nodes > max_nodes or time.monotonic() > deadline:
                raise _Budget
        if found:
            if bad_state is not None:
                # keep only the non-dominated labels still present for violating states
                found = [f for f in found if any(f is o for o in nxt.get(f.state, ()))]
            return min(found, key=_Label.key)
        seen.update(nxt)
        layer = nxt
        if not layer:
            return None
    return None


def _to_trace(best: _Label, trace: Trace) -> Trace:
    labels = []
    lb: _Label | None = best
    while lb is not None and lb.parent is not None:
        labels.append(lb)
        lb = lb.parent
    labels.reverse()
    system = trace.system
    states = [system.init_state()] + [x.state for x in labels]
    steps = [system.transitions[x.tid] for x in labels]
    return Trace(system, states, steps, trace.property, kind=trace.kind, loop=None, engine=trace.engine,
                 message=trace.message)


def prefer_simple(trace: Trace, compiled: CompiledSystem, checked: list[str] | None = None,
                  max_nodes: int = DEFAULT_MAX_NODES, max_seconds: float = DEFAULT_MAX_SECONDS,
                  distinct_from: list[Trace] | None = None) -> Trace:
    """A trace of the same violation, no longer, with fewest actors then context switches.

    ``checked`` is accepted for compatibility and ignored: the engines expand violating states.
    ``distinct_from``: the further counterexamples the preferred one must stay distinct from.
    Returns ``trace`` itself when nothing better is found (and distinct), the search is
    over budget, or the trace is a lasso or a modelling error.
    """
    if trace.kind not in ("safety", "deadlock") or trace.loop is not None or trace.failing_step is not None:
        return trace
    system = compiled.system
    names = {p.name for p in system.properties}
    if trace.property not in names:
        return trace
    blocking: list[Callable[[State], bool]] = []
    best = None
    for track in (True, False):
        try:
            best = _search(compiled, trace, blocking, len(trace), max_nodes, track,
                           time.monotonic() + max_seconds / 2)
            break
        except _Budget:
            continue
    if best is None:
        return trace
    cand = _to_trace(best, trace)
    if len(cand) > len(trace) or (len(cand) == len(trace) and shape(cand) >= shape(trace)):
        return trace
    if any(same_race(cause_of(cand.steps), cause_of(o.steps)) for o in distinct_from or []):
        return trace
    if not replay(cand, compiled).ok:
        return trace
    return cand


def prefer_simple_outcome(outcome: Any, max_nodes: int = DEFAULT_MAX_NODES) -> None:
    """Replace each counterexample of a :class:`checker.verify.Outcome` by its preferred form (in place)."""
    checked = list(outcome.verdicts)
    for v in outcome.verdicts.values():
        if v.trace is not None and v.replayed:  # the first counterexample; the distinct ones as found
            v.trace = prefer_simple(v.trace, outcome.compiled, checked, max_nodes, distinct_from=v.more_traces)
