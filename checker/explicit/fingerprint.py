"""Fingerprints of states for ``--store fingerprint``: 64 bits of BLAKE2b over the whole state.

A fingerprint store keeps one 64-bit number per visited state instead of the state itself; two
distinct states with the same fingerprint are merged, so the second is never explored. That is
sound only if such a collision is improbable, which needs a hash that behaves like a random
function of *every* bit of the state. (CPython's ``hash()`` of an int is the int modulo
2^61 - 1: the identity below 61 bits, and systematic collisions above — keys that differ by a
multiple of 2^61 - 1 always collide. It lost 79 % of ``models/linux/linux618_n2.toml``'s states.)

* :func:`key_fingerprint` — a packed state (a non-negative int of any width, see
  :mod:`checker.explicit.packed`): BLAKE2b (digest 8 bytes) of its little-endian bytes.
* :func:`state_fingerprint` — a logical state (nested tuples of ints and bools, the generic loop):
  BLAKE2b of its ``repr``, which spells every value.
* :func:`collision_probability` — TLC's optimistic estimate from the run's real figures:
  ``n * (m - n) / 2^b`` for ``n`` distinct states among ``m`` generated ones (each of the ``m - n``
  look-ups of a generated state found "seen" could have been a collision with one of ``n``
  stored fingerprints), never less than the birthday bound ``n (n - 1) / 2^(b + 1)`` (some two
  of the ``n`` stored states share a fingerprint).
"""

from __future__ import annotations

from hashlib import blake2b

BITS = 64
_BYTES = BITS // 8


def key_fingerprint(key: int, _b2: object = blake2b, _from: object = int.from_bytes) -> int:
    """64-bit fingerprint of a packed state ``key`` (>= 0)."""
    data = key.to_bytes((key.bit_length() + 7) >> 3, "little")
    return _from(_b2(data, digest_size=_BYTES).digest(), "little")  # type: ignore[operator]


def state_fingerprint(state: object) -> int:
    """64-bit fingerprint of a logical state (nested tuples of ints and bools)."""
    return int.from_bytes(blake2b(repr(state).encode(), digest_size=_BYTES).digest(), "little")


def collision_probability(distinct: int, generated: int, bits: int = BITS) -> float:
    """Probability that the fingerprint store merged two distinct states (see the module docstring)."""
    n, m = distinct, max(generated, distinct)
    return max(n * (m - n) / 2.0**bits, n * (n - 1) / 2.0 ** (bits + 1))


__all__ = ["BITS", "collision_probability", "key_fingerprint", "state_fingerprint"]
