"""The BFS loop over the native kernel (see :mod:`checker.explicit.native`).

It takes over from the packed loop at a level of at least ``Limits.handoff`` states when the
compiled kernel is in the cache, else at one of ``Limits.compile_level`` states (so small
configurations never pay for a compile).

Storage per distinct state: its packed words in the C
store (8 bytes per 64 bits of state), one slot of the C hash table (8 bytes, at most 70 % full),
and, as on the other loops, the parent index (4 bytes) and the step index (2) in the explorer's
arrays, so traces are rebuilt by replay exactly as there.

The C driver expands frontier states in search order and returns to Python after every state
that needs the executable semantics: a new successor that may violate an invariant (recorded
with :meth:`Explorer._record`, which re-checks it), a state without successors when deadlock
properties are checked, a state on which a step fails (re-derived by
:meth:`Explorer._kernel_error`: pruned if the state violates an invariant, else the modelling
error), the states limit. So states, indices, parents, coverage counts and the point where the
search stops are those of the generic loop.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

import numpy as np

from checker.explicit.native import NativeKernel, NativeStore
from checker.explicit.native_tree import TreeStore
from checker.explicit.store import PARENTS_KEPT, SpillArray, default_memory_mb

if TYPE_CHECKING:
    from checker.explicit.bfs import Explorer

SLICE = 1 << 14  # frontier states per C call (progress and time limit granularity)
PARENTS_MEMORY = 64 << 20  # compact store: parent and step indices kept in memory before they spill to a file ...
PARENTS_KEEP = PARENTS_KEPT  # ... where all but the newest this many go
ST_DONE, ST_EVENT, ST_FAIL, ST_LIMIT, ST_FULL, ST_NOMEM = range(6)


def native_loop(ex: Explorer, nk: NativeKernel, start: tuple[Sequence[int], Sequence[int]]) -> str | None:
    """Explore from the frontier ``start`` (keys, consecutive state indices) handed over by the
    packed loop, whose visited set is ``ex._seen``; fills ``ex``'s arrays as the other loops do."""
    lay = nk.layout
    lim = ex.limits
    max_n = lim.max_states or (1 << 62)
    nt = nk.ntrans
    via_dtype = np.uint16 if ex.via.typecode == "H" else np.int32
    store = make_store(ex, nk)
    fk0, fi0 = start
    store.add(nk.to_words(list(fk0)))  # the frontier first: store positions 0.. in frontier order
    store.add_seen(nk.to_words(list(ex._seen)))  # then every other state seen (those of the frontier are there)
    ex._seen = store
    base = fi0[0] if len(fi0) else len(ex.parent)
    lo, n = 0, len(fk0)  # the frontier: store positions lo .. lo + n, state indices base ..
    cap = 1 << 16
    opar = np.empty(cap, dtype=np.int32)
    otid = np.empty(cap, dtype=np.int32)
    oflag = np.empty(cap, dtype=np.uint8)
    fired = np.zeros(nt, dtype=np.int64)
    res = np.zeros(4, dtype=np.int64)
    last_report = ex.t0
    run, ptr = store.run, store.ptr
    while n:
        if lim.max_depth is not None and ex.depth >= lim.max_depth:
            return "depth"
        ex._next_level()
        store.begin_level()
        pb = np.zeros(n, dtype=np.uint8)
        for idx in ex.viol_now:
            if base <= idx < base + n:
                pb[idx - base] = 1
        first_new = len(ex.parent)  # index of the level's first new state ...
        s_first = len(store)  # ... and its store position
        pos = 0
        limit_hit: str | None = None
        while pos < n:
            stop = min(n, pos + SLICE)
            while pos < stop:
                dead_events = int(bool(ex.deadlocks) and not ex._all_done())
                run(ptr, lo, pos, stop, base, pb.ctypes.data, max_n - len(ex.parent), dead_events,
                           opar.ctypes.data, otid.ctypes.data, oflag.ctypes.data, cap, fired.ctypes.data,
                           res.ctypes.data)
                pos, m, status, dead = (int(x) for x in res)
                s0 = len(ex.parent)
                if m:
                    ex.parent.frombytes(opar[:m].tobytes())
                    ex.via.frombytes(otid[:m].astype(via_dtype).tobytes())
                if status == ST_NOMEM:
                    raise MemoryError("the compact store is full (limits.memory_mb)" if isinstance(store, TreeStore)
                                      else "the native store could not grow")
                if status in (ST_EVENT, ST_LIMIT):
                    _flush(ex, fired)
                    for j in np.flatnonzero(oflag[:m]).tolist():
                        ex._record(s0 + j, lay.unpack(store.key(s_first + s0 - first_new + j)))
                    if dead >= 0:
                        ex._deadlock(base + dead, lay.unpack(store.key(lo + dead)))
                    if status == ST_LIMIT:
                        limit_hit = "states"
                        p = pos - 1
                        succ = ex.c.successors(lay.unpack(store.key(lo + p)))
                        ex.extra_trans = len(succ) - ([tid for tid, _ in succ].index(ex.via[-1]) + 1)
                    if ex._all_done():
                        ex.cut_short = True
                        return limit_hit
                    if limit_hit:
                        _deepen(ex, first_new)
                        return limit_hit
                if status == ST_FAIL:
                    _flush(ex, fired)
                    idx = base + pos
                    if not ex._kernel_error(lay, store.key(lo + pos), idx, None, counted=False):
                        _deepen(ex, first_new)
                        return "error"
                    pos += 1  # pruned: go on with the next state
            _flush(ex, fired)
            _spill_parents(ex)
            now = time.perf_counter()
            if lim.max_seconds is not None and now - ex.t0 > lim.max_seconds:
                _deepen(ex, first_new)
                return "time"
            if ex.progress is not None and now - last_report > 0.5:
                from checker.result import Progress

                last_report = now
                ex.progress(Progress(len(ex.parent), sum(ex.fired), ex.depth, n - pos + len(ex.parent) - first_new,
                                     now - ex.t0))
        _deepen(ex, first_new)
        lo, n, base = s_first, len(ex.parent) - first_new, first_new
    return None


def make_store(ex: Explorer, nk: NativeKernel) -> NativeStore | TreeStore:
    """The exact store of the native loop: every packed state in memory, or (``store = "compact"``)
    tree-compressed within ``limits.memory_mb`` (default: twice :func:`default_memory_mb`)."""
    if ex.store != "compact":
        return NativeStore(nk)
    mb = ex.limits.memory_mb or 2 * default_memory_mb()
    return TreeStore(nk, mb << 20)


def _spill_parents(ex: Explorer) -> None:
    for arr in (ex.parent, ex.via):
        if isinstance(arr, SpillArray) and arr.memory_bytes() > PARENTS_MEMORY:
            arr.spill(PARENTS_KEEP)


def _flush(ex: Explorer, fired: np.ndarray) -> None:
    if fired.any():
        for t, c in enumerate(fired.tolist()):
            ex.fired[t] += c
        fired[:] = 0


def _deepen(ex: Explorer, first_new: int) -> None:
    if len(ex.parent) > first_new:  # as the generic loop: a level cut short by a limit still counts
        ex.depth += 1
