"""Packed state keys (non-negative ints, see checker.explicit.packed) as numpy rows, and their owners.

A key of ``bits`` bits travels as ``words = ceil(bits / 64)`` little-endian 64-bit words, viewed as
one ``numpy.void`` row of ``8 * words`` bytes: rows compare, sort and deduplicate byte-wise in numpy,
whatever the width of the state. A key's owner (the partition that stores it) is a splitmix64 mix of
its words modulo the number of partitions: every worker computes the same owner for the same state.
"""

from __future__ import annotations

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def words_for(bits: int) -> int:
    return max(1, (bits + 63) // 64)


def to_rows(keys: list[int], words: int) -> np.ndarray:
    """Python int keys -> one void row of ``8 * words`` bytes each."""
    width = 8 * words
    buf = b"".join([k.to_bytes(width, "little") for k in keys])
    return np.frombuffer(buf, dtype=f"V{width}").copy() if keys else np.empty(0, dtype=f"V{width}")


def to_ints(rows: np.ndarray) -> list[int]:
    """Rows back to Python int keys."""
    width = rows.dtype.itemsize
    if width == 8:
        return rows.view(np.uint64).tolist()  # type: ignore[no-any-return]
    buf = rows.tobytes()
    frm = int.from_bytes
    return [frm(buf[i:i + width], "little") for i in range(0, len(buf), width)]


def owners(rows: np.ndarray, partitions: int) -> np.ndarray:
    """The owning partition of each row (int64 in ``0..partitions-1``)."""
    if partitions == 1:
        return np.zeros(len(rows), dtype=np.int64)
    w = rows.view(np.uint64).reshape(len(rows), rows.dtype.itemsize // 8)
    h = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(w.shape[1]):
            x = h ^ w[:, j] ^ np.uint64(j)
            x ^= x >> np.uint64(30)
            x *= _M1
            x ^= x >> np.uint64(27)
            x *= _M2
            x ^= x >> np.uint64(31)
            h = x
    return (h % np.uint64(partitions)).astype(np.int64)
