"""Exhaustive breadth-first exploration with shortest counterexamples.

Storage per distinct state: its key in a set, the index of its parent (4 bytes) and the
index of the transition that reached it (2 bytes). Traces are rebuilt by replaying those
transitions from the initial state (stateright's scheme), which also re-checks the
semantics' determinism.

Two loops compute the same thing. The fast one (checker.explicit.packed) keys states by
an exact bit-packing into one int and runs a kernel generated for the configuration; it
handles every spec whose variables are scalars, arrays and sequences of scalars, without
transition invariants. The generic loop runs the compiled successor function over logical
states (key: the state tuple in exact mode, its 64-bit fingerprint in fingerprint mode); it is
the reference, and the one used for transition invariants and symmetry reduction
(checker.explicit.symmetry). Large levels of the fast loop go to numpy frontiers when the state
fits in 62 bits (checker.explicit.vector_bfs), else to the same kernel compiled to C with a C
hash set of exact states (checker.explicit.native_bfs; exact store, one process, a C compiler
present). ``Limits.workers`` > 1 expands large levels of the fast loop
in several processes (checker.explicit.parallel). All of them give the same states,
transitions, depth, coverage, verdicts and traces (tests/test_explicit_fast.py).

Violations do not stop the search (TLC's ``-continue``): a state that violates a property
is recorded and still expanded, so the states explored, and each property's verdict and
shortest counterexample, do not depend on which other properties are checked. A property
is *done* once it has ``max_traces`` counterexamples of distinct causes (checker.cause);
the search ends early only when every property is done, so no property is ever reported
as holding on a state space that was not fully explored. ``stop_at_first_violation`` ends
the search after the first state that produced a violation: the properties not violated by
then are inconclusive.
"""

from __future__ import annotations

import resource
import time
from array import array
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from checker.explicit.fingerprint import collision_probability, key_fingerprint, state_fingerprint
from checker.cause import Cause, describe_cause, kernel_function
from checker.explicit.packed import Kernel, Layout, Unsupported
from checker.explicit.native_tree import TreeStore
from checker.explicit.store import PARENTS_KEPT, FingerprintStore, SpillArray
from checker.explicit.vector import VectorKernel, unpack_all
from checker.explicit.vector_bfs import vector_loop
from checker.explicit.symmetry import CHECKED_STATES, SymmetryError, check_state
from checker.lang.pycompile import CompiledSystem, State, StepError
from checker.lang.system import Property
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult, Progress, ProgressFn, PropertyResult, Stats, Trace

SAFETY_KINDS = ("invariant", "transition", "deadlock")
CHUNK = 2048  # frontier states per kernel call: the granularity of limits, progress and early stops
VIOLATING_SHARE = 256  # more than 1/256 of the handoff level violating an invariant: no native loop
STORES = ("exact", "fingerprint", "compact")  # compact: exact, tree-compressed on the native loop (native_tree)
DEFAULT_MAX_TRACES = 3  # counterexamples of distinct causes per violated property


@dataclass
class Limits:
    max_states: int | None = None
    max_depth: int | None = None
    max_seconds: float | None = None
    symmetry: bool = False  # reduce by the spec's declared symmetry (safety properties only)
    workers: int = 1  # processes expanding large frontiers (1: this process only)
    fast: bool = True  # use the packed kernel when the system allows it (False: the generic loop)
    vector: bool = True  # with fast: expand whole frontiers with numpy when the state fits in an int64
    handoff: int = 4096  # ... from the first level of this many states (smaller ones: the packed kernel is faster)
    native: bool = True  # with fast, wider states: the C kernel from the first level of ``handoff`` states ...
    compile_level: int = 16384  # ... or of this many when it is not compiled yet (small searches end before a compile pays)
    stop_at_first_violation: bool = False  # end after the first violating state (others: inconclusive)
    max_traces: int = DEFAULT_MAX_TRACES  # counterexamples of distinct causes per property (checker.cause)
    memory_mb: int | None = None  # fingerprint store: memory for visited fingerprints, then disk (checker.explicit.store)


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
        if store not in STORES:
            raise ValueError(f"store must be one of {', '.join(STORES)}, not {store!r}")
        self.c = compiled
        self.system = compiled.system
        self.props = props
        self.limits = limits or Limits()
        self.store = store
        self.lossy = store == "fingerprint"  # 64-bit fingerprints: never "holds" without the collision odds
        self.progress = progress
        # 4 bytes per parent index, 2 per step index (4 with more than 65,535 steps)
        via_type = "H" if len(self.system.transitions) < 1 << 16 else "i"
        if store != "exact":  # parents and steps may spill to disk too (checker.explicit.store)
            self.parent: array[int] = SpillArray("i")
            self.via: array[int] = SpillArray(via_type)
        else:
            self.parent = array("i")
            self.via = array(via_type)
        self.init_states: list[State] = [self.system.init_state()]
        self._fps: FingerprintStore | None = None  # the packed loop's fingerprint store (may spill to disk)
        self._stop_tid: int | None = None  # the step of the last state added before the states limit stopped a call
        self.engine_note = ""
        self.native_compile_seconds = 0.0  # C compile time of the native kernel (0: none, or from the cache)

    # -- traces
    def path_to(self, idx: int) -> tuple[list[State], list[int]]:
        """States and transition indices from an initial state to state ``idx``, by replay."""
        tids: list[int] = []
        while self.parent[idx] >= 0:
            tids.append(self.via[idx])
            idx = self.parent[idx]
        tids.reverse()
        return self._replay(self.via[idx], tids)

    def _replay(self, root: int, tids: list[int]) -> tuple[list[State], list[int]]:
        """States from initial state ``root`` along the steps ``tids`` (re-checking determinism)."""
        s = self.init_states[root]
        states = [s]
        for tid in tids:
            nxt = self.c.step(s, tid)
            if nxt is None:
                raise RuntimeError(f"nondeterminism: step {self.system.transitions[tid].key} did not replay")
            states.append(nxt)
            s = nxt
        return states, tids

    def _trace(self, idx: int, prop: str, kind: str) -> Trace:
        states, tids = self.path_to(idx)
        steps = [self.system.transitions[t] for t in tids]
        return Trace(self.system, states, steps, prop, kind=kind, engine="explicit")

    def _hit_trace(self, prop: str, pidx: int, tid: int, kind: str) -> Trace:
        """The trace of a hit: the path to state ``pidx`` and step ``tid`` (``pidx`` -1: initial state ``tid``)."""
        if pidx < 0:
            return Trace(self.system, [self.init_states[tid]], [], prop, kind=kind, engine="explicit")
        states, tids = self.path_to(pidx)
        nxt = self.c.step(states[-1], tid)
        if nxt is None:
            raise RuntimeError(f"nondeterminism: step {self.system.transitions[tid].key} did not replay")
        states.append(nxt)
        steps = [self.system.transitions[t] for t in tids + [tid]]
        return Trace(self.system, states, steps, prop, kind=kind, engine="explicit")

    # -- violations: recorded in search order, as (cause, parent index, step, kind) per property
    def _cause(self, pidx: int, tid: int) -> tuple[int, int]:
        """The cause (checker.cause) of the state reached from ``pidx`` by ``tid``, as (function id, function bits)."""
        if pidx < 0:
            return (-1, 0)
        fid, bits = self.fn_id, self.fn_bit
        mask = bits[tid]
        parent, via = self.parent, self.via
        i = pidx
        while parent[i] >= 0:
            mask |= bits[via[i]]
            i = parent[i]
        return (fid[tid], mask)

    def _hit(self, p: Property, pidx: int, tid: int, kind: str) -> None:
        """A fresh violation of ``p`` (a state reached from ``pidx`` by ``tid``): kept if its cause is new."""
        lst = self.hits[p.name]
        fid, mask = cause = self._cause(pidx, tid)
        # not distinct: the same entering function and every function of a reported cause (checker.cause)
        if all(f != fid or mask & m != m for (f, m), _, _, _ in lst):
            lst.append((cause, pidx, tid, kind))

    def _done(self, name: str) -> bool:
        return len(self.hits[name]) >= self.need

    def _all_done(self) -> bool:
        """Every property is decided as far as this search goes: stop (see the module docstring)."""
        if self.limits.stop_at_first_violation:
            return any(self.hits.values())
        return all(len(h) >= self.need for h in self.hits.values())

    # -- the search
    def run(self) -> EngineResult:
        t0 = time.perf_counter()
        sys_ = self.system
        invs = [p for p in self.props if p.kind == "invariant"]
        self.edges = [(p, self.c.edge_fn(p.expr)) for p in self.props if p.kind == "transition"]
        self.deadlocks = [(p, self.c.state_fn(p.expr)) for p in self.props if p.kind == "deadlock"]
        self.check = self.c.invariant_checker(invs)  # every invariant: a violating state is never expanded
        self.inv_fns = [(p, self.c.state_fn(p.expr)) for p in invs]
        self.hits: dict[str, list[tuple[tuple[int, int], int, int, str]]] = {p.name: [] for p in self.props}
        self.need = 1 if self.limits.stop_at_first_violation else max(1, self.limits.max_traces)
        self.cut_short = False  # the search ended because every property was done (not exhausted)
        self.pruned = 0  # violating states not expanded because a step raises in them (see _prune)
        self.pruned_note: str | None = None
        # violating states of the level being expanded (now) and of the next one: index -> bit mask over inv_fns
        self.viol_now: dict[int, int] = {}
        self.viol_next: dict[int, int] = {}
        fnames: dict[str, int] = {}
        self.fn_id = [fnames.setdefault(kernel_function(t), len(fnames)) for t in sys_.transitions]
        self.fn_bit = [1 << f for f in self.fn_id]
        self.fn_names = list(fnames)
        self.fired = [0] * len(sys_.transitions)
        self.n_trans = 0
        self.extra_trans = 0
        self.depth = 0
        self.error: str | None = None
        self.error_trace: Trace | None = None
        self.t0 = t0
        lim = self.limits
        kernel = None
        canon = None
        if lim.symmetry:
            from checker.explicit.symmetry import canonicaliser

            try:
                canon = canonicaliser(self.c, self.props)
            except SymmetryError as err:
                self.error = f"symmetry reduction refused: {err}"
                return self._result("error")
        elif lim.fast and not self.edges:
            from checker.explicit.packed import build_kernel

            try:
                kernel = build_kernel(self.c, invs, fingerprint=self.lossy)
            except Unsupported:
                kernel = None
        vk = None
        if kernel is not None and lim.vector and not self.lossy:
            try:
                vk = VectorKernel(self.c, invs, [p.expr for p, _ in self.deadlocks])
            except Unsupported:
                vk = None
        if vk is not None and kernel is not None:
            self.engine_note = "packed kernel"
            limit_hit = self._packed_loop(kernel, handoff=lim.handoff)
            if limit_hit == "handoff":
                self.engine_note = "packed kernel + numpy frontiers"
                limit_hit = vector_loop(self, vk, self._handoff)
            self.n_trans = sum(self.fired) + self.extra_trans
        elif kernel is not None:
            self.engine_note = "packed kernel"
            if lim.workers > 1:
                from checker.explicit.parallel import packed_loop_parallel

                limit_hit = packed_loop_parallel(self, kernel, lim.workers)
            else:
                limit_hit = self._native_or_packed(kernel, invs)
        else:
            self.engine_note = "generic" + (" + symmetry" if canon else "")
            limit_hit = self._generic_loop(canon)
        result = self._result(limit_hit)
        if self._fps is not None:
            result.stats.spilled_bytes = self._fps.disk_bytes()
            self._fps.close()
        for arr in (self.parent, self.via):
            if isinstance(arr, SpillArray):
                result.stats.spilled_bytes += arr.base * arr.itemsize
        result.stats.symmetry = canon is not None
        result.stats.loop = self.engine_note
        result.reached = self._reached(kernel)
        return result

    def _native_or_packed(self, kernel: Kernel, invs: list[Property]) -> str | None:
        """The packed loop, handing large levels to the native (C) loop when one can be built
        (exact store; see checker.explicit.native). Otherwise the packed loop goes on, and the
        engine note says why in one line. A kernel not compiled yet waits for a level of
        ``Limits.compile_level`` states: below that, the search is over before a compile pays."""
        lim = self.limits
        if not lim.native or self.lossy:
            if lim.native:
                self.engine_note = "packed kernel (native kernel: exact stores only)"
            return self._packed_loop(kernel)
        limit_hit = self._packed_loop(kernel, handoff=lim.handoff)
        if limit_hit != "handoff":
            return limit_hit
        from checker.explicit.native import NativeUnavailable, compiler, native_source
        from checker.explicit.native_bfs import native_loop

        if len(self.viol_next) * VIOLATING_SHARE > len(self._handoff[0]) and lim.compile_level:
            # the native loop hands every possibly violating state back to Python one by one: with
            # many of them (a buggy configuration past its violations) the packed loop is faster
            self.engine_note = "packed kernel (native kernel not used: many violating states)"
            return self._packed_loop(kernel, resume=self._handoff)
        try:
            if compiler() is None:
                raise NativeUnavailable("no C compiler on the PATH (set CC)")
            src = native_source(self.c, invs)
            level = max(lim.handoff, lim.compile_level)
            if not src.cached and len(self._handoff[0]) < level:
                limit_hit = self._packed_loop(kernel, handoff=level, resume=self._handoff)
                if limit_hit != "handoff":
                    self.engine_note = "packed kernel (too small to compile the native kernel)"
                    return limit_hit
            nk = src.load()
        except NativeUnavailable as err:
            self.engine_note = f"packed kernel (native kernel unavailable: {err})"
            return self._packed_loop(kernel, resume=self._handoff)
        built = "cached" if nk.info.cached else f"compiled in {nk.info.compile_seconds:.1f} s"
        if self.store == "compact":
            built += ", compact store"
        self.engine_note = f"packed kernel + native C kernel ({built})"
        self.native_compile_seconds = nk.info.compile_seconds
        limit_hit = native_loop(self, nk, self._handoff)
        self.n_trans = sum(self.fired) + self.extra_trans
        return limit_hit

    def _reached(self, kernel: Kernel | None) -> Callable[[], Iterable[State]] | None:
        """Every stored state as a logical tuple (exact store only; orbit representatives under symmetry)."""
        seen = self._seen
        if self.lossy or isinstance(seen, TreeStore):  # the compact store cannot give its states back
            return None
        if kernel is None:
            return lambda: iter(seen)
        if isinstance(seen, np.ndarray):  # the numpy loop's sorted array: unpack field arrays at once
            return lambda: unpack_all(kernel.layout, seen)
        unpack = kernel.layout.unpack
        return lambda: (unpack(k) for k in seen)

    def _record(self, idx: int, s: State) -> None:
        """The new state ``idx`` violates some invariant (the rare path): note which, and the fresh violations."""
        mask = 0
        for bit, (_, fn) in enumerate(self.inv_fns):
            if not fn(s):
                mask |= 1 << bit
        if not mask:
            return
        self.viol_next[idx] = mask
        pidx = self.parent[idx]
        fresh = mask & ~self.viol_now.get(pidx, 0) if pidx >= 0 else mask
        for bit, (p, _) in enumerate(self.inv_fns):
            if fresh >> bit & 1 and not self._done(p.name):
                self._hit(p, pidx, self.via[idx], "safety")

    def _deadlock(self, idx: int, s: State) -> None:
        for p, end in self.deadlocks:
            if not self._done(p.name) and not end(s):
                self._hit(p, self.parent[idx], self.via[idx], "deadlock")

    def _next_level(self) -> None:
        self.viol_now, self.viol_next = self.viol_next, {}

    def _step_error(self, idx: int, err: StepError) -> None:
        t = self.system.transitions[err.tid]
        self.error = f"modelling error in step {t.described}: {err.message}"
        self.error_trace = self._trace(idx, "modelling error", "error")
        self.error_trace.failing_step = t
        self.error_trace.message = err.message

    def _generic_loop(self, canon: Callable[[State], object] | None) -> str | None:
        """The reference loop over logical states (any system; symmetry reduction when ``canon``)."""
        t0 = self.t0
        edges = self.edges
        successors = self.c.successors
        fired = self.fired
        check = self.check
        exact = not self.lossy
        self._seen = seen = set()
        parent, via = self.parent, self.via
        lim = self.limits
        max_states = lim.max_states or 0

        def key(s: State) -> object:
            if canon is not None:
                s = canon(s)
            return s if exact else state_fingerprint(s)

        frontier: list[tuple[int, State]] = []
        for k, s in enumerate(self.init_states):
            if key(s) in seen:
                continue
            seen.add(key(s))
            parent.append(-1)
            via.append(k)
            idx = len(parent) - 1
            if check(s) >= 0:
                self._record(idx, s)
            frontier.append((idx, s))

        n_trans = 0
        last_report = t0
        limit_hit: str | None = None
        expanded = 0
        while frontier and limit_hit is None:
            if lim.max_depth is not None and self.depth >= lim.max_depth:
                limit_hit = "depth"
                break
            nxt: list[tuple[int, State]] = []
            self._next_level()
            for idx, s in frontier:
                expanded += 1
                if expanded & 1023 == 0:
                    now = time.perf_counter()
                    if lim.max_seconds is not None and now - t0 > lim.max_seconds:
                        limit_hit = "time"
                        break
                    if self.progress is not None and now - last_report > 0.5:
                        last_report = now
                        self.progress(Progress(len(parent), n_trans, self.depth, len(frontier) + len(nxt), now - t0))
                try:
                    succ = successors(s)
                    if canon is not None and expanded <= CHECKED_STATES:
                        check_state(self.c, self.props, s)
                except StepError as err:
                    if idx in self.viol_now:
                        self._prune(idx, s, err)
                        continue
                    self._step_error(idx, err)
                    limit_hit = "error"
                    break
                except SymmetryError as err:
                    self.error = f"symmetry reduction refused: {err}"
                    limit_hit = "error"
                    break
                n_trans += len(succ)
                if not succ:
                    self._deadlock(idx, s)
                for tid, t in succ:
                    fired[tid] += 1
                    for p, fn in edges:
                        if not fn(s, t) and not self._done(p.name):
                            self._hit(p, idx, tid, "safety")
                    k = key(t) if canon is not None else (t if exact else state_fingerprint(t))
                    if k in seen:
                        continue
                    seen.add(k)
                    parent.append(idx)
                    via.append(tid)
                    new = len(parent) - 1
                    if check(t) >= 0:
                        self._record(new, t)
                    nxt.append((new, t))
                    if max_states and len(parent) >= max_states:
                        limit_hit = "states"
                        break
                if limit_hit:
                    break
                if self._all_done():
                    self.cut_short = True
                    break
            if self.cut_short:
                break
            if nxt:
                self.depth += 1
            frontier = nxt
        self.n_trans = n_trans
        return limit_hit

    def _packed_loop(self, kernel: Kernel, level_hook: Callable[..., Any] | None = None,
                     handoff: int | None = None, resume: tuple[Any, Any] | None = None) -> str | None:
        """The fast loop: packed keys, the generated kernel, logical states only for the rare paths.

        With ``handoff``, it stops before expanding a level of at least that many states and
        returns "handoff", leaving the frontier in ``self._handoff`` (keys, indices) for the
        numpy loop.

        ``level_hook(fk, fi, seen)`` (parallel mode) may hand part of a level to worker processes:
        it returns ``[(start, stop), children]`` — this process expands ``fk[start:stop]``, then
        merges the children's successors in slice order (see checker.explicit.parallel).

        ``resume`` (keys, indices): go on from that frontier, a handoff not taken, with ``self._seen``.
        """
        lay = kernel.layout
        fp = self.lossy
        parent, via = self.parent, self.via
        lim = self.limits
        self._max_n = lim.max_states or (1 << 62)
        if resume is not None:
            return self._packed_levels(kernel, list(resume[0]), resume[1], self._seen, level_hook, handoff)
        if fp:
            self._fps = FingerprintStore(self.limits.memory_mb)
            self._seen = seen = self._fps.hot
        else:
            self._seen = seen = set()
        fk: list[int] = []
        for k, s in enumerate(self.init_states):
            key = lay.pack(s)
            kk = key_fingerprint(key) if fp else key
            if kk in seen:
                continue
            seen.add(kk)
            parent.append(-1)
            via.append(k)
            if self.check(s) >= 0:
                self._record(len(parent) - 1, s)
            fk.append(key)
        fi: Sequence[int] = range(len(fk))  # every new state joins the next frontier: indices are consecutive
        return self._packed_levels(kernel, fk, fi, seen, level_hook, handoff)

    def _packed_levels(self, kernel: Kernel, fk: list[int], fi: Sequence[int], seen: Any,
                       level_hook: Callable[..., Any] | None, handoff: int | None) -> str | None:
        parent = self.parent
        lim = self.limits
        self._last_report = self.t0
        limit_hit: str | None = None
        while fk and limit_hit is None:
            if lim.max_depth is not None and self.depth >= lim.max_depth:
                limit_hit = "depth"
                break
            if handoff is not None and len(fk) >= handoff:
                self._handoff = (fk, fi)
                return "handoff"
            nk: list[int] = []
            first = len(parent)  # the next level's states get the indices first, first + 1, ...
            self._next_level()
            split = level_hook(fk, fi, seen) if level_hook is not None else None
            if split is None:
                limit_hit = self._run_slice(kernel, fk, fi, 0, len(fk), nk)
            else:
                from checker.explicit.parallel import collect, stop_children

                (a, b), children = split
                limit_hit = self._run_slice(kernel, fk, fi, a, b, nk)
                for j, child in enumerate(children):
                    if limit_hit is not None or self.cut_short:
                        stop_children(children[j:])
                        break
                    limit_hit = self._merge(kernel, fk, fi, collect(child), nk)
                    self._settle()
            if self.cut_short:
                break
            if nk:  # as the generic loop: a level cut short by a limit still counts
                self.depth += 1
            fk = nk
            fi = range(first, len(parent))
        self.n_trans = sum(self.fired) + self.extra_trans
        return limit_hit

    def _run_slice(self, kernel: Kernel, fk: list[int], fi: Sequence[int], pos: int, end: int,
                   nk: list[int]) -> str | None:
        """Expand ``fk[pos:end]`` in this process, chunk by chunk (limits, progress, early stops).

        A chunk runs in one kernel call that notes violations and states without successors
        without stopping; they are then recorded in search order. If that ends the search (every
        property done) or the kernel fails, the chunk is undone and run again stopping after each
        such state, so the search stops exactly where the generic loop does."""
        lim = self.limits
        while pos < end:
            stop = min(end, pos + CHUNK)
            snap = self._snapshot(nk)
            nxt, limit_hit = self._chunk(kernel, fk, fi, pos, stop, nk, False)
            if limit_hit == "again":
                self._rollback(snap, nk)
                nxt, limit_hit = self._chunk(kernel, fk, fi, pos, stop, nk, True)
            pos = nxt
            self._settle()
            if limit_hit is not None or self.cut_short:
                return limit_hit
            now = time.perf_counter()
            if lim.max_seconds is not None and now - self.t0 > lim.max_seconds:
                return "time"
            if self.progress is not None and now - self._last_report > 0.5:
                self._last_report = now
                self.progress(Progress(len(self.parent), sum(self.fired), self.depth, len(fk) - pos + len(nk),
                                       now - self.t0))
        return None

    def _chunk(self, kernel: Kernel, fk: list[int], fi: Sequence[int], pos: int, stop: int, nk: list[int],
               exact: bool) -> tuple[int, str | None]:
        """One chunk; ``exact``: the kernel stops after every state that produced a violation or had
        no successors. Returns (position reached, None | "states" | "error" | "again")."""
        lay = kernel.layout
        viol: list[tuple[int, int]] = []
        dead: list[int] = []
        at = [0, 0, 0]
        while pos < stop:
            p0, nk0 = len(self.parent), len(nk)
            try:
                pos, _ = kernel.run(fk, fi, pos, stop, self._seen, self.parent, self.via, nk, viol, dead, self.fired,
                                    len(self.parent), self._max_n, at, self.viol_now, exact)
            except Exception as exc:  # noqa: BLE001 - re-derived on the generic semantics below
                if not exact:
                    return pos, "again"
                # the failing state's successors are dropped; the states this call added before it stay
                for k in nk[nk0 + at[1] - p0:]:
                    self._seen.discard(key_fingerprint(k) if self.lossy else k)
                del self.parent[at[1]:]
                del self.via[at[1]:]
                del nk[nk0 + at[1] - p0:]
                viol.clear()  # only the failing state's: the kernel stops after any other state's
                if not self._kernel_error(lay, fk[at[0]], fi[at[0]], exc):
                    return pos, "error"
                pos = at[0] + 1  # pruned: go on with the next state
                continue
            if self._fps is not None and self._fps.cold and len(self.parent) > p0:
                self._drop_seen(p0, nk0, nk, viol, at)
            limit_hit = self._after_chunk(lay, fk, fi, viol, dead, at)
            if self._all_done():
                if not exact:
                    return pos, "again"
                self.cut_short = True
                return pos, limit_hit
            if limit_hit is not None or not exact:
                return pos, limit_hit
        return pos, None

    def _settle(self) -> None:
        """Between chunks: the fingerprint store moves fingerprints down, the parents spill past their budget."""
        fps = self._fps
        if fps is None:
            return
        fps.settle()
        par, via = self.parent, self.via
        if isinstance(par, SpillArray) and isinstance(via, SpillArray) and \
                par.memory_bytes() + via.memory_bytes() > fps.parent_budget:
            par.spill(PARENTS_KEPT)
            via.spill(PARENTS_KEPT)

    def _drop_seen(self, p0: int, nk0: int, nk: list[int], viol: list[tuple[int, int]], at: list[int]) -> None:
        """The kernel added states ``p0..`` (keys ``nk[nk0:]``) missing from the hot set only: drop those
        the fingerprint store holds in memory runs or on disk, keeping the others' order."""
        keys = nk[nk0:]
        fps = [key_fingerprint(k) for k in keys]
        old = self._fps.cold_mask(fps).tolist()  # type: ignore[union-attr]
        if not any(old):
            return
        if at[2]:
            self._stop_tid = self.via[-1]
        self._seen.difference_update([f for f, o in zip(fps, old) if o])
        kept = [i for i, o in enumerate(old) if not o]
        renum = {p0 + i: p0 + j for j, i in enumerate(kept)}
        par = [self.parent[p0 + i] for i in kept]
        vias = [self.via[p0 + i] for i in kept]
        del self.parent[p0:]
        del self.via[p0:]
        del nk[nk0:]
        self.parent.extend(par)
        self.via.extend(vias)
        nk.extend([keys[i] for i in kept])
        viol[:] = [(renum[i], k) for i, k in viol if i in renum]

    def _snapshot(self, nk: list[int]) -> tuple[Any, ...]:
        return (len(self.parent), len(nk), list(self.fired), {n: len(h) for n, h in self.hits.items()})

    def _rollback(self, snap: tuple[Any, ...], nk: list[int]) -> None:
        """Undo a chunk: its states, step counts, recorded violations."""
        p0, nk0, fired, hits = snap
        fp = self.lossy
        self._seen.difference_update([key_fingerprint(k) for k in nk[nk0:]] if fp else nk[nk0:])
        del self.parent[p0:]
        del self.via[p0:]
        del nk[nk0:]
        self.fired[:] = fired
        for name, n in hits.items():
            del self.hits[name][n:]
        for i in [i for i in self.viol_next if i >= p0]:
            del self.viol_next[i]

    def _merge(self, kernel: Kernel, fk: list[int], fi: Sequence[int], data: dict[str, Any],
               nk: list[int]) -> str | None:
        """Add a worker's successors in order, as the one-process search would have."""
        lay = kernel.layout
        fp = self.lossy
        seen, parent, via = self._seen, self.parent, self.via
        keys = data["keys"]
        par = array(parent.typecode)
        par.frombytes(data["parent"])
        vias = array(via.typecode)
        vias.frombytes(data["via"])
        bad = set(data["bad"])
        events = data["events"]

        def count(fired: list[int]) -> None:
            for t, c in enumerate(fired):
                self.fired[t] += c

        if not events and not bad:
            # the common case, at C speed: keep the successors not seen yet, in order
            hashed = [key_fingerprint(k) for k in keys] if fp else keys
            fresh = [c for c, k in enumerate(hashed) if k not in seen]
            if self._fps is not None and self._fps.cold and fresh:
                old = self._fps.cold_mask([hashed[c] for c in fresh]).tolist()
                fresh = [c for c, o in zip(fresh, old) if not o]
            seen.update([hashed[c] for c in fresh])
            parent.extend([par[c] for c in fresh])
            via.extend([vias[c] for c in fresh])
            nk.extend([keys[c] for c in fresh])
            count(data["fired"])
            if len(parent) >= self._max_n:  # cannot happen: levels that may reach it are not split
                raise RuntimeError("states limit reached in a parallel level")
            return "time" if time.perf_counter() - self.t0 > (self.limits.max_seconds or float("inf")) else None
        ev = 0
        max_n = self._max_n
        for c in range(len(keys) + 1):
            while ev < len(events) and events[ev][2] == c:
                kind, pos, _, fired_then = events[ev]
                ev += 1
                if kind == "error":
                    count(fired_then)
                    self._kernel_error(lay, fk[pos], fi[pos], None)
                    return "error"
                if kind == "dead":
                    self._deadlock(fi[pos], lay.unpack(fk[pos]))
                if kind == "prune":
                    self._kernel_error(lay, fk[pos], fi[pos], None)
                if self._all_done():
                    count(fired_then)  # the one-process search stops after this state
                    self.cut_short = True
                    return None
            if c == len(keys):
                break
            k = keys[c]
            kk = key_fingerprint(k) if fp else k
            if kk in seen or (self._fps is not None and kk in self._fps):
                continue
            seen.add(kk)
            parent.append(par[c])
            via.append(vias[c])
            idx = len(parent) - 1
            if c in bad:
                self._record(idx, lay.unpack(k))
            nk.append(k)
            if len(parent) >= max_n:
                pos = list(fi).index(par[c])
                succ = self.c.successors(lay.unpack(fk[pos]))
                self.extra_trans = len(succ) - ([tid for tid, _ in succ].index(vias[c]) + 1)
                return "states"
        count(data["fired"])
        if time.perf_counter() - self.t0 > (self.limits.max_seconds or float("inf")):
            return "time"
        return None

    def _after_chunk(self, lay: Layout, fk: list[int], fi: Sequence[int], viol: list[tuple[int, int]],
                     dead: list[int], at: list[int]) -> str | None:
        for idx, key in viol:
            self._record(idx, lay.unpack(key))
        viol.clear()
        for pos in dead:
            self._deadlock(fi[pos], lay.unpack(fk[pos]))
        dead.clear()
        if not at[2]:
            return None
        # The generic loop counts all successors of the state it stopped in: do the same.
        succ = self.c.successors(lay.unpack(fk[at[0]]))
        last = self.via[-1] if self._stop_tid is None else self._stop_tid  # see _drop_seen
        done = [tid for tid, _ in succ].index(last) + 1
        self.extra_trans = len(succ) - done
        return "states"

    def _kernel_error(self, lay: Layout, key: int, idx: int, exc: Exception | None, counted: bool = True,
                      violating: bool | None = None) -> bool:
        """The kernel failed on the state ``key`` (index ``idx``): get the generic StepError for it.
        Returns True when the state violates an invariant (``violating``, default: as recorded):
        then it is pruned (see :meth:`_prune`) and the search goes on."""
        s = lay.unpack(key)
        try:
            self.c.successors(s)
        except StepError as err:
            # the packed kernel (``counted``) counted the steps that fired before the failing one;
            # the generic loop, whose successor function fails as a whole, counts none of them
            for tid in range(err.tid if counted else 0):
                if self.c.step(s, tid) is not None:
                    self.fired[tid] -= 1
            if violating if violating is not None else idx in self.viol_now:
                self._prune(idx, s, err)
                return True
            self._step_error(idx, err)
            return False
        raise RuntimeError(f"the packed kernel failed ({exc!r}) where the generic semantics did not") from exc

    def _prune(self, idx: int, s: State, err: StepError) -> None:
        """A step raises in a state that violates an invariant: not a modelling error of the spec
        (its bounds were sized for runs that keep the invariants) but the end of what the search can
        explore past that violation. The state is not expanded; the properties not violated by the
        end of the search are inconclusive (the space past it was not examined)."""
        self.pruned += 1
        if self.pruned_note is None:
            t = self.system.transitions[err.tid]
            broken = [p.name for p, fn in self.inv_fns if not fn(s)]
            self.pruned_note = (f"not fully examined: past a violation of {', '.join(broken)} step {t.key} "
                                f"[{t.function}] raises ({err.message}), so the search could not go on there")

    def _state_count(self) -> int:
        return len(self.parent)

    def _result(self, limit_hit: str | None) -> EngineResult:
        sys_ = self.system
        elapsed = time.perf_counter() - self.t0
        stats = Stats(store=self.store)
        stats.states = self._state_count()
        stats.transitions = self.n_trans
        stats.depth = self.depth
        stats.seconds = elapsed
        stats.limit_hit = limit_hit if limit_hit != "error" else None
        stats.peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        stats.coverage = {}
        for t in sys_.transitions:
            stats.coverage[t.key] = stats.coverage.get(t.key, 0) + self.fired[t.index]
        if self.lossy:
            generated = self.n_trans + len(self.init_states)
            stats.collision_probability = collision_probability(len(self.parent), generated)
        error = self.error
        results = []
        complete = limit_hit is None and not self.cut_short
        stats.exhausted = complete
        for p in self.props:
            hits = self.hits.get(p.name, [])
            if hits:
                traces = [self._hit_trace(p.name, pidx, tid, kind) for _, pidx, tid, kind in hits]
                causes = [self._cause_names(c) for c, _, _, _ in hits]
                for k, tr in enumerate(traces[1:], 1):
                    tr.cause = describe_cause(causes[k], causes[:k])
                results.append(PropertyResult(p.name, p.kind, VIOLATED, traces[0], engine="explicit",
                                              more_traces=traces[1:]))
            elif error is not None:
                results.append(PropertyResult(p.name, p.kind, ERROR, engine="explicit", note=error))
            elif complete and self.pruned:
                results.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="explicit",
                                              note=f"{self.pruned_note} ({self.pruned:,} state(s))"))
            elif complete:
                results.append(PropertyResult(p.name, p.kind, HOLDS, engine="explicit"))
            elif limit_hit is None:
                results.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="explicit",
                                              note="not decided: the search stopped at the first violation "
                                                   "(stop_at_first_violation)"))
            else:
                results.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="explicit",
                                              note=f"{limit_hit} limit reached"))
        return EngineResult("explicit", results, stats, error, self.error_trace)

    def _cause_names(self, cause: tuple[int, int]) -> Cause:
        fid, mask = cause
        if fid < 0:
            return ("initial state", frozenset())
        return (self.fn_names[fid], frozenset(n for i, n in enumerate(self.fn_names) if mask >> i & 1))


def explore(
    compiled: CompiledSystem,
    props: list[Property],
    limits: Limits | None = None,
    store: str = "exact",
    progress: ProgressFn | None = None,
) -> EngineResult:
    """Explore every reachable state of ``compiled`` checking ``props`` (safety kinds)."""
    return Explorer(compiled, props, limits, store, progress).run()
