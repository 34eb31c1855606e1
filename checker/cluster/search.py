"""The level-synchronous BFS over Ray actors, with the single-process explorer's answers.

The driver (this module) never holds states: per level it asks every worker to expand its
frontier (successor batches go worker -> object store -> owner, as numpy arrays), then every
owner to store the new states, and ranks the new states of all partitions by their *order*
(parent's rank * steps + step; see checker.cluster.partition). Those ranks are exactly the
indices the single-process search (checker.explicit.bfs) gives the level's states, so parents,
shortest counterexamples, distinct causes (checker.cause), counts and coverage come out the same.

What the single-process search decides state by state — a property getting its last needed
counterexample, a modelling error, the states limit — the driver replays after each level, in
order, from the events the workers report (a new state violating an invariant, a state without
successors, a step raising); if the search would have stopped inside the level, the level is cut
there: states whose parent ranks after the stop are not counted and the steps fired are counted
again over the kept prefix of each frontier. Limits checked per level: time and depth (a time
limit stops at a level boundary rather than inside one).

Worker loss (a node dies, an actor is killed): the run stops; every property is inconclusive
and the figures reached are reported — a verdict is never drawn from a partial state space.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from checker.cluster.connect import ClusterError, cluster_session
from checker.cluster.keys import owners, to_rows, words_for
from checker.cluster.partition import Partition
from checker.explicit.bfs import Explorer, Limits
from checker.explicit.packed import Layout
from checker.lang.pycompile import CompiledSystem, State, StepError
from checker.lang.system import Property
from checker.result import INCONCLUSIVE, EngineResult, Progress, ProgressFn, PropertyResult

LOST = "worker lost"
START_SECONDS = 120  # workers not all placed by then (too few CPUs, a node gone): an error, not a hang


class ClusterExplorer(Explorer):
    """The explorer's bookkeeping (hits, causes, traces, results) over partitions held by Ray actors."""

    def __init__(self, compiled: CompiledSystem, props: list[Property], limits: Limits, store: str,
                 progress: ProgressFn | None, address: str, partitions: int | None, memory_mb: int | None = None) -> None:
        super().__init__(compiled, props, limits, store, progress)
        if limits.symmetry or any(p.kind == "transition" for p in props):
            raise ValueError("the cluster search takes no symmetry reduction or transition invariants "
                             "(checker.cluster.engine runs those in one process)")
        self.address = address
        self.partitions = partitions
        self.memory_mb = memory_mb  # per worker: a fingerprint store spills to disk past it (checker.cluster.store)
        self.count = 0
        self.moved = 0
        self.peak_rss = 0
        self.worker_figures: list[dict[str, Any]] = []  # per worker, at the end (Partition.figures)

    # -- the explorer's hooks, over partitions
    def _state_count(self) -> int:
        return self.count

    def path_to(self, idx: int) -> tuple[list[State], list[int]]:
        import ray

        tids: list[int] = []
        while True:
            par, tid = ray.get(self.workers[idx % len(self.workers)].pointer.remote(idx))
            if par < 0:
                break
            tids.append(tid)
            idx = par
        tids.reverse()
        return self._replay(tid, tids)

    def _cause(self, pidx: int, tid: int) -> tuple[int, int]:
        return self._now_cause

    # -- the search
    def run(self) -> EngineResult:
        import ray

        self.t0 = time.perf_counter()
        self._setup()
        with cluster_session(self.address) as session:
            n = self.partitions or session.default_partitions()
            _ship_user_modules()
            shared = ray.put((self.system, self.props))
            actor = ray.remote(Partition).options(num_cpus=session.cpus_per_worker(n), scheduling_strategy="SPREAD",
                                                  max_restarts=0)
            self.workers = [actor.remote(p, n, shared, self.store, self.memory_mb) for p in range(n)]
            try:
                ray.get([w.figures.remote() for w in self.workers], timeout=START_SECONDS)
            except ray.exceptions.GetTimeoutError:
                for w in self.workers:
                    ray.kill(w)
                raise ClusterError(f"{n} workers could not all start within {START_SECONDS} s "
                                   f"(cluster resources: {ray.cluster_resources()})") from None
            try:
                limit_hit = self._levels(n)
                result = self._result(limit_hit)
            except ray.exceptions.RayTaskError as err:  # a worker raised: the error itself, as in one process
                raise err.as_instanceof_cause() from None
            except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError, ray.exceptions.NodeDiedError) as err:
                result = self._lost(err)
            finally:
                try:
                    self.worker_figures = ray.get([w.figures.remote() for w in self.workers], timeout=30)
                    self.moved = sum(f["moved"] for f in self.worker_figures)
                    self.peak_rss = max(f["rss"] for f in self.worker_figures)
                except Exception:  # noqa: BLE001 - figures of a broken cluster are best effort
                    pass
                for w in self.workers:
                    ray.kill(w)
        result.stats.peak_rss_bytes = max(result.stats.peak_rss_bytes, self.peak_rss)
        result.stats.store = f"{self.store}, {n} partitions"
        kinds = sorted({f["successors"].removesuffix("Successors").lower() for f in self.worker_figures})
        if hasattr(result.stats, "loop"):  # which search loop ran (shown by the report)
            result.stats.loop = f"cluster: {n} workers, {'/'.join(kinds) or 'packed'} successors"
        self.cluster_figures = {"partitions": n, "bytes_moved": self.moved}
        return result

    def _setup(self) -> None:
        from checker.cause import kernel_function

        self.invs = [p for p in self.props if p.kind == "invariant"]
        self.inv_fns = [(p, self.c.state_fn(p.expr)) for p in self.invs]
        self.deadlocks = [(p, self.c.state_fn(p.expr)) for p in self.props if p.kind == "deadlock"]
        self.hits = {p.name: [] for p in self.props}
        self.need = 1 if self.limits.stop_at_first_violation else max(1, self.limits.max_traces)
        self.cut_short = False
        self.pruned = 0
        self.pruned_note = None
        fnames: dict[str, int] = {}
        self.fn_id = [fnames.setdefault(kernel_function(t), len(fnames)) for t in self.system.transitions]
        self.fn_names = list(fnames)
        self.fired = [0] * len(self.system.transitions)
        self.n_trans = 0
        self.extra_trans = 0
        self.depth = 0
        self.error = None
        self.error_trace = None
        self.engine_note = "cluster"

    def _levels(self, n: int) -> str | None:
        import ray

        lay = Layout(self.system)
        steps = len(self.system.transitions)
        lim = self.limits
        # level 0: the initial states, stored by their owners
        keys = list(dict.fromkeys(lay.pack(s) for s in self.init_states))
        rows = to_rows(keys, words_for(lay.bits))
        own = owners(rows, n)
        k = np.arange(len(keys), dtype=np.int64)
        batches = [{"rows": rows[own == q], "order": k[own == q], "pgid": np.full(int((own == q).sum()), -1),
                    "pmask": np.zeros(int((own == q).sum()), dtype=np.uint64), "flag": np.ones(int((own == q).sum()), bool),
                    "pv": np.zeros(int((own == q).sum()), dtype=np.int64)} for q in range(n)]
        got = ray.get([w.absorb.remote(batches[q], initial=True) for q, w in enumerate(self.workers)])
        for ev in sorted(e for g in got for e in g["events"]):
            self._hits_for(ev[1], ev[2], -1, ev[0], "safety")
        self.count = sum(len(g["order"]) for g in got)
        self._commit(got)
        frontier = self.count
        while frontier:
            if lim.max_depth is not None and self.depth >= lim.max_depth:
                return "depth"
            now = time.perf_counter()
            if lim.max_seconds is not None and now - self.t0 > lim.max_seconds:
                return "time"
            outs = [w.expand.options(num_returns=n + 1).remote() for w in self.workers]
            summaries = ray.get([o[n] for o in outs])
            got = ray.get([w.absorb.remote(*[outs[q][p] for q in range(n)]) for p, w in enumerate(self.workers)])
            orders = np.sort(np.concatenate([g["order"] for g in got]))
            ended, why = self._replay_level(summaries, got, orders, steps)
            if ended:
                return why
            self.count += len(orders)
            for t, c in enumerate(np.sum([s["fired"] for s in summaries], axis=0).tolist()):
                self.fired[t] += c
            if len(orders):
                self.depth += 1
            self._commit(got, orders)
            frontier = len(orders)
            if self.progress is not None:
                self.progress(Progress(self.count, sum(self.fired), self.depth, frontier, time.perf_counter() - self.t0))
        return None

    def _commit(self, got: list[dict[str, Any]], orders: np.ndarray | None = None) -> None:
        import ray

        if orders is None:
            orders = np.sort(np.concatenate([g["order"] for g in got]))
        ray.get([w.commit.remote(np.searchsorted(orders, g["order"])) for w, g in zip(self.workers, got)])

    def _hits_for(self, bits: int, mask: int, pidx: int, tid_or_order: int, kind: str, props: Any = None) -> None:
        """Fresh violations of the properties in ``bits`` (of ``props``: invariants by default)."""
        props = props if props is not None else self.inv_fns
        tid = tid_or_order if pidx < 0 else tid_or_order % len(self.system.transitions)
        self._now_cause = (-1, 0) if pidx < 0 else (self.fn_id[tid], mask)
        for b, (p, _) in enumerate(props):
            if bits >> b & 1 and not self._done(p.name):
                self._hit(p, pidx, tid, kind)

    def _replay_level(self, summaries: list[dict[str, Any]], got: list[dict[str, Any]], orders: np.ndarray,
                      steps: int) -> tuple[bool, str | None]:
        """Replay the level's events in the single-process order: (whether the search ends in this
        level, the limit that ended it)."""
        events: list[tuple[int, int, tuple[Any, ...]]] = []  # (key, kind, data); kind 0: invariant, 1: deadlock
        for g in got:
            events += [(e[0], 0, e) for e in g["events"]]
        for s in summaries:
            events += [(d[0] * steps + steps - 1, 1, d) for d in s["dead"]]
        events.sort(key=lambda e: (e[0], e[1]))
        errors = [s["error"] for s in summaries if s["error"] is not None]
        error = min(errors) if errors else None
        state_limit = None
        if self.limits.max_states and self.count + len(orders) >= self.limits.max_states:
            state_limit = int(orders[self.limits.max_states - self.count - 1])
        stop: tuple[str, int] | None = ("done", 0) if self._all_done() else None  # hits in the initial states
        for j, (key, kind, d) in enumerate(events):
            if stop is not None:
                break
            rank = key // steps
            if error is not None and rank >= error[0]:
                break
            if state_limit is not None and key > state_limit:
                break
            if kind == 0:
                self._hits_for(d[1], d[2], d[3], d[0], "safety")
            else:
                self._hits_for(d[1], d[2], d[3], d[4], "deadlock", self.deadlocks)
            last = j + 1 == len(events) or events[j + 1][0] // steps != rank
            if last and self._all_done():
                stop = ("done", rank)
        if stop is not None:
            self.cut_short = True
            return True, self._cut(summaries, orders, steps, stop[1] + 1, None)
        if error is not None and (state_limit is None or error[0] * steps <= state_limit):
            return True, self._cut(summaries, orders, steps, error[0], error)
        if state_limit is not None:
            return True, self._cut(summaries, orders, steps, state_limit // steps, None, state_limit % steps)
        self._count_pruned(summaries, None)
        return False, None

    def _cut(self, summaries: list[dict[str, Any]], orders: np.ndarray, steps: int, upto: int,
             error: tuple[Any, ...] | None, partial: int | None = None) -> str | None:
        """The search ends inside this level: count the states and steps of frontier ranks < ``upto``
        (and of rank ``upto`` up to its step ``partial``, the states limit)."""
        import ray

        self._count_pruned(summaries, upto)
        if partial is None:
            kept = int(np.searchsorted(orders, upto * steps, side="left"))
        else:
            kept = int(np.searchsorted(orders, upto * steps + partial, side="right"))
        fired = np.sum(ray.get([w.fired_upto.remote(upto) for w in self.workers]), axis=0).tolist()
        if partial is not None:
            owns = ray.get([w.owns_rank.remote(upto) for w in self.workers])
            more, self.extra_trans = ray.get(self.workers[owns.index(True)].partial.remote(upto, partial))
            fired = [a + b for a, b in zip(fired, more)]
        for t, c in enumerate(fired):
            self.fired[t] += c
        self.count += kept
        if kept and not self.cut_short:  # as in one process: a level ended by every property done does not count
            self.depth += 1
        self.n_trans = sum(self.fired) + self.extra_trans
        if error is not None:
            _, gid, tid, message = error
            self._step_error(gid, StepError(tid, message))
            return "error"
        return "states" if partial is not None else None

    def _count_pruned(self, summaries: list[dict[str, Any]], upto: int | None) -> None:
        pruned = sorted(p for s in summaries for p in s["pruned"] if upto is None or p[0] < upto)
        if pruned and self.pruned_note is None:
            _, gid, tid, message = pruned[0]
            states, _ = self.path_to(gid)
            self._prune(gid, states[-1], StepError(tid, message))
            self.pruned -= 1
        self.pruned += len(pruned)

    def _result(self, limit_hit: str | None) -> EngineResult:
        self.n_trans = sum(self.fired) + self.extra_trans
        return super()._result(limit_hit)

    def _lost(self, err: Exception) -> EngineResult:
        """A worker died: every property inconclusive, with the figures reached."""
        self.hits = {p.name: [] for p in self.props}
        self.n_trans = sum(self.fired)
        res = super()._result(LOST)
        why = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        res.properties = [PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="explicit",
                                         note=f"a cluster worker was lost after {self.count:,} states, depth "
                                              f"{self.depth} ({why}); no verdict from a partial state space")
                          for p in self.props]
        return res


def _ship_user_modules() -> None:
    """Users' spec files (checker.spec_loader runs them as modules ``napi_check_user_*``) and the files
    beside them that they import exist only here: pickle their functions by value, not by module name."""
    import sys
    from pathlib import Path

    from ray import cloudpickle

    user = {n: m for n, m in list(sys.modules.items()) if n.startswith("napi_check_user_")}
    dirs = {Path(m.__file__).resolve().parent for m in user.values() if getattr(m, "__file__", None)}
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None)
        if name in user or (f and Path(f).resolve().parent in dirs):
            try:
                cloudpickle.register_pickle_by_value(mod)
            except (ValueError, TypeError):  # not picklable by value (a package without a file, ...)
                pass


def explore_on_cluster(compiled: CompiledSystem, props: list[Property], limits: Limits, store: str,
                       progress: ProgressFn | None, address: str, partitions: int | None = None,
                       memory_mb: int | None = None) -> EngineResult:
    """Explore on the Ray cluster at ``address`` (``local:N``: N local workers) with ``partitions`` workers
    (default: one per CPU of the cluster, N for ``local:N``)."""
    return ClusterExplorer(compiled, props, limits, store, progress, address, partitions, memory_mb).run()
