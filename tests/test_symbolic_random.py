"""Random transition systems over the language's types: explicit (every loop), BMC and PDR must agree."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from random_systems import build

from checker.engines import EngineInput, load_engine
from checker.explicit.bfs import explore
from checker.lang.pycompile import CompiledSystem
from checker.explicit.bfs import Limits
from checker.result import ERROR, HOLDS, VIOLATED
from checker.trace.replay import replay


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_systems_agree(data: st.DataObject) -> None:
    system = build(data.draw)
    c = CompiledSystem.build(system)
    ex = explore(c, system.properties)
    want = ERROR if ex.error else ex.properties[0].verdict
    for engine in ("bmc", "pdr"):
        # BMC one step beyond the explicit depth sees every violation the explicit engine can
        bound = ex.stats.depth + 2
        res = load_engine(engine)(EngineInput(system, c, list(system.properties), {"query_timeout": 20, "max_bound": bound}))
        got = ERROR if res.error else res.properties[0].verdict
        if engine == "bmc" and want == HOLDS:
            assert got != VIOLATED and got != ERROR
            continue
        assert got == want, (engine, res.properties[0].note, ex.properties[0].note)
        trace = res.error_trace if res.error else res.properties[0].trace
        if got in (VIOLATED, ERROR):
            assert trace is not None and replay(trace, c).ok
            ref = ex.error_trace if ex.error else ex.properties[0].trace
            assert len(trace) == len(ref)  # both shortest


def _summary(r):  # type: ignore[no-untyped-def]
    traces = [[t.key for t in p.trace.steps] if p.trace else None for p in r.properties]
    err = [t.key for t in r.error_trace.steps] if r.error_trace else None
    return (r.stats.states, r.stats.transitions, r.stats.depth, r.stats.coverage, r.error, err,
            [p.verdict for p in r.properties], traces)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_systems_every_explicit_loop_agrees(data: st.DataObject) -> None:
    system = build(data.draw)
    c = CompiledSystem.build(system)
    props = list(system.properties)
    generic = _summary(explore(c, props, Limits(fast=False)))
    assert _summary(explore(c, props, Limits(vector=False))) == generic
    assert _summary(explore(c, props, Limits(handoff=0))) == generic
