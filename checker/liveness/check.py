"""Checking temporal properties and starvation bounds on a state graph.

* ``leads_to(P, Q)`` is violated by a fair lasso that starts in a ``P and not Q`` state and never meets
  ``Q`` afterwards (prefix from that state and loop inside the ``not Q`` states);
* ``eventually(Q)`` is the same from the initial state, ``always_eventually(Q)`` from any state;
* ``non_progress`` by a fair loop of steps none of which is marked progress (stopping does not count);
* a starvation property gets its tight bound: the longest run of services of others while an instance
  waits, over the graph without the ghost counter (exact, whatever the counter's cap), or "unbounded"
  with a lasso when some loop serves others while the instance waits forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.lang.expr import Ite, Sum
from checker.lang.pycompile import CompiledSystem, State, _slots
from checker.lang.system import Property
from checker.lang.temporal import Starvation, Temporal
from checker.liveness.cycles import FairSearch, Lasso, path_inside, sccs
from checker.liveness.fairness import FairGroup
from checker.liveness.graph import Edge, StateGraph
from checker.result import HOLDS, VIOLATED, PropertyResult, Trace

ENGINE = "explicit"


def lasso_trace(c: CompiledSystem, g: StateGraph, lasso: Lasso, prop: str, max_unroll: int = 256) -> Trace:
    """The lasso as a Trace of full states. If ghost counters make the state after one loop differ from
    the entry (they count on), the loop is unrolled until a full state repeats (counters saturate)."""
    system = c.system
    s: State = system.init_state()
    states = [s]
    steps = []
    for tid, _ in lasso.prefix:
        s = _step(c, s, tid)
        states.append(s)
        steps.append(system.transitions[tid])
    if not lasso.loop:
        return Trace(system, states, steps, prop, kind="lasso", loop=len(states) - 1, engine=ENGINE)
    marks = {s: len(states) - 1}
    for _ in range(max_unroll):
        for tid, _node in lasso.loop:
            s = _step(c, s, tid)
            states.append(s)
            steps.append(system.transitions[tid])
        if s in marks:
            k = marks[s]
            return Trace(system, states, steps, prop, kind="lasso", loop=k, engine=ENGINE)
        marks[s] = len(states) - 1
    raise RuntimeError("the loop does not close in the full state space (a ghost counter that never saturates?)")


def path_trace(c: CompiledSystem, path: list[Edge], prop: str, kind: str, message: str = "") -> Trace:
    system = c.system
    s: State = system.init_state()
    states, steps = [s], []
    for tid, _ in path:
        s = _step(c, s, tid)
        states.append(s)
        steps.append(system.transitions[tid])
    return Trace(system, states, steps, prop, kind=kind, engine=ENGINE, message=message)


def _step(c: CompiledSystem, s: State, tid: int) -> State:
    t = c.step(s, tid)
    if t is None:
        raise RuntimeError(f"nondeterminism: step {c.system.transitions[tid].key} did not replay")
    return t


# ---------------------------------------------------------------- temporal properties


def check_temporal(c: CompiledSystem, g: StateGraph, p: Property, search: FairSearch) -> PropertyResult:
    """Decide one temporal property on a complete graph."""
    tmp: Temporal = p.extra["temporal"]
    n = len(g.states)
    if p.kind == "non_progress":
        progress = [t.progress for t in c.system.transitions]
        if not any(progress):
            note = "no step is marked progress (t.mark_progress()): every fair cycle is a non-progress cycle"
        else:
            note = ""
        lasso = search.find([0], lambda u: True, cycle_ok=lambda u, tid, v: not progress[tid], stutter=False)
        if lasso is None:
            return PropertyResult(p.name, p.kind, HOLDS, engine=ENGINE, note=note)
        tr = lasso_trace(c, g, lasso, p.name)
        return PropertyResult(p.name, p.kind, VIOLATED, tr, ENGINE,
                              note=f"non-progress cycle of {len(tr) - (tr.loop or 0)} steps",
                              detail={"prefix": tr.loop, "loop": len(tr) - (tr.loop or 0)})
    for k, (pe, qe) in enumerate(zip(tmp.p, tmp.q)):
        pf, qf = c.state_fn(pe), c.state_fn(qe)
        states = g.partial(_slots(pe, _slots(qe, set())))
        notq = [not qf(s) for s in states]
        if p.kind == "eventually":
            sources = [0] if notq[0] else []
        else:
            sources = [u for u in range(n) if notq[u] and pf(states[u])]
        lasso = search.find(sources, notq.__getitem__)
        if lasso is not None:
            tr = lasso_trace(c, g, lasso, p.name)
            inst = tmp.instances[k]
            what = "stops" if len(tr) == tr.loop else f"loops ({len(tr) - (tr.loop or 0)} steps)"
            return PropertyResult(p.name, p.kind, VIOLATED, tr, ENGINE,
                                  note=(f"instance {inst}: " if inst is not None else "") + f"the run {what} without Q",
                                  detail={"instance": inst})
    return PropertyResult(p.name, p.kind, HOLDS, engine=ENGINE)


# ---------------------------------------------------------------- starvation bounds


@dataclass
class Bound:
    """The tight bound of one starvation property."""

    value: int | None  # None: unbounded
    instance: Any
    trace: Trace  # a run reaching the bound (kind "bound"), or a lasso (unbounded)
    fair: bool = True


def starvation_bound(c: CompiledSystem, g: StateGraph, p: Property, groups: list[FairGroup]) -> Bound:
    """The exact maximum over reachable states of the count of ``p`` (services of others while waiting).

    Per instance ``i``: the subgraph of states where ``i`` waits, with the steps that do not serve ``i``;
    a step weighs 1 when it serves another instance. A component (SCC) with a weighted step inside gives
    unbounded counts (a lasso); otherwise the bound is the longest path over the DAG of components.
    """
    st: Starvation = p.extra["starvation"]
    m = len(st.instances)
    wexpr = Sum(range(m), lambda k: Ite(st.waiting[k], 1 << k, 0))
    sexpr = Sum(range(m), lambda k: Ite(st.served[k], 1 << k, 0))
    wfn, sfn = c.state_fn(wexpr), c.edge_fn(sexpr)
    states = g.partial(_slots(wexpr, _slots(sexpr, set())))
    size = len(states)
    wmask = [wfn(s) for s in states]
    edges: dict[int, list[tuple[int, int, int]]] = {
        u: [(tid, v, sfn(states[u], states[v])) for tid, v in g.succ[u]] for u in range(size) if wmask[u]
    }
    best: Bound | None = None
    for k in range(m):
        bit = 1 << k
        region = [u for u in range(size) if wmask[u] & bit]
        if not region:
            continue

        def nxt(u: int, bit: int = bit) -> list[int]:
            return [v for _, v, sm in edges[u] if wmask[v] & bit and not sm & bit]

        comps = sccs(region, nxt, size)  # reverse topological order
        comp_of = [-1] * size
        for ci, comp in enumerate(comps):
            for u in comp:
                comp_of[u] = ci
        cyclic = any(comp_of[v] == comp_of[u] and wmask[v] & bit and not sm & bit and sm & ~bit
                     for u in region for _, v, sm in edges[u])
        if cyclic:
            sm_of = {(u, tid): sm for u in region for tid, _, sm in edges[u]}

            def ok(u: int, tid: int, v: int, bit: int = bit, sm_of: dict = sm_of) -> bool:
                return bool(wmask[v] & bit) and not sm_of[(u, tid)] & bit

            def weight(u: int, tid: int, v: int, bit: int = bit, sm_of: dict = sm_of) -> bool:
                return bool(sm_of[(u, tid)] & ~bit)

            inr = set(region)
            lasso = FairSearch(g, groups).find(region, inr.__contains__, cycle_ok=ok, path_ok=ok,
                                               stutter=False, need=weight)
            fair = lasso is not None
            if lasso is None:  # a loop exists, but no fair one: report it all the same
                lasso = FairSearch(g, []).find(region, inr.__contains__, cycle_ok=ok, path_ok=ok,
                                               stutter=False, need=weight)
            assert lasso is not None
            return Bound(None, st.instances[k], lasso_trace(c, g, lasso, p.name), fair)
        # longest path (weights 0/1) over the DAG of components, successors first
        val = [0] * len(comps)
        arg: dict[int, tuple[int, int, int]] = {}
        for ci, comp in enumerate(comps):
            for u in comp:
                for tid, v, sm in edges[u]:
                    cv = comp_of[v]
                    if cv != ci and wmask[v] & bit and not sm & bit:
                        x = (1 if sm & ~bit else 0) + val[cv]
                        if x > val[ci]:
                            val[ci], arg[ci] = x, (u, tid, v)
        top = max(range(len(comps)), key=lambda ci: (val[ci], -min(comps[ci])))
        if best is not None and best.value is not None and val[top] <= best.value:
            continue

        def ok2(u: int, tid: int, v: int, bit: int = bit) -> bool:
            return bool(wmask[v] & bit)

        start = min(comps[top])  # lowest index = nearest to the initial state in BFS order
        path = g.prefix(start)
        cur, cc = start, top
        while val[cc] > 0:
            u, tid, v = arg[cc]
            path += path_inside(g, set(comps[cc]), cur, lambda x, u=u: x == u, ok2)
            path.append((tid, v))
            cur, cc = v, comp_of[v]
        msg = f"instance {st.instances[k]} waits while others are served {val[top]} times"
        best = Bound(val[top], st.instances[k], path_trace(c, path, p.name, "bound", msg))
    if best is None:  # nobody ever waits
        return Bound(0, None, path_trace(c, [], p.name, "bound", "nobody waits: others are served 0 times"))
    return best
