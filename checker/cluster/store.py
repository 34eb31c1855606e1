"""A partition's visited set: which of a batch of (distinct) rows are new, remembering them.

Pluggable: a worker needs only :class:`VisitedStore`'s ``add_new`` and ``__len__``. Two stores here:

* :class:`SortedRunsStore` — exact: the rows themselves, in sorted runs (a log-structured merge:
  a run is merged with the previous one once that is at most twice its size, so there are
  O(log n) runs and every row is re-merged O(log n) times). 8 bytes per 64 bits of state.
* :class:`FingerprintStore` — the 64-bit BLAKE2b fingerprint of each key (checker.explicit.fingerprint,
  the single-process ``store = "fingerprint"``), in the same sorted runs: 8 bytes per state.

A disk-spilling store (the speed issue's) plugs in through :func:`make_store`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from checker.cluster.keys import to_ints
from checker.explicit.fingerprint import key_fingerprint


class VisitedStore(Protocol):
    def add_new(self, rows: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows (distinct, void dtype) not seen before; they are now seen."""
        ...

    def __len__(self) -> int: ...


class SortedRunsStore:
    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def _rows(self, rows: np.ndarray) -> np.ndarray:
        return rows

    def add_new(self, rows: np.ndarray) -> np.ndarray:
        rows = self._rows(rows)
        new = np.ones(len(rows), dtype=bool)
        for run in self.runs:
            i = np.searchsorted(run, rows)
            i[i == len(run)] = 0
            new &= run[i] != rows
        fresh = np.sort(rows[new])
        if len(fresh):
            self.runs.append(fresh)
            self.n += len(fresh)
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            b = self.runs.pop()
            a = self.runs.pop()
            self.runs.append(np.sort(np.concatenate([a, b]), kind="stable"))
        return new

    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.runs)


class FingerprintStore(SortedRunsStore):
    def _rows(self, rows: np.ndarray) -> np.ndarray:
        fps = np.array([key_fingerprint(k) for k in to_ints(rows)], dtype=np.uint64)
        return fps.view("V8")


class SpillingStore:
    """Fingerprints in the disk-spilling store of checker.explicit.store (TLC's DiskFPSet: a hot set,
    sorted runs in memory, page-indexed runs on disk past ``memory_mb``). ImportError where that
    store does not exist."""

    def __init__(self, memory_mb: int | None) -> None:
        from checker.explicit.store import FingerprintStore as Spilling

        self.fps = Spilling(memory_mb=memory_mb)

    def __len__(self) -> int:
        return len(self.fps)

    def add_new(self, rows: np.ndarray) -> np.ndarray:
        new = self.fps.add(np.array([key_fingerprint(k) for k in to_ints(rows)], dtype=np.uint64))
        self.fps.settle()
        return np.asarray(new, dtype=bool)


def make_store(kind: str, memory_mb: int | None = None) -> VisitedStore:
    """The store for ``[limits] store`` (``exact`` or ``fingerprint``); with ``memory_mb`` (a memory
    budget per worker), fingerprints that spill to disk past it when that store is available."""
    if kind != "fingerprint":
        return SortedRunsStore()
    if memory_mb is not None:
        try:
            return SpillingStore(memory_mb)
        except ImportError:
            pass
    return FingerprintStore()
