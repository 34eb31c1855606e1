"""The visited set of the fingerprint store: 64-bit fingerprints in memory, spilled to disk past a budget.

A search that outgrows memory goes on, as TLC's disk-backed fingerprint set (``DiskFPSet``) does,
instead of stopping. The fingerprints (checker.explicit.fingerprint) live in three tiers, in the
shape of a log-structured merge tree:

* **hot** — a Python set, the one the packed kernel probes and fills for every successor (a
  look-up at C speed). It holds at most ``hot_max`` fingerprints (about 70 bytes each).
* **runs** — sorted ``uint64`` numpy arrays in memory (8 bytes a fingerprint). A full hot set
  becomes one run; runs of similar sizes are merged (a merge of two sorted arrays is linear), so
  each fingerprint is merged O(log n) times and there are O(log n) runs.
* **disk runs** — when the runs in memory exceed the budget, they are merged and written to one
  sorted file under a spill folder (removed at :meth:`FingerprintStore.close`). A look-up finds
  the fingerprint's page by binary search over an in-memory index (the first fingerprint of every
  ``PAGE``-th entry, TLC's page index) and then searches that page only: one page read per
  look-up. Too many disk runs are merged, streaming, into one.

The tiers never share a fingerprint. The kernel sees only the hot set; the explorer checks the
fingerprints of each batch of new states against the other tiers at once (:meth:`cold_mask`,
vectorised) and drops those already seen, so the explored states, their order and the traces are
those of an in-memory fingerprint store.

The interface for other loops (a native kernel, a partition of a distributed search):
``add(fps) -> new mask``, ``contains(fps) -> mask``, ``len(store)``, ``settle()`` (move a full hot
set down; call between batches), ``close()``.

The parent pointers (index of the parent state and of the step, 6 bytes a state) are
:class:`SpillArray` objects: arrays the kernel appends to at C speed, whose oldest entries move
to a file once they pass a quarter of the budget (``FingerprintStore.parent_budget``); a trace
reads its few dozen entries back from there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from array import array
from typing import Any, Iterable

import numpy as np

PAGE = 512  # fingerprints per disk page (4 KiB): one page read per disk look-up
HOT_BYTES = 80  # about what a Python set spends per int of 64 bits (the int and its slot)
MAX_DISK_RUNS = 6  # more are merged into one
MERGE_BLOCK = 1 << 22  # fingerprints per block of a streaming merge of disk runs
PARENTS_KEPT = 1 << 16  # newest parent entries kept in memory when the rest spill
_U64 = np.uint64


def default_memory_mb() -> int:
    """A quarter of this machine's memory, at most 8 GiB (6 GiB on a 24 GiB machine)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return int(min(8192, max(256, total // 4 >> 20)))


class _DiskRun:
    """A sorted file of fingerprints and its page index (the first fingerprint of each page)."""

    def __init__(self, path: str, n: int) -> None:
        self.path = path
        self.n = n
        self.mm = self._map()
        self.index = np.array(self.mm[::PAGE])  # in memory: 8 bytes per page

    def _map(self) -> np.ndarray:
        return np.memmap(self.path, dtype=_U64, mode="r", shape=(self.n,)) if self.n else np.zeros(0, _U64)

    def remap(self) -> None:
        """Drop the mapping's resident pages from this process (they stay in the OS's page cache)."""
        self.mm = self._map()

    def mask(self, fps: np.ndarray) -> np.ndarray:
        """Which of ``fps`` are in this run: a binary search within each one's page only."""
        if not self.n or not fps.size:
            return np.zeros(fps.size, bool)
        page = np.searchsorted(self.index, fps, side="right") - 1
        ok = page >= 0
        lo = np.maximum(page, 0) * PAGE
        hi = np.minimum(lo + PAGE, self.n)
        # vectorised binary search over [lo, hi): every probe falls in the candidate's own page
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) >> 1
            v = self.mm[np.where(active, mid, 0)]
            go_right = active & (v < fps)
            lo = np.where(go_right, mid + 1, lo)
            hi = np.where(active & ~go_right, mid, hi)
        inside = lo < self.n
        found = np.zeros(fps.size, bool)
        found[inside] = self.mm[lo[inside]] == fps[inside]
        return found & ok

    def blocks(self) -> Iterable[np.ndarray]:
        for a in range(0, self.n, MERGE_BLOCK):
            yield np.array(self.mm[a:a + MERGE_BLOCK])

    def delete(self) -> None:
        self.mm = np.zeros(0, _U64)
        os.unlink(self.path)


def _in_sorted(run: np.ndarray, fps: np.ndarray) -> np.ndarray:
    if not run.size:
        return np.zeros(fps.size, bool)
    i = np.searchsorted(run, fps)
    i[i == run.size] = run.size - 1
    return run[i] == fps


def _merge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two sorted disjoint arrays as one (timsort finds the two runs: a linear merge)."""
    out = np.concatenate((a, b))
    out.sort(kind="stable")
    return out


class FingerprintStore:
    """The visited set of 64-bit fingerprints (see the module docstring)."""

    def __init__(self, memory_mb: int | None = None, spill_dir: str | None = None, hot_max: int | None = None) -> None:
        budget = (memory_mb if memory_mb is not None else default_memory_mb()) << 20
        self.hot: set[int] = set()
        # a hot set of an eighth of the budget at most (2M fingerprints: ~160 MiB), the rest for runs
        self.hot_max = hot_max or max(1024, min(1 << 21, budget // 8 // HOT_BYTES))
        self.run_budget = max(budget - self.hot_max * HOT_BYTES, 1 << 16)
        self.parent_budget = max(budget // 4, 1 << 20)  # for the explorer's parent and step arrays
        self.runs: list[np.ndarray] = []
        self.disk: list[_DiskRun] = []
        self._spill_parent = spill_dir
        self._dir: str | None = None
        self._files = 0
        self.spills = 0  # times the runs in memory were written to disk

    # -- the interface
    def __len__(self) -> int:
        return len(self.hot) + sum(r.size for r in self.runs) + sum(d.n for d in self.disk)

    def __contains__(self, fp: int) -> bool:
        return fp in self.hot or bool(self.cold_mask(np.array([fp], _U64))[0])

    @property
    def cold(self) -> bool:
        """Some fingerprints are outside the hot set (then new states must be checked with :meth:`cold_mask`)."""
        return bool(self.runs or self.disk)

    def cold_mask(self, fps: np.ndarray | list[int]) -> np.ndarray:
        """Which of ``fps`` are in a run in memory or on disk (not the hot set)."""
        fps = np.asarray(fps, dtype=_U64)
        found = np.zeros(fps.size, bool)
        if not self.cold or not fps.size:
            return found
        order = np.argsort(fps, kind="stable")  # sorted probes: neighbouring look-ups share pages
        s = fps[order]
        hit = np.zeros(s.size, bool)
        for r in self.runs:
            hit |= _in_sorted(r, s)
        for d in self.disk:
            left = ~hit
            if left.any():
                hit[left] |= d.mask(s[left])
        found[order] = hit
        return found

    def contains(self, fps: np.ndarray | list[int]) -> np.ndarray:
        """Which of ``fps`` are stored (any tier)."""
        fps = np.asarray(fps, dtype=_U64)
        hot = self.hot
        return self.cold_mask(fps) | np.fromiter((f in hot for f in fps.tolist()), bool, fps.size)

    def add(self, fps: np.ndarray | list[int]) -> np.ndarray:
        """Add ``fps``; returns which were new (of equal new ones, the first)."""
        fps = np.asarray(fps, dtype=_U64)
        new = ~self.contains(fps)
        if new.any():
            _, first = np.unique(fps, return_index=True)
            once = np.zeros(fps.size, bool)
            once[first] = True
            new &= once
            self.hot.update(fps[new].tolist())
        return new

    def settle(self) -> None:
        """A full hot set becomes a sorted run; runs merge; past the budget they go to disk."""
        if len(self.hot) < self.hot_max:
            return
        run = np.fromiter(self.hot, _U64, len(self.hot))
        run.sort()
        self.hot.clear()
        self.runs.append(run)
        while len(self.runs) > 1 and self.runs[-2].size <= 2 * self.runs[-1].size:
            b = self.runs.pop()
            a = self.runs.pop()
            self.runs.append(_merge(a, b))
        if sum(r.nbytes for r in self.runs) > self.run_budget:
            self._spill()
        for d in self.disk:
            d.remap()

    def close(self) -> None:
        """Remove the spill files."""
        self.disk.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __del__(self) -> None:
        self.close()

    def disk_bytes(self) -> int:
        return sum(d.n for d in self.disk) * 8

    # -- disk
    def _path(self) -> str:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="napi-check-fps-", dir=self._spill_parent)
        self._files += 1
        return os.path.join(self._dir, f"run{self._files}.u64")

    def _spill(self) -> None:
        run = self.runs[0]
        for r in self.runs[1:]:
            run = _merge(run, r)
        self.runs = []
        path = self._path()
        run.tofile(path)
        self.disk.append(_DiskRun(path, run.size))
        self.spills += 1
        if len(self.disk) > MAX_DISK_RUNS:
            self._merge_disk()

    def _merge_disk(self) -> None:
        """Merge every disk run into one file, streaming block by block (memory: a few blocks)."""
        path = self._path()
        runs = self.disk
        iters = [d.blocks() for d in runs]
        heads = [next(it, None) for it in iters]
        with open(path, "wb") as out:
            while True:
                live = [k for k, h in enumerate(heads) if h is not None and h.size]
                if not live:
                    break
                # everything up to the smallest block end is final: take it from every run
                bound = min(heads[k][-1] for k in live)
                parts = []
                for k in live:
                    h = heads[k]
                    cut = int(np.searchsorted(h, bound, side="right"))
                    parts.append(h[:cut])
                    heads[k] = h[cut:] if cut < h.size else next(iters[k], None)
                block = np.concatenate(parts)
                block.sort()
                block.tofile(out)
        n = sum(d.n for d in runs)
        for d in runs:
            d.delete()
        self.disk = [_DiskRun(path, n)]


class SpillArray(array):
    """An append-only ``array`` (parent indices, step indices) whose oldest part moves to a file.

    The packed kernel appends at C speed (``append``/``extend`` are the array's own); indices keep
    counting from the first entry ever appended: ``len``, reading an entry and deleting a tail
    (``del a[i:]``, the explorer's roll-backs) take the entries on disk into account. Reading an
    entry on disk is one small read (traces and causes walk back a few dozen entries per violation).
    """

    base: int
    _file: Any

    def __new__(cls, typecode: str, spill_dir: str | None = None) -> SpillArray:
        self = super().__new__(cls, typecode)
        self.base = 0  # entries on disk: the first in memory has index base
        self._file = None
        self._dir = spill_dir
        return self

    def __len__(self) -> int:
        return self.base + array.__len__(self)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return array(self.typecode, [self[j] for j in range(*i.indices(len(self)))])
        if i < 0:
            i += len(self)
        if i >= self.base:
            return array.__getitem__(self, i - self.base)
        if i < 0:
            raise IndexError("array index out of range")
        self._file.seek(i * self.itemsize)
        return array(self.typecode, self._file.read(self.itemsize))[0]

    def __delitem__(self, i: Any) -> None:
        if not (isinstance(i, slice) and i.step is None and (i.stop is None or i.stop >= len(self))):
            raise TypeError("a SpillArray deletes tails only")
        start = i.start or 0
        if start < 0:
            start += len(self)
        if start < self.base:
            raise IndexError("cannot delete entries already on disk")
        array.__delitem__(self, slice(start - self.base, None))

    def __eq__(self, other: object) -> bool:
        if not self.base and not getattr(other, "base", 0):
            return array.__eq__(self, other)  # type: ignore[no-any-return]
        return isinstance(other, array) and len(self) == len(other) and all(
            self[j] == other[j] for j in range(len(self)))

    __hash__ = None  # type: ignore[assignment]

    def memory_bytes(self) -> int:
        return array.__len__(self) * self.itemsize

    def spill(self, keep: int) -> None:
        """Move all but the newest ``keep`` entries in memory to the file."""
        n = array.__len__(self) - keep
        if n <= 0:
            return
        if self._file is None:
            fd, path = tempfile.mkstemp(prefix="napi-check-parents-", dir=self._dir)
            self._file = os.fdopen(fd, "w+b")
            os.unlink(path)  # removed when closed (or when the process ends)
        self._file.seek(0, os.SEEK_END)
        self._file.write(memoryview(self)[:n].tobytes())
        self._file.flush()
        array.__delitem__(self, slice(0, n))
        self.base += n

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


__all__ = ["FingerprintStore", "SpillArray", "default_memory_mb"]
