"""One cluster worker: a partition of the visited set, its parent pointers and its part of the frontier.

A state's global id is ``local index * partitions + partition``; each stored state keeps its
parent's global id and the step that reached it (the single-process explorer's ``parent``/``via``),
so a counterexample is rebuilt by following parent pointers across partitions.

Per BFS level (driven by checker.cluster.search):

1. :meth:`Partition.expand` — run the successor function over this partition's frontier (in BFS
   order) and cut its output by owner: one batch (numpy arrays) per partition. A successor's *order*
   is ``rank of its parent in the level * steps + step``: the single-process search meets it first
   at its smallest order, and lists the next level by that order.
2. :meth:`Partition.absorb` — the batches for this partition from every worker: keep each key's
   smallest order, drop the keys already stored, store the rest; check the invariants of the new
   states that the kernel flagged (here, where they are stored) and report them.
3. :meth:`Partition.commit` — the driver has ranked the new states of every partition by order:
   they become the next frontier.

Methods are plain Python; checker.cluster.search wraps the class as a Ray actor.
"""

from __future__ import annotations

import resource
from array import array
from typing import Any

import numpy as np

from checker.cause import kernel_function
from checker.cluster.keys import owners, to_ints, to_rows, words_for
from checker.cluster.store import VisitedStore, make_store
from checker.cluster.successors import Successors, make_successors
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import Property, System


class Partition:
    def __init__(self, index: int, count: int, model: tuple[System, list[Property]], store: str = "exact",
                 memory_mb: int | None = None) -> None:
        system, props = model
        self.index = index
        self.count = count
        self.c = CompiledSystem.build(system)
        invs = [p for p in props if p.kind == "invariant"]
        self.inv_fns = [self.c.state_fn(p.expr) for p in invs]
        self.dead_fns = [self.c.state_fn(p.expr) for p in props if p.kind == "deadlock"]
        self.succ: Successors = make_successors(self.c, invs)
        self.layout = self.succ.layout  # type: ignore[attr-defined]
        self.words = words_for(self.layout.bits)
        self.n_steps = len(system.transitions)
        fnames: dict[str, int] = {}
        fn_id = [fnames.setdefault(kernel_function(t), len(fnames)) for t in system.transitions]
        self.fn_bit = np.array([1 << f for f in fn_id], dtype=object if len(fnames) > 63 else np.uint64)
        self.store: VisitedStore = make_store(store, memory_mb)
        self.parent = array("q")
        self.via = array("i")
        self.vmask: dict[int, int] = {}  # local index -> bit mask of the invariants the state violates
        self._frontier(np.empty(0, dtype=f"V{8 * self.words}"), *(np.empty(0, dtype=np.int64),) * 3)
        self.pending: tuple[Any, ...] | None = None
        self.moved = 0  # bytes of successor batches this worker sent

    def _frontier(self, rows: np.ndarray, ranks: np.ndarray, idx: np.ndarray, masks: np.ndarray) -> None:
        self.f_keys = to_ints(rows)
        self.f_rank = ranks
        self.f_idx = idx
        self.f_mask = masks.astype(self.fn_bit.dtype)
        self.f_vbad = {p for p, i in enumerate(idx.tolist()) if i in self.vmask}

    # -- 1. expansion
    def expand(self) -> tuple[Any, ...]:
        """Batches for partitions 0..count-1, then a summary (fired, deadlocks, prunes, error)."""
        ex = self.succ.expand(self.f_keys, self.f_vbad)
        src = np.asarray(ex.src, dtype=np.int64)  # arrays (packed kernel) or numpy (native batches)
        tids = np.asarray(ex.tids, dtype=np.int64)
        rows = ex.keys if isinstance(ex.keys, np.ndarray) else to_rows(ex.keys, self.words)
        order = self.f_rank[src] * self.n_steps + tids
        pgid = self.f_idx[src] * self.count + self.index
        pmask = self.f_mask[src] | self.fn_bit[tids]
        flag = np.zeros(len(rows), dtype=bool)
        flag[ex.viol] = True
        pviol = np.array([self.vmask.get(int(self.f_idx[s]), 0) for s in src[ex.viol]], dtype=np.int64)
        pv = np.zeros(len(rows), dtype=np.int64)
        pv[ex.viol] = pviol
        own = owners(rows, self.count)
        out: list[Any] = []
        for q in range(self.count):
            m = own == q
            batch = {"rows": rows[m], "order": order[m], "pgid": pgid[m], "pmask": pmask[m], "flag": flag[m], "pv": pv[m]}
            if q != self.index:
                self.moved += sum(a.nbytes for a in batch.values())
            out.append(batch)
        out.append(self._summary(ex))
        return tuple(out)

    def _summary(self, ex: Any) -> dict[str, Any]:
        dead = []
        for pos in ex.dead:
            s = self.layout.unpack(self.f_keys[pos])
            bits = sum(1 << b for b, end in enumerate(self.dead_fns) if not end(s))
            if bits:
                i = int(self.f_idx[pos])
                dead.append((int(self.f_rank[pos]), bits, int(self.f_mask[pos]), self.parent[i], self.via[i]))
        gid = lambda pos: int(self.f_idx[pos]) * self.count + self.index  # noqa: E731
        return {"fired": ex.fired, "dead": dead, "generated": len(ex.keys),
                "pruned": [(int(self.f_rank[p]), gid(p), e.tid, e.message) for p, e in ex.pruned],
                "error": None if ex.error is None else
                (int(self.f_rank[ex.error[0]]), gid(ex.error[0]), ex.error[1].tid, ex.error[1].message)}

    # -- 2. storing
    def absorb(self, *batches: dict[str, np.ndarray], initial: bool = False) -> dict[str, Any]:
        """Store the new states among ``batches``; returns their orders (ascending) and their invariant violations."""
        cat = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
        first = np.argsort(cat["order"], kind="stable")
        rows = cat["rows"][first]
        _, uniq = np.unique(rows, return_index=True)  # each key at its smallest order
        keep = first[np.sort(uniq)]
        new = self.store.add_new(cat["rows"][keep])
        keep = keep[new]  # ascending order
        base = len(self.parent)
        order = cat["order"][keep]
        self.parent.extend(cat["pgid"][keep].tolist())
        self.via.extend((order % self.n_steps).tolist() if not initial else order.tolist())
        events = []
        flagged = np.arange(len(keep)) if initial else np.flatnonzero(cat["flag"][keep])
        for j in flagged.tolist():
            c = int(keep[j])
            s = self.layout.unpack(to_ints(cat["rows"][c:c + 1])[0])
            mask = sum(1 << b for b, fn in enumerate(self.inv_fns) if not fn(s))
            if mask:
                self.vmask[base + j] = mask
                fresh = mask & ~int(cat["pv"][c])
                gid = (base + j) * self.count + self.index
                events.append((int(order[j]), fresh, int(cat["pmask"][c]), int(cat["pgid"][c]), gid))
        self.pending = (cat["rows"][keep], base + np.arange(len(keep), dtype=np.int64), cat["pmask"][keep])
        return {"order": order, "events": events}

    # -- 3. the next level
    def commit(self, ranks: np.ndarray) -> None:
        assert self.pending is not None
        rows, idx, masks = self.pending
        self.pending = None
        self._frontier(rows, ranks, idx, masks)

    # -- a level cut short, traces, figures
    def fired_upto(self, rank: int) -> list[int]:
        """Steps fired by this partition's frontier states of rank < ``rank`` (a cut-short level)."""
        stop = int(np.searchsorted(self.f_rank, rank, side="left"))
        return self.succ.expand(self.f_keys, self.f_vbad, stop).fired

    def partial(self, rank: int, tid: int) -> tuple[list[int], int]:
        """The state of ``rank`` stopped (states limit) after its step ``tid``: the steps it fired
        up to there, and how many more successors it has (counted as transitions, not as coverage)."""
        pos = int(np.searchsorted(self.f_rank, rank))
        succ = self.c.successors(self.layout.unpack(self.f_keys[pos]))
        fired = [0] * self.n_steps
        for t, _ in succ:
            if t <= tid:
                fired[t] += 1
        return fired, sum(1 for t, _ in succ if t > tid)

    def owns_rank(self, rank: int) -> bool:
        pos = int(np.searchsorted(self.f_rank, rank))
        return pos < len(self.f_rank) and int(self.f_rank[pos]) == rank

    def pointer(self, gid: int) -> tuple[int, int]:
        """(parent global id, step) of the stored state ``gid`` (one of this partition's)."""
        i = gid // self.count
        return self.parent[i], self.via[i]

    def figures(self) -> dict[str, Any]:
        """States stored, bytes of batches sent to other partitions, bytes held per stored state (visited
        set and parent pointers), peak resident memory and CPU time of this worker process."""
        held = getattr(self.store, "nbytes", lambda: 0)() + len(self.parent) * 8 + len(self.via) * 4
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return {"states": len(self.parent), "moved": self.moved, "held": held, "rss": ru.ru_maxrss * 1024,
                "cpu_ms": int((ru.ru_utime + ru.ru_stime) * 1000), "successors": type(self.succ).__name__}
