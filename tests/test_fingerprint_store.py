"""The fingerprint store keeps its promise: the states of the exact store, and honest collision odds.

The old fingerprint (CPython's ``hash()`` of the packed key, i.e. the key modulo 2^61 - 1) merged
every two states whose keys differ by a multiple of 2^61 - 1: it lost 79 % of linux618_n2's states
while printing a collision probability of 1e-9. These tests would have caught it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import engine_names
from checker.explicit.bfs import Explorer, Limits, explore
from checker.explicit.fingerprint import collision_probability, key_fingerprint, state_fingerprint
from checker.lang import Int, System
from checker.lang.pycompile import CompiledSystem
from checker.verify import instantiate
from spec import registry

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "models").rglob("*.toml"))
M61 = (1 << 61) - 1
SAFETY = ("invariant", "transition", "deadlock")


def test_keys_differing_by_multiples_of_2_61_minus_1_do_not_collide() -> None:
    keys = [a + j * M61 for a in (0, 1, 12345, 1 << 70) for j in range(64)]
    assert len({hash(k) for k in keys}) == 4  # what the old store keyed on: 4 distinct values
    assert len({key_fingerprint(k) for k in keys}) == len(keys)
    assert all(0 <= key_fingerprint(k) < 1 << 64 for k in keys)
    assert state_fingerprint((1, (True, 2), ())) != state_fingerprint((1, (True, 3), ()))


def _stride_system() -> System:
    """States whose packed keys (one 66-bit field) are 0, 2^61 - 1, 2 (2^61 - 1), ...: one class modulo 2^61 - 1."""
    s = System("stride")
    x = s.var("x", Int(0, 40 * M61))
    s.var("pad", Int(0, 1))

    @s.action("stride", func="test")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(x <= 39 * M61)
        t.set(x, x + M61)

    s.invariant("Bounded", x <= 40 * M61)
    s.finish()
    return s


@pytest.mark.parametrize("limits", [Limits(), Limits(fast=False), Limits(vector=False)],
                         ids=["packed", "generic", "packed-only"])
def test_fingerprint_store_keeps_keys_equal_modulo_2_61_minus_1(limits: Limits) -> None:
    c = CompiledSystem.build(_stride_system())
    exact = explore(c, c.system.properties, limits)
    fp = explore(c, c.system.properties, limits, store="fingerprint")
    assert exact.stats.states == 41  # x = 0, 1, ..., 40 strides
    assert fp.stats.states == 41  # the old store found 1
    assert 0 < fp.stats.collision_probability < 1e-15


def test_collision_probability_from_the_real_figures() -> None:
    # TLC's optimistic estimate n (m - n) / 2^64, never below the birthday bound n (n - 1) / 2^65
    assert collision_probability(10**6, 3 * 10**6) == pytest.approx(10**6 * 2 * 10**6 / 2**64)
    assert collision_probability(10**6, 10**6) == pytest.approx(10**6 * (10**6 - 1) / 2**65)


@pytest.mark.parametrize("path", CONFIGS, ids=[str(p.relative_to(ROOT / "models")) for p in CONFIGS])
def test_fingerprint_reaches_exactly_the_exact_states(path: Path) -> None:
    """On every bundled configuration, the first 3,000 states in the same order, with the same
    parents and steps (so the same traces), whether states are stored exactly or fingerprinted.
    (The full state counts agree too: bench/fingerprint_vs_exact.py, about 2 minutes.)"""
    cfg = load_config(path, registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in SAFETY]
    runs = [Explorer(compiled, props, Limits(max_states=3000), store=store) for store in ("exact", "fingerprint")]
    exact, fp = (e.run() for e in runs)
    assert fp.stats.states == exact.stats.states
    assert runs[0].parent == runs[1].parent and runs[0].via == runs[1].via
    assert [p.verdict for p in fp.properties] == [p.verdict for p in exact.properties]
