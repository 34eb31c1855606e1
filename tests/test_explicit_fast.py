"""The explicit engine's fast paths give exactly the generic loop's results.

The packed kernel (checker.explicit.packed), the native C kernel (checker.explicit.native, when a
C compiler is present), the numpy frontier loop (checker.explicit.vector),
the multi-process expansion (checker.explicit.parallel) and the generic loop over logical states
must agree on state and transition counts, depth, coverage, verdicts, traces and modelling
errors — including runs cut short by a limit or by every property being decided mid-level.
"""

from __future__ import annotations

import pytest

from checker.explicit import parallel, vector_bfs
from checker.explicit.bfs import Limits, explore
from checker.explicit.native import build_native, compiler
from checker.explicit.packed import Layout, build_kernel
from checker.lang import Array, Bool, Int, Not, Seq, System
from checker.lang.pycompile import CompiledSystem
from random_systems import past_violation_system
from spec.bench_nf import SPEC as NF
from spec.napi_basic import SPEC as BASIC


def summary(r):  # type: ignore[no-untyped-def]
    props = {p.name: (p.verdict, [t.key for t in p.trace.steps] if p.trace else None) for p in r.properties}
    err = (r.error, [t.key for t in r.error_trace.steps] if r.error_trace else None)
    return (r.stats.states, r.stats.transitions, r.stats.depth, r.stats.limit_hit, r.stats.coverage, props, err)


NATIVE = compiler() is not None
needs_cc = pytest.mark.skipif(not NATIVE, reason="no C compiler")


def both(c: CompiledSystem, **lim: object) -> tuple:
    """(packed, generic) summaries, after checking that the numpy loop and the native loop (from the
    first level) give the packed one."""
    fast = explore(c, c.system.properties, Limits(fast=True, vector=False, native=False, **lim))  # type: ignore[arg-type]
    vec = explore(c, c.system.properties, Limits(fast=True, handoff=0, **lim))  # type: ignore[arg-type]
    gen = explore(c, c.system.properties, Limits(fast=False, **lim))  # type: ignore[arg-type]
    assert summary(vec) == summary(fast)
    if NATIVE:
        nat = explore(c, c.system.properties, Limits(fast=True, vector=False, handoff=0, compile_level=0, **lim))  # type: ignore[arg-type]
        assert "native C kernel" in nat.stats.loop
        assert summary(nat) == summary(fast)
        compact = explore(c, c.system.properties, Limits(fast=True, vector=False, handoff=0, compile_level=0, **lim),  # type: ignore[arg-type]
                          store="compact")
        assert "compact store" in compact.stats.loop and compact.reached is None
        assert summary(compact) == summary(fast)
    return summary(fast), summary(gen)


CONFIGS = [
    dict(N=2), dict(N=2, requeue_head=True), dict(N=2, unmask_first=True), dict(N=2, timer=True),
    dict(N=2, split_test_set=True), dict(N=2, RING=3, WEIGHT=2),
]


@pytest.mark.parametrize("k", CONFIGS, ids=[",".join(f"{a}={b}" for a, b in k.items()) for k in CONFIGS])
@pytest.mark.parametrize("max_states", [None, 300])
def test_packed_kernel_matches_generic_on_napi_basic(k: dict, max_states: int | None) -> None:
    c = CompiledSystem.build(BASIC.instantiate(k))
    assert build_kernel(c, [p for p in c.system.properties if p.kind == "invariant"]) is not None
    fast, gen = both(c, max_states=max_states)
    assert fast == gen


STOPS = {"first": dict(max_traces=1), "three": dict(max_traces=3), "stop": dict(stop_at_first_violation=True)}


@pytest.mark.parametrize("props", [["SchedIffQueued"], ["SchedIffQueued", "Deadlock"], ["NoLostWakeup"]])
@pytest.mark.parametrize("max_states", [None, 700])
@pytest.mark.parametrize("stop", list(STOPS))
def test_numpy_loop_stops_where_the_sequential_search_does(props: list[str], max_states: int | None, stop: str) -> None:
    # the bug variant decides SchedIffQueued mid-level: the states kept, transitions counted and
    # the trace must be those of a search that stops right after the deciding state
    c = CompiledSystem.build(NF.instantiate({"N": 3, "P": 3, "B": 2, "bug": True}))
    chosen = [c.system.prop(p) for p in props]
    kw = STOPS[stop]
    got = [summary(explore(c, chosen, Limits(handoff=0, max_states=max_states, **kw))),  # type: ignore[arg-type]
           summary(explore(c, chosen, Limits(vector=False, max_states=max_states, **kw))),  # type: ignore[arg-type]
           summary(explore(c, chosen, Limits(fast=False, max_states=max_states, **kw)))]  # type: ignore[arg-type]
    assert got[0] == got[1] == got[2]
    if NATIVE:  # the native loop, from the first level
        nat = explore(c, chosen, Limits(vector=False, handoff=0, compile_level=0, max_states=max_states,
                                        **kw))  # type: ignore[arg-type]
        assert "native C kernel" in nat.stats.loop
        assert summary(nat) == got[0]
        compact = explore(c, chosen, Limits(vector=False, handoff=0, compile_level=0, max_states=max_states,
                                            **kw), store="compact")  # type: ignore[arg-type]
        assert "compact store" in compact.stats.loop
        assert summary(compact) == got[0]
    # Alone, SchedIffQueued is decided in the fourth level, mid-level (25 states). Violating states
    # are expanded, so every other run explores the whole space (4,223 states) — SchedIffQueued has
    # one cause only, and Deadlock is violated in 21 steps only past its violations — unless the
    # search stops at the first violation.
    whole = 4223
    want = {"SchedIffQueued": 25 if stop != "three" else whole,
            "SchedIffQueued,Deadlock": 25 if stop == "stop" else whole, "NoLostWakeup": whole}[",".join(props)]
    assert got[0][0] == (min(want, max_states) if max_states else want)
    verdicts = got[0][5]
    if props == ["SchedIffQueued", "Deadlock"] and not max_states:
        # stopping at the first violation leaves Deadlock undecided, never "holds"
        assert verdicts["Deadlock"][0] == ("inconclusive" if stop == "stop" else "violated")


def test_depth_limit_and_fingerprint_store() -> None:
    c = CompiledSystem.build(NF.instantiate({"N": 3, "P": 2, "B": 1}))
    fast, gen = both(c, max_depth=5)
    assert fast == gen and fast[3] == "depth"
    fp = explore(c, c.system.properties, Limits(), store="fingerprint")
    assert fp.stats.states == 432 and fp.stats.collision_probability < 1e-12


def test_layout_round_trip() -> None:
    c = CompiledSystem.build(BASIC.instantiate({"N": 3, "timer": True}))
    lay = Layout(c.system)
    s = c.system.init_state()
    seen = 0
    frontier = [s]
    for _ in range(8):
        nxt = []
        for x in frontier:
            assert lay.unpack(lay.pack(x)) == x
            nxt += [t for _, t in c.successors(x)]
            seen += 1
        frontier = nxt[:200]
    assert seen > 100


def _error_system(kind: str) -> System:
    s = System(f"err_{kind}")
    x = s.var("x", Int(0, 3))
    a = s.var("a", Array(2, Bool))
    q = s.var("q", Seq(Int(0, 1), 2))

    @s.action("step", func="test")
    def _(t):  # type: ignore[no-untyped-def]
        if kind == "overflow":
            t.set(x, x + 1)  # leaves 0..3 after three steps
        elif kind == "index":
            t.require(x < 3)
            t.set(a[x], Not(a[x]))  # a[2] is out of bounds
            t.set(x, x + 1)
        elif kind == "capacity":
            t.require(x < 3)
            t.set(q, q.push_back(0))  # the third push exceeds capacity 2
            t.set(x, x + 1)
        else:  # head of an empty sequence once the two pushed ids are gone
            t.require(x < 3)
            t.let("h", q.head())
            t.set(q, q.pop_front())
            t.set(x, x + 1)

    s.var("pad", Bool)
    s.finish()
    return s


_ERRORS = ["overflow", "index", "capacity", "head"]


@pytest.mark.parametrize("kind", _ERRORS)
def test_modelling_errors_are_the_generic_ones(kind: str) -> None:
    sysm = _error_system(kind)
    if kind == "head":
        sysm.vars[2].init = (0, 1)
    c = CompiledSystem.build(sysm)
    fast, gen = both(c)
    assert fast == gen
    assert fast[6][0] is not None and "modelling error" in fast[6][0]


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_match_one_process(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 100)
    for spec, k in [(NF, {"N": 4, "P": 2, "B": 2}), (NF, {"N": 4, "P": 2, "B": 2, "bug": True}),
                    (BASIC, {"N": 2, "split_test_set": True}), (BASIC, {"N": 2})]:
        c = CompiledSystem.build(spec.instantiate(k))
        one = summary(explore(c, c.system.properties, Limits(vector=False)))
        many = summary(explore(c, c.system.properties, Limits(workers=workers, vector=False)))
        assert one == many


def test_numpy_loop_workers_match_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_bfs, "PARALLEL_MIN", 8)
    for spec, k in [(NF, {"N": 4, "P": 2, "B": 2}), (NF, {"N": 4, "P": 2, "B": 2, "bug": True}),
                    (BASIC, {"N": 2, "split_test_set": True}), (BASIC, {"N": 2})]:
        c = CompiledSystem.build(spec.instantiate(k))
        one = summary(explore(c, c.system.properties, Limits(handoff=0)))
        two = summary(explore(c, c.system.properties, Limits(handoff=0, workers=2)))
        assert one == two
    for e in _ERRORS:
        sysm = _error_system(e)
        if e == "head":
            sysm.vars[2].init = (0, 1)
        c = CompiledSystem.build(sysm)
        assert summary(explore(c, c.system.properties, Limits(handoff=0, workers=2))) == summary(
            explore(c, c.system.properties, Limits(fast=False)))


def test_symmetry_refused_without_declaration_and_when_false() -> None:
    c = CompiledSystem.build(BASIC.instantiate({"N": 2}))
    r = explore(c, c.system.properties, Limits(symmetry=True))
    assert r.error is not None and "declares no symmetry" in r.error
    # a false claim: instance 0 alone may receive packets
    s = System("asym")
    pend = s.var("pend", Array(2, Int(0, 1)))
    s.symmetric(2, arrays=[pend])

    @s.action("arrive", func="test")
    def _(t):  # type: ignore[no-untyped-def]
        t.require(pend[0] < 1)
        t.set(pend[0], 1)

    s.invariant("Small", pend[1] <= 1)
    s.finish()
    c2 = CompiledSystem.build(s)
    r2 = explore(c2, c2.system.properties, Limits(symmetry=True))
    assert r2.error is not None and "symmetry" in r2.error


def test_liveness_kinds_are_refused() -> None:
    c = CompiledSystem.build(NF.instantiate({"N": 2, "P": 1, "B": 1}))
    from checker.lang.system import Property

    bogus = Property("Eventually", "eventually", c.system.properties[0].expr)
    with pytest.raises(ValueError):
        explore(c, [bogus], Limits(symmetry=True))


def test_cli_workers_and_symmetry_options(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from checker.cli import main

    cfg = tmp_path / "nf.toml"
    cfg.write_text('spec = "bench_nf"\nexpect = ["SchedIffQueued", "Deadlock"]\n[constants]\nN = 3\nP = 2\nB = 2\nbug = true\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["verify", str(cfg), "--workers", "2", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "result.json").read_text())
    eng = data["configurations"][0]["engines"][0]
    c = CompiledSystem.build(NF.instantiate({"N": 3, "P": 2, "B": 2, "bug": True}))
    gen = explore(c, c.system.properties, Limits(fast=False))
    assert eng["states"] == gen.stats.states and eng["transitions"] == gen.stats.transitions
    res = CliRunner().invoke(main, ["verify", str(cfg), "--symmetry", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "result.json").read_text())
    assert data["configurations"][0]["engines"][0]["states"] < gen.stats.states


def test_reached_states_are_the_explored_ones() -> None:
    # the numpy loop's reached() unpacks its key array at once: same states as the generic loop's set
    for k in ({"N": 2, "timer": True}, {"N": 2, "split_test_set": True}):
        c = CompiledSystem.build(BASIC.instantiate(k))
        props = [p for p in c.system.properties if p.kind == "invariant"]
        vec = explore(c, props, Limits(handoff=0))
        gen = explore(c, props, Limits(fast=False))
        assert vec.reached is not None and gen.reached is not None
        got = list(vec.reached())
        assert len(got) == vec.stats.states and set(got) == set(gen.reached())
        if NATIVE:
            nat = explore(c, props, Limits(vector=False, handoff=0, compile_level=0))
            assert nat.reached is not None and sorted(nat.reached()) == sorted(got)


@needs_cc
def test_native_successors_batch_is_the_generic_successor_function() -> None:
    # the batch interface (for engines that distribute batches): every successor, in search order
    c = CompiledSystem.build(BASIC.instantiate({"N": 2, "timer": True}))
    props = [p for p in c.system.properties if p.kind == "invariant"]
    nk = build_native(c, props)
    r = explore(c, props, Limits(fast=False))
    assert r.reached is not None
    states = list(r.reached())[:300]
    succ, parent, tid, _ = nk.successors(nk.to_words([nk.layout.pack(s) for s in states]))
    want = [(i, t, s2) for i, s in enumerate(states) for t, s2 in c.successors(s)]
    got = [(int(p), int(t), nk.layout.unpack(nk.to_int(row))) for p, t, row in zip(parent, tid, succ)]
    assert got == want and len(want) > 300


def test_native_falls_back_without_a_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "no-such-compiler-xyz")
    c = CompiledSystem.build(BASIC.instantiate({"N": 2}))
    props = [p for p in c.system.properties if p.kind == "invariant"]
    r = explore(c, props, Limits(vector=False, handoff=0, compile_level=0))
    assert r.stats.loop.startswith("packed kernel (native kernel unavailable: no C compiler")
    assert summary(r) == summary(explore(c, props, Limits(fast=False)))


def test_a_step_raising_past_a_violation_prunes_the_state_in_every_loop() -> None:
    # x overflows its range only after Small is violated: not a modelling error, but the end of the
    # explorable space past that violation; NonNegative is then inconclusive (not fully examined)
    s = past_violation_system()
    c = CompiledSystem.build(s)
    loops = [dict(handoff=0), dict(vector=False, native=False), dict(fast=False)]
    if NATIVE:
        loops.append(dict(vector=False, handoff=0, compile_level=0))
    got = [summary(explore(c, s.properties, Limits(**kw))) for kw in loops]  # type: ignore[arg-type]
    assert all(g == got[0] for g in got)
    states, _, _, _, _, props, err = got[0]
    assert states == 8 and err == (None, None)
    assert props["Small"][0] == "violated" and props["NonNegative"][0] == "inconclusive"
    r = explore(c, s.properties, Limits())
    assert "raises" in {p.name: p for p in r.properties}["NonNegative"].note
