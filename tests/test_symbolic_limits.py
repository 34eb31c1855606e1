"""The symbolic engines stop at max_seconds: no Z3 query runs past the engine's time."""

from __future__ import annotations

import time

import pytest

from checker.engines import EngineInput, load_engine
from checker.lang.pycompile import CompiledSystem
from checker.result import INCONCLUSIVE
from checker.symbolic.problem import clip_ms
from spec.napi_basic import SPEC


@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_max_seconds_bounds_every_query(engine: str) -> None:
    # N=2: no engine decides NoLostWakeup within a second (bench/README.md), and a single query
    # may take far longer than that (per-query timeout 60 s)
    system = SPEC.instantiate({"N": 2, "RING": 2, "WEIGHT": 1})
    c = CompiledSystem.build(system)
    props = [system.prop("NoLostWakeup")]
    t0 = time.perf_counter()
    res = load_engine(engine)(EngineInput(system, c, props, {"max_seconds": 1.0, "query_timeout": 60,
                                                              "max_bound": 60}))
    secs = time.perf_counter() - t0
    (p,) = res.properties
    assert p.verdict == INCONCLUSIVE, p.note
    assert secs < 4.0, secs  # 1 s of solving, plus building the formulas


def test_query_timeout_is_cut_to_the_time_left() -> None:
    now = time.perf_counter()
    assert clip_ms(60_000, float("inf")) == 60_000
    assert clip_ms(60_000, now - 5) == 1  # past the deadline: the smallest timeout Z3 accepts
    assert 1_500 <= clip_ms(60_000, now + 2) <= 2_000
    assert clip_ms(500, now + 2) == 500


def test_spacer_gets_the_whole_max_seconds() -> None:
    from checker.symbolic.pdr import spacer_ms

    now = time.perf_counter()
    # a user asking for 120 s gets (nearly) 120 s, not the 60 s default of query_timeout
    assert 119_000 <= spacer_ms({}, now + 120) <= 120_000
    assert 119_000 <= spacer_ms({"query_timeout": 60}, now + 120) <= 120_000
    assert spacer_ms({"query_timeout": 5}, float("inf")) == 5_000  # no max_seconds: the per-query limit


def test_kind_is_bounded_by_time_not_k_when_max_seconds_is_given() -> None:
    from checker.symbolic.engine import KIND_BOUND, kind_bound

    assert kind_bound({}) == KIND_BOUND == 12
    assert kind_bound({"max_seconds": 120}) > 10_000
    assert kind_bound({"max_seconds": 120, "max_bound": 5}) == 5


def _long_chain() -> object:
    """x counts 0..5 and stops; the unreachable chain 6 -> 7 -> ... -> 20 ends in the bad state 20,
    so "x != 20" is 15-inductive and not 12-inductive."""
    from checker.lang import Int, System

    s = System("chain")
    x = s.var("x", Int(0, 20))

    @s.action("inc", func="f.c:inc")
    def inc(t):
        t.require(x != 5)
        t.require(x < 20)
        t.set(x, x + 1)

    s.invariant("Not20", x != 20)
    s.finish()
    return s


def test_kind_runs_past_k12_within_max_seconds() -> None:
    system = _long_chain()
    c = CompiledSystem.build(system)
    props = list(system.properties[:1])
    res = load_engine("kind")(EngineInput(system, c, props, {}))
    assert res.properties[0].verdict == INCONCLUSIVE  # k stops at 12 without a time budget
    res = load_engine("kind")(EngineInput(system, c, props, {"max_seconds": 120}))
    (p,) = res.properties
    assert p.verdict == "holds" and p.detail["k"] == 15, p.note
