"""Exhaustive breadth-first exploration with shortest counterexamples.

Storage per distinct state: its key in a set (the state tuple itself in exact mode, a
64-bit hash in fingerprint mode), the index of its parent and the index of the
transition that reached it. Traces are rebuilt by replaying those transitions from the
initial state (stateright's scheme), which also re-checks the semantics' determinism.

A state that violates an invariant is recorded and not expanded further: its successors
would only repeat the error. Exploration continues until every property is decided or
the state space is exhausted, so each violated property gets its own shortest trace.
"""

from __future__ import annotations

import resource
import time
from array import array
from dataclasses import dataclass
from typing import Callable

from checker.lang.pycompile import CompiledSystem, State, StepError
from checker.lang.system import Property
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult, PropertyResult, Stats, Trace

SAFETY_KINDS = ("invariant", "transition", "deadlock")


@dataclass
class Limits:
    max_states: int | None = None
    max_depth: int | None = None
    max_seconds: float | None = None


@dataclass
class Progress:
    states: int
    transitions: int
    depth: int
    frontier: int
    seconds: float


ProgressFn = Callable[[Progress], None]


class Explorer:
    """One BFS over a compiled system for a set of safety properties."""

    def __init__(
        self,
        compiled: CompiledSystem,
        props: list[Property],
        limits: Limits | None = None,
        store: str = "exact",
        progress: ProgressFn | None = None,
    ) -> None:
        unknown = [p.name for p in props if p.kind not in SAFETY_KINDS]
        if unknown:
            raise ValueError(f"the explicit safety engine cannot check {unknown}")
        if store not in ("exact", "fingerprint"):
            raise ValueError(f"store must be 'exact' or 'fingerprint', not {store!r}")
        self.c = compiled
        self.system = compiled.system
        self.props = props
        self.limits = limits or Limits()
        self.store = store
        self.progress = progress
        self.parent = array("q")
        self.via = array("l")
        self.init_states: list[State] = [self.system.init_state()]

    # -- traces
    def path_to(self, idx: int) -> tuple[list[State], list[int]]:
        """States and transition indices from an initial state to state ``idx``, by replay."""
        tids: list[int] = []
        while self.parent[idx] >= 0:
            tids.append(self.via[idx])
            idx = self.parent[idx]
        tids.reverse()
        s = self.init_states[self.via[idx]]
        states = [s]
        for tid in tids:
            nxt = self.c.step(s, tid)
            if nxt is None:
                raise RuntimeError(f"nondeterminism: step {self.system.transitions[tid].key} did not replay")
            states.append(nxt)
            s = nxt
        return states, tids

    def _trace(self, idx: int, prop: str, kind: str, extra: tuple[int, State] | None = None) -> Trace:
        states, tids = self.path_to(idx)
        if extra is not None:
            tids.append(extra[0])
            states.append(extra[1])
        steps = [self.system.transitions[t] for t in tids]
        return Trace(self.system, states, steps, prop, kind=kind, engine="explicit")

    # -- the search
    def run(self) -> EngineResult:
        t0 = time.perf_counter()
        sys_ = self.system
        invs = [p for p in self.props if p.kind == "invariant"]
        edges = [(p, self.c.edge_fn(p.expr)) for p in self.props if p.kind == "transition"]
        deadlocks = [(p, self.c.state_fn(p.expr)) for p in self.props if p.kind == "deadlock"]
        check = self.c.invariant_checker(invs)  # every invariant: a violating state is never expanded
        inv_fns = [(p, self.c.state_fn(p.expr)) for p in invs]
        found: dict[str, Trace] = {}
        successors = self.c.successors
        fired = [0] * len(sys_.transitions)
        exact = self.store == "exact"
        seen: set = set()
        parent, via = self.parent, self.via
        lim = self.limits
        max_states = lim.max_states or 0
        stats = Stats(store=self.store)
        error: str | None = None
        error_trace: Trace | None = None

        def record(idx: int, s: State) -> None:
            # the rare path: which not-yet-reported invariants does this state break?
            for p, fn in inv_fns:
                if p.name not in found and not fn(s):
                    found[p.name] = self._trace(idx, p.name, "safety")

        def key(s: State) -> object:
            return s if exact else hash(s)

        frontier: list[tuple[int, State]] = []
        for k, s in enumerate(self.init_states):
            if key(s) in seen:
                continue
            seen.add(key(s))
            parent.append(-1)
            via.append(k)
            idx = len(parent) - 1
            if check(s) >= 0:
                record(idx, s)
            else:
                frontier.append((idx, s))

        depth = 0
        n_trans = 0
        last_report = t0
        limit_hit: str | None = None
        expanded = 0
        while frontier and limit_hit is None:
            if lim.max_depth is not None and depth >= lim.max_depth:
                limit_hit = "depth"
                break
            nxt: list[tuple[int, State]] = []
            for idx, s in frontier:
                expanded += 1
                if expanded & 1023 == 0:
                    now = time.perf_counter()
                    if lim.max_seconds is not None and now - t0 > lim.max_seconds:
                        limit_hit = "time"
                        break
                    if self.progress is not None and now - last_report > 0.5:
                        last_report = now
                        self.progress(Progress(len(parent), n_trans, depth, len(frontier) + len(nxt), now - t0))
                try:
                    succ = successors(s)
                except StepError as err:
                    t = sys_.transitions[err.tid]
                    error = f"modelling error in step {t.key} [{t.function}]: {err.message}"
                    error_trace = self._trace(idx, "modelling error", "error")
                    error_trace.failing_step = t
                    error_trace.message = err.message
                    limit_hit = "error"
                    break
                n_trans += len(succ)
                if not succ:
                    for p, end in deadlocks:
                        if p.name not in found and not end(s):
                            found[p.name] = self._trace(idx, p.name, "deadlock")
                for tid, t in succ:
                    fired[tid] += 1
                    for p, fn in edges:
                        if p.name not in found and not fn(s, t):
                            found[p.name] = self._trace(idx, p.name, "safety", (tid, t))
                    k = t if exact else hash(t)
                    if k in seen:
                        continue
                    seen.add(k)
                    parent.append(idx)
                    via.append(tid)
                    new = len(parent) - 1
                    if check(t) >= 0:
                        record(new, t)
                        continue
                    nxt.append((new, t))
                    if max_states and len(parent) >= max_states:
                        limit_hit = "states"
                        break
                if limit_hit:
                    break
                if len(found) == len(self.props):
                    break
            if len(found) == len(self.props):
                break
            if nxt:
                depth += 1
            frontier = nxt
        elapsed = time.perf_counter() - t0
        stats.states = len(parent)
        stats.transitions = n_trans
        stats.depth = depth
        stats.seconds = elapsed
        stats.limit_hit = limit_hit if limit_hit != "error" else None
        stats.peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        stats.coverage = {}
        for t in sys_.transitions:
            stats.coverage[t.key] = stats.coverage.get(t.key, 0) + fired[t.index]
        if not exact:
            # TLC's optimistic estimate: n distinct among m generated, 64-bit fingerprints
            stats.collision_probability = len(parent) * max(n_trans - len(parent), 0) / 2.0**64
        results = []
        complete = limit_hit is None
        for p in self.props:
            if p.name in found:
                results.append(PropertyResult(p.name, p.kind, VIOLATED, found[p.name], engine="explicit"))
            elif error is not None:
                results.append(PropertyResult(p.name, p.kind, ERROR, engine="explicit", note=error))
            elif complete:
                results.append(PropertyResult(p.name, p.kind, HOLDS, engine="explicit"))
            else:
                results.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="explicit",
                                              note=f"{limit_hit} limit reached"))
        return EngineResult("explicit", results, stats, error, error_trace)


def explore(
    compiled: CompiledSystem,
    props: list[Property],
    limits: Limits | None = None,
    store: str = "exact",
    progress: ProgressFn | None = None,
) -> EngineResult:
    """Explore every reachable state of ``compiled`` checking ``props`` (safety kinds)."""
    return Explorer(compiled, props, limits, store, progress).run()
