"""Fair cycles: strongly connected components (networkx) pruned for strong fairness, and lassos.

A lasso is a path from the initial state to an *entry* node followed by a loop from the entry back
to it (an empty loop means the run stutters in the entry forever, allowed only where no fair group
is enabled). A loop is fair when, for every weak group enabled in all its states, and for every
strong group enabled in one of its states, it takes a step of the group.

Strongly connected components come from :func:`sccs`, an iterative Tarjan over the graph's integer
adjacency lists (networkx's construction of a DiGraph cost 5x the whole search on napi_basic N=3; the
tests check :func:`sccs` against ``networkx.strongly_connected_components``).

Search (the Emerson–Lei/Streett scheme used by explicit model checkers): in a strongly connected
component, a weak group enabled in every state but never taken inside rules the whole component out
(every cycle in it is unfair); a strong group enabled somewhere but never taken inside rules out the
states where it is enabled, and the rest is decomposed again. A surviving component holds a fair cycle
through all of its states; the loop built visits, for each group, a step of the group or a state where
it is disabled.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from checker.liveness.fairness import FairGroup, group_masks
from checker.liveness.graph import Edge, StateGraph

EdgeOk = Callable[[int, int, int], bool]  # (source node, transition, target node)


@dataclass
class Lasso:
    prefix: list[Edge]  # edges from the initial node to the entry
    loop: list[Edge]  # edges from the entry back to it; [] = stutter forever in the entry
    entry: int


def _all(u: int, tid: int, v: int) -> bool:
    return True


def sccs(nodes: Iterable[int], succ: Callable[[int], Iterable[int]], size: int) -> list[list[int]]:
    """Strongly connected components (Tarjan, iterative) of the graph on ``nodes`` with successors
    ``succ(u)`` (which must stay inside ``nodes``); node ids are below ``size``. Components come out in
    reverse topological order: every component reachable from one is listed before it."""
    index = [-1] * size
    low = [0] * size
    onstack = bytearray(size)
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        onstack[root] = 1
        work = [(root, iter(succ(root)))]
        while work:
            v, it = work[-1]
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    onstack[w] = 1
                    work.append((w, iter(succ(w))))
                    break
                if onstack[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        onstack[w] = 0
                        comp.append(w)
                        if w == v:
                            break
                    out.append(comp)
    return out


class FairSearch:
    """Fair-cycle search on one state graph for one set of fairness groups."""

    def __init__(self, g: StateGraph, groups: list[FairGroup]) -> None:
        self.g = g
        self.groups = groups
        self.masks = group_masks(g.system, groups)
        m = self.masks
        self.en = [_or(m[tid] for tid, _ in out) for out in g.succ]
        self.weak = _or(1 << b for b, gr in enumerate(groups) if gr.kind == "weak")
        self.strong = _or(1 << b for b, gr in enumerate(groups) if gr.kind == "strong")

    # ------------------------------------------------------------ reachability inside a region
    def reach(self, sources: Iterable[int], region: Callable[[int], bool], path_ok: EdgeOk = _all
              ) -> dict[int, tuple[int, int]]:
        """Nodes reachable from ``sources`` (in the region) through region nodes, nearest to the initial state
        first (distance = a source's depth + steps from it): node -> (parent, tid), parent -1 at a source."""
        depth = self.g.depth
        pending = sorted((s for s in set(sources) if region(s)), key=depth.__getitem__, reverse=True)
        par: dict[int, tuple[int, int]] = {}
        dist: dict[int, int] = {}
        dq: deque[int] = deque()
        succ = self.g.succ
        while dq or pending:
            # a source enters when the search reaches its depth: one queue ordered by total distance
            while pending and (not dq or depth[pending[-1]] <= dist[dq[0]]):
                s = pending.pop()
                if s not in par:
                    par[s] = (-1, -1)
                    dist[s] = depth[s]
                    dq.append(s)
            if not dq:
                continue
            u = dq.popleft()
            for tid, v in succ[u]:
                if v not in par and region(v) and path_ok(u, tid, v):
                    par[v] = (u, tid)
                    dist[v] = dist[u] + 1
                    dq.append(v)
        return par

    # ------------------------------------------------------------ fair components
    def fair_components(self, nodes: Iterable[int], cycle_ok: EdgeOk = _all,
                        need: EdgeOk | None = None) -> list[set[int]]:
        """Maximal node sets that hold a fair cycle (with a ``need`` edge, if given) over ``cycle_ok`` edges."""
        succ, en, masks = self.g.succ, self.en, self.masks
        out: list[set[int]] = []
        work: list[set[int]] = [set(nodes)]
        size = len(succ)
        while work:
            part = work.pop()

            if cycle_ok is _all:
                def nxt(u: int, part: set[int] = part) -> list[int]:
                    return [v for _, v in succ[u] if v in part]
            else:
                def nxt(u: int, part: set[int] = part) -> list[int]:
                    return [v for tid, v in succ[u] if v in part and cycle_ok(u, tid, v)]

            for comp_list in sccs(part, nxt, size):
                comp = set(comp_list)
                if len(comp) == 1:
                    (u,) = comp
                    if not any(v == u and cycle_ok(u, tid, v) for tid, v in succ[u]):
                        continue
                taken = 0
                needed = need is None
                trivial = cycle_ok is _all
                for u in comp:
                    for tid, v in succ[u]:
                        if v in comp and (trivial or cycle_ok(u, tid, v)):
                            taken |= masks[tid]
                            if not needed and need(u, tid, v):  # type: ignore[misc]
                                needed = True
                if not needed:
                    continue
                all_en = -1
                any_en = 0
                for u in comp:
                    all_en &= en[u]
                    any_en |= en[u]
                if all_en & self.weak & ~taken:
                    continue  # a weak group enabled throughout and never taken: no fair cycle in here
                bad = any_en & self.strong & ~taken
                if bad:
                    rest = {u for u in comp if not en[u] & bad}
                    if rest:
                        work.append(rest)
                    continue
                out.append(comp)
        return out

    # ------------------------------------------------------------ loops
    def _path(self, comp: set[int], src: int, goal: Callable[[int], bool], cycle_ok: EdgeOk,
              first_step: bool = False) -> list[Edge]:
        return path_inside(self.g, comp, src, goal, cycle_ok, first_step)

    def loop_through(self, comp: set[int], entry: int, cycle_ok: EdgeOk = _all,
                     need: EdgeOk | None = None) -> list[Edge]:
        """A fair loop from ``entry`` back to it inside the fair component ``comp``: greedily walk to the
        nearest step or state that meets a fairness obligation not met yet, then back to the entry."""
        en, masks = self.en, self.masks
        any_en = _or(en[u] for u in comp)
        all_en = -1
        for u in comp:
            all_en &= en[u]
        # obligations: group bits to take (a step of the group), or to take or escape (a state where the
        # group is disabled also does for a weak group not enabled everywhere)
        todo = any_en
        escapable = any_en & self.weak & ~all_en
        want_need = need is not None

        def node_meets(u: int) -> bool:
            return bool(escapable & todo & ~en[u])

        def edge_meets(u: int, tid: int, v: int) -> bool:
            return bool(masks[tid] & todo) or (want_need and need(u, tid, v))  # type: ignore[misc]

        loop: list[Edge] = []
        cur = entry
        todo &= en[cur] | ~escapable
        while todo or want_need:
            path = walk(self.g, comp, cur, cycle_ok, node_meets, edge_meets)
            prev = cur
            for tid, v in path:
                todo &= ~masks[tid]
                if want_need and need(prev, tid, v):  # type: ignore[misc]
                    want_need = False
                todo &= en[v] | ~escapable
                prev = v
            loop += path
            cur = path[-1][1] if path else cur
        loop += path_inside(self.g, comp, cur, lambda x: x == entry, cycle_ok, first_step=not loop)
        return loop

    # ------------------------------------------------------------ the whole search
    def find(self, sources: Iterable[int], region: Callable[[int], bool], cycle_ok: EdgeOk = _all,
             path_ok: EdgeOk = _all, stutter: bool = True, need: EdgeOk | None = None) -> Lasso | None:
        """A fair lasso whose path from one of ``sources`` and whose loop stay in ``region`` (loop edges
        satisfying ``cycle_ok``), or None. ``stutter``: a region state where no fair group is enabled
        counts as a loop (the run may stop there)."""
        par = self.reach(sources, region, path_ok)
        if not par:
            return None
        order = {u: k for k, u in enumerate(par)}  # BFS order: nearer first
        best: tuple[int, int, set[int] | None] | None = None
        if stutter and need is None:
            for u in par:
                if self.en[u] == 0:
                    best = (order[u], u, None)
                    break
        for comp in self.fair_components(par.keys(), cycle_ok, need):
            entry = min(comp, key=order.__getitem__)
            if best is None or order[entry] < best[0]:
                best = (order[entry], entry, comp)
        if best is None:
            return None
        _, entry, comp = best
        path: list[Edge] = []
        u = entry
        while par[u][0] >= 0:
            pu, tid = par[u]
            path.append((tid, u))
            u = pu
        path.reverse()
        prefix = self.g.prefix(u) + path
        loop = [] if comp is None else self.loop_through(comp, entry, cycle_ok, need)
        return Lasso(prefix, loop, entry)


def _or(xs: Iterable[int]) -> int:
    m = 0
    for x in xs:
        m |= x
    return m


def path_inside(g: StateGraph, comp: set[int], src: int, goal: Callable[[int], bool], ok: EdgeOk,
                first_step: bool = False) -> list[Edge]:
    """Shortest path inside ``comp`` (edges satisfying ``ok``) from ``src`` to a node satisfying ``goal``
    (at least one step when ``first_step``)."""
    if not first_step and goal(src):
        return []
    par: dict[int, tuple[int, int]] = {src: (-1, -1)}
    dq = deque([src])
    succ = g.succ
    while dq:
        u = dq.popleft()
        for tid, v in succ[u]:
            if v in comp and ok(u, tid, v) and (v not in par or (first_step and v == src)):
                if goal(v):
                    return _unwind(par, src, u, [(tid, v)])
                if v not in par:
                    par[v] = (u, tid)
                    dq.append(v)
    raise RuntimeError("no path inside a strongly connected component")


def _unwind(par: dict[int, tuple[int, int]], src: int, u: int, last: list[Edge]) -> list[Edge]:
    """The path from ``src`` to ``u`` by BFS parents ``par``, followed by the edges ``last``."""
    path = list(reversed(last))
    while u != src:
        pu, pt = par[u]
        path.append((pt, u))
        u = pu
    path.reverse()
    return path


def walk(g: StateGraph, comp: set[int], src: int, ok: EdgeOk, node_goal: Callable[[int], bool],
         edge_goal: EdgeOk) -> list[Edge]:
    """Shortest path inside ``comp`` from ``src`` that ends in a node meeting ``node_goal`` or with a step
    meeting ``edge_goal``."""
    par: dict[int, tuple[int, int]] = {src: (-1, -1)}
    dq = deque([src])
    succ = g.succ

    def back(u: int, last: list[Edge]) -> list[Edge]:
        return _unwind(par, src, u, last)

    while dq:
        u = dq.popleft()
        for tid, v in succ[u]:
            if v not in comp or not ok(u, tid, v):
                continue
            if edge_goal(u, tid, v):
                return back(u, [(tid, v)])
            if v not in par:
                par[v] = (u, tid)
                if node_goal(v):
                    return back(v, [])
                dq.append(v)
    raise RuntimeError("a fairness obligation cannot be met inside a fair component")
