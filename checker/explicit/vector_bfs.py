"""The BFS loop over numpy frontiers (see :mod:`checker.explicit.vector` for the semantics).

Storage per distinct state: its int64 key in one sorted array (8 bytes), parent index (4)
and step index (2) in the explorer's arrays, so traces are rebuilt exactly as on the other
paths. A level is processed in slices of frontier states (``SLICE_*``); each slice's
successors are ordered as the sequential search meets them (frontier position, then
transition), so the states, their indices, the parents, the coverage counts and the point
where the search stops (all properties decided, a limit, a modelling error) are those of the
generic loop.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from checker.explicit.vector import LaneError, VectorKernel

if TYPE_CHECKING:
    from checker.explicit.bfs import Explorer

PARALLEL_MIN = 1 << 14  # with workers: slices are cut in parts of at least this many states
SLICE_MIN, SLICE_MAX = 1 << 14, 1 << 18  # frontier states expanded together (temporaries: ~ slice x steps x 40 B)
SLICE_SHARE = 16  # ... about 1/16 of the states stored, so inserting into the sorted store stays cheap
I64 = np.int64


class _Level:
    """The successors of one frontier slice, deduplicated and in search order."""

    def __init__(self, keys: np.ndarray, order: np.ndarray, by_key: np.ndarray, by_key_order: np.ndarray,
                 ins: np.ndarray, fired: np.ndarray, cand_order: Callable[[], np.ndarray]) -> None:
        self.keys = keys  # new keys, in search order
        self.order = order  # their order keys: frontier position * steps + step
        self.by_key = by_key  # the same keys sorted ...
        self.by_key_order = by_key_order  # ... with their order keys
        self.ins = ins  # ... and where each goes in the sorted visited array (as of before this slice)
        self.fired = fired  # enabled successors per step (coverage, transitions)
        self.cand_order = cand_order  # every enabled successor's order key (when the search stops inside)


def vector_loop(ex: Explorer, vk: VectorKernel, start: tuple[Sequence[int], Sequence[int]]) -> str | None:
    """Explore with ``vk`` from the frontier ``start`` (keys, state indices) that the packed loop
    handed over (its visited set in ``ex._seen``); fills ``ex``'s parent/via/found/fired as the
    other loops do. With ``limits.workers`` > 1, large slices are cut in parts expanded by that
    many threads (numpy releases the GIL inside its loops and sorts)."""
    if ex.limits.workers <= 1:
        return _loop(ex, vk, start, None)
    with _Helpers(vk, ex.limits.workers) as pool:
        return _loop(ex, vk, start, pool)


class _Helpers:
    """Threads expanding parts of a slice; the caller expands the first part itself."""

    def __init__(self, vk: VectorKernel, n: int) -> None:
        self.vk = vk
        self.pool = ThreadPoolExecutor(n - 1)
        self.size = n

    def __enter__(self) -> _Helpers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown()

    def map(self, args: list[tuple[Any, ...]]) -> list[Any]:
        pending = [self.pool.submit(_part, self.vk, *a) for a in args[1:]]
        first = _part(self.vk, *args[0])
        return [first] + [p.result() for p in pending]


def _loop(ex: Explorer, vk: VectorKernel, start: tuple[Sequence[int], Sequence[int]],
          pool: _Helpers | None) -> str | None:
    lay = vk.layout
    nt = len(ex.system.transitions)
    lim = ex.limits
    max_n = lim.max_states or (1 << 62)
    via_dtype = np.uint16 if ex.via.typecode == "H" else np.int32
    fk0, fi0 = start
    ex._seen = seen = np.sort(np.fromiter(ex._seen, dtype=I64, count=len(ex._seen)))
    fk = np.array(fk0, dtype=I64)
    fi = np.array(fi0, dtype=I64)
    last_report = ex.t0
    invs = vk.invariants
    while len(fk):
        if lim.max_depth is not None and ex.depth >= lim.max_depth:
            return "depth"
        nk: list[np.ndarray] = []
        ni: list[np.ndarray] = []
        a = 0
        while a < len(fk):
            width = min(max(len(seen) // SLICE_SHARE, SLICE_MIN), SLICE_MAX)
            if vk.layout.bits + (SLICE_MIN * nt).bit_length() <= 63:  # keep the value sorts possible
                width = min(width, (1 << (63 - vk.layout.bits)) // nt)
            now = time.perf_counter()
            if lim.max_seconds is not None and now - ex.t0 > lim.max_seconds:
                return "time"
            if ex.progress is not None and now - last_report > 0.5:
                from checker.result import Progress

                last_report = now
                ex.progress(Progress(len(ex.parent), sum(ex.fired), ex.depth, len(fk) - a, now - ex.t0))
            keys = fk[a:a + width]
            pos0 = a  # frontier positions of this slice start here
            a += width
            lv, dead, err = _expand(vk, keys, pos0, nt, seen, pool)
            n = len(ex.parent)
            pos_new = lv.order // nt
            # -- where the sequential search stops in this slice: a modelling error, the states limit ...
            cut = np.iinfo(I64).max  # last order key the search processes
            outcome: str | None = None
            if err is not None:
                cut, outcome = err * nt - 1, "error"
            if n + len(lv.keys) >= max_n:
                over = int(np.flatnonzero(n + np.arange(len(lv.keys)) + 1 >= max_n)[0])  # the state filling the store
                if lv.order[over] <= cut:
                    cut, outcome = int(lv.order[over]), "states"
            # ... or every property done: record the fresh violations before the cut, in search order
            bad = [np.logical_not(vk.holds(p.expr, lv.keys)) for p in invs]
            done_at = _record_slice(ex, vk, invs, bad, keys, fi, pos0, pos_new, lv.order % nt, dead, cut)
            if done_at is not None and (done_at + 1) * nt - 1 <= cut:
                cut, outcome = (done_at + 1) * nt - 1, "found"
            kept = int(np.searchsorted(lv.order, cut, side="right"))
            # -- coverage and transition counts up to the cut
            if outcome is None:
                counts = lv.fired
            else:
                co = lv.cand_order()
                counts = np.bincount(co[co <= cut] % nt, minlength=nt)
            for t, c in enumerate(counts.tolist()):
                ex.fired[t] += c
            if outcome == "states":
                p_last = cut // nt
                ex.extra_trans = int(np.count_nonzero((co > cut) & (co // nt == p_last)))
            # -- store the kept states: every one joins the next frontier
            keys_k = lv.keys[:kept]
            ex.parent.frombytes(fi[pos_new[:kept]].astype(np.int32).tobytes())
            ex.via.frombytes((lv.order[:kept] % nt).astype(via_dtype).tobytes())
            in_cut = lv.by_key_order <= cut
            ex._seen = seen = np.insert(seen, lv.ins[in_cut], lv.by_key[in_cut])
            nk.append(keys_k)
            ni.append(n + np.arange(kept, dtype=I64))
            if outcome in ("error", "states"):
                _deepen(ex, nk)
                if outcome == "error":
                    ex._kernel_error(lay, int(fk[err]), int(fi[err]), None, counted=False)
                return outcome
            if outcome == "found":
                ex.cut_short = True
                return None
        _deepen(ex, nk)
        fk = np.concatenate(nk) if nk else np.zeros(0, dtype=I64)
        fi = np.concatenate(ni) if ni else np.zeros(0, dtype=I64)
    return None


def _record_slice(ex: Explorer, vk: VectorKernel, invs: list[Any], bad: list[np.ndarray], keys: np.ndarray,
                  fi: np.ndarray, pos0: int, pos_new: np.ndarray, tid_new: np.ndarray, dead: np.ndarray,
                  cut: int) -> int | None:
    """Record, in search order, the slice's fresh violations (a new state violating an invariant its
    parent satisfies; a state without successors that is not an end state) of the properties not
    done yet, up to the order key ``cut``. Returns the frontier position after which every property
    is done, or None. Per property the hits are taken in order until it is done, so the positions at
    which the properties get done are those of the sequential search, and the latest is where it stops."""
    nt = len(ex.system.transitions)
    before = {name: len(h) for name, h in ex.hits.items()}
    done_at: dict[str, int] = {}
    fbad: dict[int, np.ndarray] = {}
    for j, p in enumerate(invs):
        if ex._done(p.name):
            continue
        b = bad[j]
        if not b.any():
            continue
        if j not in fbad:
            fbad[j] = np.logical_not(vk.holds(p.expr, keys))  # the slice's frontier states
        fresh = np.flatnonzero(b & ~fbad[j][pos_new - pos0])
        fresh = fresh[pos_new[fresh] * nt + tid_new[fresh] <= cut]
        for h in fresh.tolist():
            ex._hit(p, int(fi[pos_new[h]]), int(tid_new[h]), "safety")
            if ex._done(p.name):
                done_at[p.name] = int(pos_new[h])
                break
    dead = dead[dead * nt <= cut]
    if len(dead):
        for p, _ in ex.deadlocks:
            if ex._done(p.name):
                continue
            stuck = dead[np.flatnonzero(np.logical_not(vk.holds(p.expr, keys[dead - pos0])))]
            for d in stuck.tolist():
                idx = int(fi[d])
                ex._hit(p, ex.parent[idx], ex.via[idx], "deadlock")
                if ex._done(p.name):
                    done_at[p.name] = d
                    break
    if not ex._all_done():
        return None
    if not done_at:
        return None
    if ex.limits.stop_at_first_violation:  # the search stops after the first of them: later ones did not happen
        first = min(done_at.values())
        for name, at in done_at.items():
            if at > first:
                del ex.hits[name][before[name]:]
        return first
    return max(done_at.values())


def _deepen(ex: Explorer, nk: list[np.ndarray]) -> None:
    if any(len(x) for x in nk):  # as the generic loop: a level cut short by a limit still counts
        ex.depth += 1


def _expand(vk: VectorKernel, keys: np.ndarray, pos0: int, nt: int, seen: np.ndarray,
            pool: _Helpers | None) -> tuple[_Level, np.ndarray, int | None]:
    """Successors of the frontier slice ``keys`` (positions ``pos0``...): the new ones in search
    order, the positions of states without successors, and the first position with a modelling error.

    With ``pool``, the slice is dealt round-robin into parts (every ``ways``-th state: neighbours
    in a level cost alike) expanded and sorted in parallel; the parts' distinct keys are merged."""
    n = len(keys)
    ob = (n * nt).bit_length()
    packed = vk.layout.bits + ob <= 63  # key and order share an int64: value sorts instead of argsorts
    ways = max(1, min(pool.size, n // PARALLEL_MIN)) if pool is not None else 1
    args = [(keys[j::ways], pos0 + j, ways, pos0, nt, ob, packed) for j in range(ways)]
    parts = pool.map(args) if pool is not None and ways > 1 else [_part(vk, *args[0])]
    errs = [p[3] for p in parts if p[3] is not None]
    err = min(errs) if errs else None

    def cand_order() -> np.ndarray:
        co = np.concatenate([p[2] for p in parts])
        return co if err is None else co[co < err * nt]

    if len(parts) == 1:
        uk, uo, _, _, dead, fired = parts[0]
    else:
        dead = np.sort(np.concatenate([p[4] for p in parts]))
        uk = np.concatenate([p[0] for p in parts])
        uo = np.concatenate([p[1] for p in parts])
        if err is not None:  # another part's states beyond the failing one do not count
            dead = dead[dead < err]
            m = uo < (err - pos0) * nt
            uk, uo = uk[m], uo[m]
        uk, uo = _first_packed(uk, uo, ob) if packed else _first_argsort(uk, uo)
        fired = np.sum([p[5] for p in parts], axis=0) if err is None else np.bincount(cand_order() % nt, minlength=nt)
    ins = np.searchsorted(seen, uk)
    known = np.zeros(len(uk), dtype=bool)
    inside = ins < len(seen)
    known[inside] = seen[ins[inside]] == uk[inside]
    fresh = ~known
    uk, uo, ins = uk[fresh], uo[fresh], ins[fresh]
    kb = vk.layout.bits
    if packed:
        both = np.sort((uo << kb) | uk)  # by order; keys ride along in the low bits
        keys_o, ord_o = both & ((1 << kb) - 1), both >> kb
    else:
        r = np.argsort(uo)  # order keys are distinct
        keys_o, ord_o = uk[r], uo[r]
    return _Level(keys_o, ord_o + pos0 * nt, uk, uo + pos0 * nt, ins, fired, cand_order), dead, err


def _part(vk: VectorKernel, keys: np.ndarray, first: int, stride: int, base: int, nt: int, ob: int,
          packed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None, np.ndarray, np.ndarray]:
    """One part of a slice, the states at positions ``first``, ``first + stride``, ...: its
    distinct successor keys (sorted) with their smallest order relative to ``base``, every
    successor's order, the first error, the dead positions, and the successors per step."""
    pos = first + stride * np.arange(len(keys), dtype=I64)
    cache: dict[int, np.ndarray] = {}
    parts_k: list[np.ndarray] = []
    parts_o: list[np.ndarray] = []
    err: int | None = None
    for t in vk.system.transitions:
        m = len(keys)
        while True:
            try:
                k2, p2 = vk.expand(t, keys[:m], pos[:m], cache if m == len(keys) else {f: v[:m] for f, v in cache.items()})
                break
            except LaneError as e:
                # a later statement may fail on an earlier lane: retry on the lanes before this one
                err = e.pos if err is None else min(err, e.pos)
                m = (e.pos - first) // stride
        parts_k.append(k2)
        parts_o.append(p2 * nt + t.index)
    key_all = np.concatenate(parts_k)
    ord_all = np.concatenate(parts_o)
    if err is not None:
        m = ord_all < err * nt
        key_all, ord_all = key_all[m], ord_all[m]
    enabled = np.zeros(len(keys), dtype=bool)
    enabled[(ord_all // nt - first) // stride] = True
    stop = len(keys) if err is None else (err - first) // stride
    dead = pos[np.flatnonzero(~enabled[:stop])]
    rel = ord_all - base * nt
    uk, uo = _first_packed(key_all, rel, ob) if packed else _first_argsort(key_all, rel)
    return uk, uo, ord_all, err, dead, np.bincount(ord_all % nt, minlength=nt)


def _first_packed(keys: np.ndarray, order: np.ndarray, ob: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and each one's smallest order: one value sort of ``key << ob | order``."""
    both = np.sort((keys << ob) | order)
    k = both >> ob
    if not len(k):
        return k, k
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    return k[starts], both[starts] & ((1 << ob) - 1)


def _first_argsort(keys: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_first_packed` for keys too wide to share an int64 with the order."""
    perm = np.argsort(keys)  # equal keys' order does not matter: the minimum is taken below
    ks = keys[perm]
    if not len(ks):
        return ks, ks
    starts = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
    return ks[starts], np.minimum.reduceat(order[perm], starts)
