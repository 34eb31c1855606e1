"""The reachable state graph for liveness checks.

Nodes are reachable states with the ghost starvation counters projected away: those counters
never influence a step (only their own update reads them), so the graph of the projected states
is the reachable graph of the system without them, and a cycle there is a cycle of behaviour.
Each node keeps one representative full state; edges keep the transition index. A BFS tree
(``parent``/``via``) gives shortest prefixes.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Sequence

from checker.lang.pycompile import CompiledSystem, State, StepError
from checker.lang.system import System

Edge = tuple[int, int]  # (transition index, target node)


class PackedStates(Sequence[State]):
    """The nodes' representative states, kept packed (checker.explicit.packed) and unpacked on access."""

    def __init__(self, keys: list[int], layout: Any) -> None:
        self.keys = keys
        self.layout = layout
        self._unpack = layout.unpack

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._unpack(k) for k in self.keys[i]]
        return self._unpack(self.keys[i])


@dataclass
class StateGraph:
    system: System
    states: Sequence[State]  # representative full state of each node (a list, or PackedStates)
    succ: list[list[Edge]]
    parent: list[int]
    via: list[int]
    limit_hit: str | None = None
    error: str | None = None
    error_state: int | None = None
    error_tid: int | None = None
    seconds: float = 0.0
    n_edges: int = 0
    fired: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)  # BFS distance from the initial state

    def partial(self, slots: set[int]) -> Sequence[State]:
        """The nodes' states with at least the variables ``slots`` (others may be None): what an
        expression reading only those needs, without unpacking whole states."""
        if isinstance(self.states, PackedStates):
            return list(map(self.states.layout.unpack_slots(slots), self.states.keys))
        return self.states

    @property
    def complete(self) -> bool:
        return self.limit_hit is None and self.error is None

    def prefix(self, node: int) -> list[Edge]:
        """Transitions of a shortest path from the initial state to ``node`` (as (tid, node) edges)."""
        path: list[Edge] = []
        while self.parent[node] >= 0:
            path.append((self.via[node], node))
            node = self.parent[node]
        path.reverse()
        return path


def ghost_slots(system: System) -> list[int]:
    """Slots of the starvation counters (never read by a step other than their own update)."""
    return [p.extra["starvation"].counter.slot for p in system.properties if "starvation" in p.extra]


def build_graph(
    c: CompiledSystem,
    limits: dict[str, Any] | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> StateGraph:
    """Explore every reachable (projected) state of ``c``; respects max_states, max_depth and max_seconds.

    The successors come from the packed kernel of the safety search (checker.explicit.packed) when
    the system allows it, else from the generic semantics; both give the same graph, node for node
    and edge for edge (a kernel failure, such as a modelling error, is redone on the generic semantics
    for its message)."""
    from checker.explicit.packed import Unsupported, build_kernel

    t0 = time.perf_counter()
    g, n = _build_generic(c, limits, progress, handoff=HANDOFF)
    if n is None:
        return g  # small: done before compiling a kernel would pay off
    try:
        kernel = build_kernel(c, [])
    except Unsupported:
        kernel = None
    if kernel is not None:
        done = _build_packed(c, kernel, limits or {}, progress, g, n, t0)
        if done is not None:
            return done
    return _build_generic(c, limits, progress)[0]


HANDOFF = 2048  # the packed kernel takes over once this many nodes are expanded and as many wait


class _NoneSeen(set):  # type: ignore[type-arg]
    """A "seen" set that stays empty: the packed kernel then reports every successor, edges included."""

    add = id  # a C function, so the kernel's look-ups and adds stay at C speed


GRAPH_CHUNK = 4096  # nodes expanded per kernel call


def _projection(c: CompiledSystem, lay: Any) -> int:
    """The bit mask of a packed key without the starvation counters' fields (-1: nothing to drop)."""
    drop = set(ghost_slots(c.system))
    if not drop:
        return -1
    mask = (1 << lay.bits) - 1
    for slot in drop:
        for f in _fields_of(lay.shape[slot]):
            fl = lay.fields[f]
            mask &= ~(((1 << fl.width) - 1) << fl.off)
    return mask


def _fields_of(shape: Any) -> list[int]:
    return [f for sh in shape for f in _fields_of(sh)] if isinstance(shape, list) else [shape]


def _build_packed(c: CompiledSystem, kernel: Any, lim: dict[str, Any], progress: Callable[[int, float], None] | None,
                  g0: StateGraph, n: int, t0: float) -> StateGraph | None:
    """:func:`build_graph` on the packed kernel, from the graph ``g0`` whose first ``n`` nodes are
    expanded; None when the kernel fails (the generic loop then redoes it all)."""
    system = c.system
    lay = kernel.layout
    max_states = lim.get("max_states") or 0
    max_seconds = lim.get("max_seconds")
    max_depth = lim.get("max_depth")
    proj = _projection(c, lay)
    keys = [lay.pack(s) for s in g0.states]  # packed full state of each node's representative
    index: dict[int, int] = {k & proj: i for i, k in enumerate(keys)}
    parent, via, depth = list(g0.parent), list(g0.via), list(g0.depth)
    nt = len(system.transitions)
    fired = list(g0.fired)
    succ: list[list[Edge]] = g0.succ[:n]
    n_edges = g0.n_edges
    limit_hit: str | None = None
    ident = range(1 << 62)  # frontier position = node index
    never = _NoneSeen()
    while n < len(keys):
        now = time.perf_counter() - t0
        if max_seconds is not None and now > max_seconds:
            limit_hit = "time"
            break
        if progress is not None:
            progress(len(keys), now)
        b = min(len(keys), n + GRAPH_CHUNK)
        if max_depth is not None:
            if depth[n] >= max_depth:
                limit_hit = "depth"
                break
            b = bisect_left(depth, max_depth, n, b)  # BFS order: depths never decrease
        par, tids, nk = array("i"), array("i"), []
        try:
            kernel.run(keys, ident, n, b, never, par, tids, nk, [], [], fired, 0, 1 << 62, [0, 0, 0], (), False)
        except Exception:  # noqa: BLE001 - the generic loop reports it in the spec's terms
            return None
        stop = b
        # near the states limit: the generic loop stops after the first node whose successors pass it
        careful = bool(max_states) and len(keys) + len(nk) > max_states
        get = index.get
        dst: list[int] = []
        d_app = dst.append
        prev = n
        for i, (k, src, tid) in enumerate(zip(nk, par, tids)):
            if careful and src != prev:
                if len(keys) > max_states:
                    stop = src
                    del nk[i:], par[i:], tids[i:]
                    break
                prev = src
            kk = k & proj
            j = get(kk)
            if j is None:
                j = index[kk] = len(keys)
                keys.append(k)
                parent.append(src)
                via.append(tid)
                depth.append(depth[src] + 1)
            d_app(j)
        else:
            if careful and len(keys) > max_states:
                stop = (par[-1] + 1) if par else b
        edges = list(zip(tids.tolist(), dst))
        at = 0
        counts = Counter(par)
        for u in range(n, stop):
            m = counts.get(u, 0)
            succ.append(edges[at:at + m])
            at += m
        n_edges += len(edges)
        if stop < b:
            limit_hit = "states"
            n = stop
            break
        n = b
        if max_states and len(keys) > max_states:
            limit_hit = "states"
            break
    if limit_hit is not None and any(fired):
        # as the generic loop: count the steps of expanded nodes only
        fired = [0] * nt
        for out in succ:
            for tid, _ in out:
                fired[tid] += 1
    g = StateGraph(system, PackedStates(keys, lay), succ, parent, via, limit_hit=limit_hit, n_edges=n_edges,
                   fired=fired, depth=depth)
    while len(g.succ) < len(g.states):
        g.succ.append([])
    g.seconds = time.perf_counter() - t0
    return g


def _build_generic(
    c: CompiledSystem,
    limits: dict[str, Any] | None = None,
    progress: Callable[[int, float], None] | None = None,
    handoff: int | None = None,
) -> tuple[StateGraph, int | None]:
    """:func:`build_graph` on the generic semantics (logical states). With ``handoff``: stops before
    expanding a node ``n >= handoff`` when ``handoff`` more wait, and returns the graph so far and ``n``
    (else None)."""
    t0 = time.perf_counter()
    system = c.system
    lim = limits or {}
    max_states = lim.get("max_states") or 0
    max_seconds = lim.get("max_seconds")
    max_depth = lim.get("max_depth")
    drop = set(ghost_slots(system))
    keep = [k for k in range(len(system.vars)) if k not in drop]
    if drop and keep:
        get = itemgetter(*keep)
        key: Callable[[State], Any] = (lambda s: get(s)) if len(keep) > 1 else (lambda s: (get(s),))
    else:
        key = lambda s: s  # noqa: E731
    init = system.init_state()
    g = StateGraph(system, [init], [], [-1], [-1], fired=[0] * len(system.transitions))
    index: dict[Any, int] = {key(init): 0}
    depth_of = g.depth = [0]
    successors = c.successors
    fired = g.fired
    n = 0
    while n < len(g.states):
        if handoff is not None and n >= handoff and len(g.states) - n >= handoff:
            g.seconds = time.perf_counter() - t0
            return g, n
        if n & 1023 == 0 and n:
            now = time.perf_counter() - t0
            if max_seconds is not None and now > max_seconds:
                g.limit_hit = "time"
                break
            if progress is not None:
                progress(len(g.states), now)
        s = g.states[n]
        if max_depth is not None and depth_of[n] >= max_depth:
            g.limit_hit = "depth"
            break
        try:
            succ = successors(s)
        except StepError as err:
            g.error = err.message
            g.error_state = n
            g.error_tid = err.tid
            break
        out: list[Edge] = []
        for tid, t in succ:
            fired[tid] += 1
            k = key(t)
            j = index.get(k)
            if j is None:
                j = len(g.states)
                index[k] = j
                g.states.append(t)
                g.parent.append(n)
                g.via.append(tid)
                depth_of.append(depth_of[n] + 1)
            out.append((tid, j))
        g.succ.append(out)
        g.n_edges += len(out)
        n += 1
        if max_states and len(g.states) > max_states:
            g.limit_hit = "states"
            break
    # nodes discovered but not expanded (limits): no edges known
    while len(g.succ) < len(g.states):
        g.succ.append([])
    g.seconds = time.perf_counter() - t0
    return g, None
