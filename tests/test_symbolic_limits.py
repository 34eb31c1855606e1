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
