"""SPIN as an oracle: the exported Promela model against the explicit engine.

The export is checked without SPIN (its shape), then with SPIN's simulator on single steps of
random systems (tests/spin_probe.py, no C compiler), then whole state spaces through the
``spin`` engine on small bundled configurations and hand-made systems (state counts, verdicts,
traces, modelling errors, transition invariants, deadlock end states). Tests needing spin or
a C compiler skip, saying why; the full sweep over models/ is bench/spin_agree.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.config import load_config
from checker.engines import EngineInput, engine_names, load_engine
from checker.export import spin as spin_engine
from checker.export.promela import STATE_OFFSET, to_promela
from checker.lang import Array, Bool, Int, Next, Seq, System
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS, INCONCLUSIVE, VIOLATED
from checker.trace.replay import replay
from checker.verify import instantiate, run_config
from random_systems import build, past_violation_system
from spec import registry
from spin_probe import probe

ROOT = Path(__file__).resolve().parent.parent
SPIN, CC = spin_engine.tools()
needs_spin = pytest.mark.skipif(SPIN is None, reason="spin is not installed (apt-get install spin)")
needs_pan = pytest.mark.skipif(SPIN is None or CC is None, reason="spin or a C compiler is not installed")
FAST_BUILD = {"spin_cc_opt": "-O0", "spin_hash_bits": 18}  # small models: pan builds in a fraction of -O2's time


def _config(rel: str):  # type: ignore[no-untyped-def]
    cfg = load_config(ROOT / rel, registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.name in (cfg.properties or [p.name for p in system.properties])]
    return cfg, system, compiled, props


def _both(system: System, compiled: CompiledSystem, props):  # type: ignore[no-untyped-def]
    ex = load_engine("explicit")(EngineInput(system, compiled, props, {}))
    sp = load_engine("spin")(EngineInput(system, compiled, props, {}, dict(FAST_BUILD)))
    return ex, sp


# ---------------------------------------------------------------- the model's shape (no SPIN)


def test_export_has_one_branch_per_step_and_every_property() -> None:
    _, system, _, props = _config("models/napi_basic/n2.toml")
    m = to_promela(system, props)
    steps = [b for b in m.branches if b.kind == "step"]
    assert [b.tid for b in steps] == [t.index for t in system.transitions]
    assert m.text.count(":: d_step {") == len(m.branches)
    assert [b.kind for b in m.branches].count("deadlock") == 1
    for k, p in enumerate(props, start=1):
        assert f"{k}. {p.name} ({p.kind})" in m.text
    assert "byte pending[2];" in m.text and "bit irq_masked[2];" in m.text  # fitting widths
    assert re.search(r"bit poll_list\[3\]; byte poll_list_len;", m.text)  # a sequence: slots + length


def test_cli_export_writes_the_model(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from checker.cli import main

    out = tmp_path / "n2.pml"
    r = CliRunner().invoke(main, ["export", "--promela", str(ROOT / "models/napi_basic/n2.toml"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("/* napi_basic(N=2")
    r = CliRunner().invoke(main, ["export", "--promela", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2


def test_spin_missing_is_inconclusive_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spin_engine, "tools", lambda: (None, "/usr/bin/gcc"))
    _, system, compiled, props = _config("models/napi_basic/n2.toml")
    r = load_engine("spin")(EngineInput(system, compiled, props, {}))
    assert r.error is None
    assert {p.verdict for p in r.properties} == {INCONCLUSIVE}
    assert all("spin not installed" in p.note for p in r.properties)


# ---------------------------------------------------------------- single steps (SPIN's simulator)


@needs_spin
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_random_systems_step_for_step(data: st.DataObject) -> None:
    """Every enabled step of every reachable state (up to 25 of them) of a random system gives
    the same successor in SPIN's simulator as in the compiled semantics; disabled ones stay off."""
    system = build(data.draw)
    compiled = CompiledSystem.build(system)
    ex = load_engine("explicit")(EngineInput(system, compiled, system.properties, {}))
    states = sorted(ex.reached(), key=repr)[:25] if ex.reached else [system.init_state()]
    assert probe(compiled, system.properties, states) == []


# ---------------------------------------------------------------- whole state spaces (pan)


SMALL = [
    "models/napi_basic/n2.toml",  # every property holds
    "models/napi_basic/unmask_first.toml",  # NoLostWakeup violated
    "models/napi_basic/second_scheduler_no_missed.toml",
    "models/dragonos/v0_rx.toml",  # a require after other statements (folded into the guard)
    "models/dragonos/v2_rx.toml",  # sequences, ghosts read only by temporal properties
    "models/linux/v4_unmask_first.toml",  # its one property violated: both expand violating states
]


@needs_pan
def test_small_configurations_agree_with_explicit() -> None:
    t0 = time.perf_counter()
    for rel in SMALL:
        _, system, compiled, props = _config(rel)
        ex, sp = _both(system, compiled, props)
        assert sp.error is None and ex.error is None, rel
        if ex.stats.exhausted:  # else explicit stopped early (every property violated); SPIN goes on
            assert sp.stats.states == ex.stats.states, rel
        assert {p.name: p.verdict for p in sp.properties} == {p.name: p.verdict for p in ex.properties}, rel
        for p in sp.properties:
            if p.verdict == VIOLATED:  # SPIN's own trail, mapped back onto the spec's steps
                assert p.trace is not None and p.trace.engine == "spin"
                assert replay(p.trace, compiled).ok, rel
    print(f"{len(SMALL)} configurations in {time.perf_counter() - t0:.1f} s")


@needs_pan
def test_verify_reports_a_count_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, *_ = _config("models/napi_basic/n2.toml")
    cfg.options.update(FAST_BUILD)
    out = run_config(cfg, ["explicit", "spin"])
    assert out.status == "pass" and not out.problems
    assert out.engine_results[1].stats.states == out.engine_results[0].stats.states == 2192
    real = spin_engine.STATE_OFFSET
    monkeypatch.setattr(spin_engine, "STATE_OFFSET", real + 1)  # as if SPIN had found one state fewer
    out = run_config(cfg, ["explicit", "spin"])
    assert any("state counts disagree: explicit 2,192, spin 2,191" in p for p in out.problems)


def _counter(cap_value: int) -> System:
    s = System("counter")
    x = s.var("x", Int(0, 3))
    q = s.var("q", Seq(Int(0, 3), 2))
    a = s.var("a", Array(2, Bool))

    @s.action("inc", func="c.c:inc")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(x < cap_value)
        t.set(x, x + 1)
        t.set(a[x % 2], ~a[x % 2])

    @s.action("push", func="c.c:push")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(q.len() < 2)
        t.set(q, q.push_back(x))

    @s.action("pop", func="c.c:pop")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(q.len() > 0)
        t.set(q, q.pop_front())

    s.transition_invariant("Monotone", Next(x) >= x)
    s.transition_invariant("PopsHead", Next(q.len()) >= q.len() - 1)
    s.deadlock("Deadlock", end=x == 3)
    s.finish()
    return s


@needs_pan
def test_transition_invariants_deadlock_ends_and_modelling_errors() -> None:
    s = _counter(3)
    c = CompiledSystem.build(s)
    ex, sp = _both(s, c, s.properties)
    assert sp.stats.states == ex.stats.states > 1
    assert {p.name: p.verdict for p in sp.properties} == {p.name: p.verdict for p in ex.properties} == {
        "Monotone": HOLDS, "PopsHead": HOLDS, "Deadlock": HOLDS}
    # x may now reach 4, beyond Int(0, 3): a modelling error in both engines
    s = _counter(4)
    c = CompiledSystem.build(s)
    ex, sp = _both(s, c, s.properties)
    assert ex.error and sp.error and "inc" in sp.error and "leaves 0..3" in sp.error
    assert sp.error_trace is not None and sp.error_trace.failing_step is not None
    assert sp.error_trace.failing_step.label == "inc"


@needs_pan
def test_deadlock_outside_the_end_states_is_found() -> None:
    s = System("stuck")
    x = s.var("x", Int(0, 2))

    @s.action("inc", func="c.c:inc")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(x < 2)
        t.set(x, x + 1)

    s.deadlock("Deadlock", end=x == 0)  # x == 2 has no step and is not an end state
    s.finish()
    c = CompiledSystem.build(s)
    ex, sp = _both(s, c, s.properties)
    assert sp.stats.states == ex.stats.states == 3
    (p,) = sp.properties
    assert p.verdict == VIOLATED and p.trace is not None and len(p.trace) == 2 and p.trace.kind == "deadlock"
    assert STATE_OFFSET == 1


@needs_pan
def test_violating_states_are_expanded_and_pruned_where_a_step_raises() -> None:
    # as tests/test_explicit_fast.py: x overflows only past Small's violation (x == 3), which
    # prunes those states (no modelling error); flip still runs from violating states reached
    s = past_violation_system()
    c = CompiledSystem.build(s)
    ex, sp = _both(s, c, s.properties)
    assert sp.error is None and ex.error is None
    assert sp.stats.states == ex.stats.states == 8 and sp.stats.exhausted
    verdicts = {p.name: p.verdict for p in sp.properties}
    assert verdicts == {p.name: p.verdict for p in ex.properties} == {
        "Small": VIOLATED, "NonNegative": INCONCLUSIVE, "Deadlock": INCONCLUSIVE}
    assert "x_prune" in to_promela(s, s.properties).text
