"""The reachable state graph for liveness checks.

Nodes are reachable states with the ghost starvation counters projected away: those counters
never influence a step (only their own update reads them), so the graph of the projected states
is the reachable graph of the system without them, and a cycle there is a cycle of behaviour.
Each node keeps one representative full state; edges keep the transition index. A BFS tree
(``parent``/``via``) gives shortest prefixes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable

from checker.lang.pycompile import CompiledSystem, State, StepError
from checker.lang.system import System

Edge = tuple[int, int]  # (transition index, target node)


@dataclass
class StateGraph:
    system: System
    states: list[State]  # representative full state of each node
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
    """Explore every reachable (projected) state of ``c``; respects max_states, max_depth and max_seconds."""
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
    return g
