"""The invariant-inference engine (checker.symbolic.induct): mining, Houdini, strengthening, checks."""

from __future__ import annotations

import numpy as np
import pytest
import z3

from checker.engines import EngineInput, load_engine
from checker.explicit.bfs import explore
from checker.lang import And, Bool, Int, Next, Not, Or, System
from checker.lang.pycompile import CompiledSystem
from checker.result import ERROR, HOLDS, VIOLATED
from checker.symbolic.induct.atoms import atoms_of
from checker.symbolic.induct.houdini import Houdini
from checker.symbolic.induct.mine import ClauseEvaluator, mine
from checker.symbolic.on_reached import CHECKED
from checker.symbolic.problem import Problem
from checker.symbolic.induct.concrete import compile_clauses
from checker.symbolic.translate import concrete_flat
from checker.trace.replay import replay
from spec.napi_basic import SPEC
from tests.test_symbolic import counter_by_two, overflow


def run(system: System, props: list[str] | None = None, **limits: object):
    c = CompiledSystem.build(system)
    ps = [p for p in system.properties if props is None or p.name in props]
    return load_engine("induct")(EngineInput(system, c, ps, dict(limits))), c


def reached(system: System) -> list[tuple]:
    res = explore(CompiledSystem.build(system), system.properties)
    assert res.reached is not None
    return list(res.reached())


def test_atoms_agree_in_numpy_z3_and_python() -> None:
    # the three renderings of every atom (mining columns, Z3 terms, compiled check) agree on
    # every reachable state of napi_basic N=2
    system = SPEC.instantiate({"N": 2, "RING": 2, "WEIGHT": 1})
    prob = Problem(system, [])
    x = prob.enc.state("")
    atoms = atoms_of(system, x)
    states = reached(system)[::7]
    values = np.array([concrete_flat(system, s) for s in states], dtype=np.int64)
    for k, a in enumerate(atoms):
        col = a.column(values)
        fn = compile_clauses(system, atoms, [((k, True),)], [a.text]).holds
        for s, v, row in zip(states, col, values):
            sub = [(c, z3.BoolVal(bool(val)) if z3.is_bool(c) else z3.IntVal(int(val))) for c, val in zip(x.flat, row)]
            assert z3.is_true(z3.simplify(z3.substitute(a.term(x), *sub))) == bool(v) == fn(s), (a.text, s)
    texts = {a.text for a in atoms}
    assert {"napi_state[0].SCHED", "1 in poll_list", "count(poll_list, 0) >= 2", "pending[1] == 2",
            "softirq.pc[0] == poll", "(softirq.pc[0] == unmask and softirq.cur[0] == 1)"} <= texts


def test_mined_clauses_are_exactly_the_minimal_valid_ones() -> None:
    system = SPEC.instantiate({"N": 2, "RING": 2, "WEIGHT": 1})
    x = Problem(system, []).enc.state("")
    atoms = atoms_of(system, x)
    values = np.array([concrete_flat(system, s) for s in reached(system)], dtype=np.int64)
    got = mine(atoms, values)
    assert got.states == len(values) == 2192
    ev = ClauseEvaluator(atoms, got.clauses)
    assert ev(values).all()  # every clause holds on every reached state
    # brute force over every pair of literals of the first 24 atoms: each pair clause valid on the
    # reached states follows propositionally from the mined clauses (atoms as free Booleans)
    cols = np.stack([a.column(values) for a in atoms])
    b = [z3.Bool(f"atom{k}") for k in range(len(atoms))]
    solver = z3.Solver()
    solver.add(*[z3.Or(*[b[i] if pol else z3.Not(b[i]) for i, pol in c]) for c in got.clauses])
    checked = 0
    for i in range(24):
        for j in range(i + 1, 24):
            for pi in (True, False):
                for pj in (True, False):
                    if ((cols[i] if pi else ~cols[i]) | (cols[j] if pj else ~cols[j])).all():
                        checked += 1
                        lits = [b[i] if pi else z3.Not(b[i]), b[j] if pj else z3.Not(b[j])]
                        assert solver.check(z3.Not(lits[0]), z3.Not(lits[1])) == z3.unsat, (atoms[i].text, atoms[j].text)
    assert checked > 20
    assert any(len(c) == 3 for c in got.clauses)


def test_houdini_keeps_the_largest_inductive_subset() -> None:
    # x: 0 -> 2 -> 4 -> 6 -> 0. "x != 9" is inductive alone (no step reaches 9); "x != 7" and
    # "x <= 6" are true but not inductive (5 -> 7) unless "x is even" is kept with them
    system = counter_by_two()
    prob = Problem(system, [])
    x = prob.enc.state("")
    v = x.flat[0]

    def evaluate(terms):
        def at(t, r):
            return bool(z3.is_true(z3.simplify(z3.substitute(t, (v, z3.IntVal(int(r[0])))))))

        return lambda m, rows: np.array([[at(t, r) for r in rows] for t in terms])

    terms = [v != 9, v != 7, v <= 6]
    h = Houdini(prob, x, terms, evaluate(terms))
    assert [bool(b) for b in h.run()] == [True, False, False]
    terms = [v != 9, v != 7, v <= 6, v % 2 == 0]
    h = Houdini(prob, x, terms, evaluate(terms))
    assert [bool(b) for b in h.run()] == [True, True, True, True]
    assert h.support([1]) == [1, 3]  # "x != 7" needs "x is even", nothing else


def test_napi_basic_n1_proved_checked_and_printed() -> None:
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    res, _ = run(system)
    got = {p.name: p for p in res.properties}
    assert {p.verdict for p in got.values()} == {HOLDS}, [p.note for p in got.values()]
    p = got["NoLostWakeup"]
    assert "independently checked" in p.note and "Houdini" in p.note
    # by default the data bounds are symbolic: one proof for every ring size and weight, mined at
    # the configuration's values and at others, and checked on every state of every mining run
    assert p.detail["parameters"] == "for N = 1, every RING ≥ 1, WEIGHT ≥ 1"
    assert "for N = 1, every RING ≥ 1, WEIGHT ≥ 1" in p.note
    assert p.detail[CHECKED] > len(reached(system))
    lines = p.detail["invariant"]
    assert lines and all(isinstance(ln, str) for ln in lines)
    # the printed invariant speaks the spec's names
    assert any("napi_state[0].SCHED" in ln for ln in lines)


def test_concrete_constants_on_request() -> None:
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    c = CompiledSystem.build(system)
    res = load_engine("induct")(EngineInput(system, c, list(system.properties), {}, {"induct_symbolic": False}))
    p = next(p for p in res.properties if p.name == "NoLostWakeup")
    assert p.verdict == HOLDS and "parameters" not in p.detail and "for every" not in p.note
    assert p.detail[CHECKED] == len(reached(system))


def test_symbolic_refuses_a_constant_used_as_a_count() -> None:
    # N is a number of instances (arrays, steps per instance): never uniform, stays concrete
    from checker.symbolic.induct.symbolic import make_symbolic

    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    sym = make_symbolic(SPEC, system.constants, ["N", "RING"])
    assert sym is not None and sym.names == ["RING"] and "N" in sym.refused


def test_strengthening_with_spacer_when_houdini_drops_the_property() -> None:
    # "x != 7" is not implied by any mined clause (atoms of a wide Int: x > 0, x == 9): Houdini
    # drops it and Spacer, seeded with the Houdini invariant, proves it
    res, _ = run(counter_by_two(), ["Not7"])
    (p,) = res.properties
    assert p.verdict == HOLDS, p.note
    assert "Spacer" in p.note


def test_violation_found_while_mining_replays() -> None:
    res, c = run(counter_by_two())
    got = {p.name: p for p in res.properties}
    assert got["Below5"].verdict == VIOLATED and got["Below5"].trace is not None
    assert len(got["Below5"].trace) == 3 and replay(got["Below5"].trace, c).ok
    assert got["Not7"].verdict == HOLDS


@pytest.mark.parametrize("kind", ["range", "capacity"])
def test_modelling_errors_are_reported(kind: str) -> None:
    res, c = run(overflow(kind))
    assert res.error is not None and res.error_trace is not None
    assert replay(res.error_trace, c).ok
    assert all(p.verdict == ERROR for p in res.properties)


def test_transition_property_and_deadlock() -> None:
    # x counts 0..3 and wraps once, then stays: "each step adds one or wraps" holds on every step
    # (a transition invariant: Spacer, seeded with the mined clauses, proves it), and the run ends
    # only in the declared end state
    s = System("wrap_once")
    x, done = s.var("x", Int(0, 3)), s.var("done", Bool)

    @s.action("tick", func="f.c:tick")
    def tick(t):
        t.require(Not(And(x == 3, done)))
        with t.if_(x < 3):
            t.set(x, x + 1)
        with t.else_():
            t.set(done, True)
            t.set(x, 0)

    s.transition_invariant("OneOrWrap", Or(Next(x) == x + 1, Next(x) == 0))
    s.deadlock("Deadlock", end=And(x == 3, done))
    s.finish()
    res, _ = run(s)
    got = {p.name: p for p in res.properties}
    assert got["OneOrWrap"].verdict == HOLDS, got["OneOrWrap"].note
    assert got["Deadlock"].verdict == HOLDS, got["Deadlock"].note


def test_cli_prints_the_invariant_and_the_parameters(tmp_path) -> None:
    from click.testing import CliRunner

    from checker.cli import main

    cfg = tmp_path / "nb1.toml"
    cfg.write_text('spec = "napi_basic"\nexpect = "holds"\nproperties = ["NoDoubleQueue", "SchedMatchesList", '
                   '"NoLostWakeup", "BoundedWait", "Deadlock"]\n[constants]\nN = 1\nRING = 2\nWEIGHT = 1\n')
    res = CliRunner().invoke(main, ["verify", str(cfg), "--engine", "induct", "-v"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "proved for N = 1, every RING ≥ 1, WEIGHT ≥ 1" in res.output
    assert "induct: inductive invariant proving" in res.output
    shown = res.output.split("induct: inductive invariant proving")[1]
    assert "poll_list" in shown and "softirq.pc[0]" in shown  # in the spec's names
    # with the explicit engine too, the induct invariant is evaluated on every state it reached (53)
    res = CliRunner().invoke(main, ["verify", str(cfg), "--engine", "explicit,induct", "-v"],
                            catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "induct invariant holds on all 53 explicitly reached states" in res.output


def test_a_constant_used_non_uniformly_stays_concrete() -> None:
    # RING used as 2 * RING: not "RING + k", so the proof is for the configuration's value only
    from types import SimpleNamespace

    from checker.lang import Constant, SpecDef
    from checker.symbolic.induct.symbolic import make_symbolic

    def build(k: SimpleNamespace) -> System:
        s = System("double")
        x = s.var("x", Int(0, 2 * k.RING))

        @s.action("inc", func="f.c:inc")
        def inc(t):
            t.require(x < 2 * k.RING)
            t.set(x, x + 1)

        s.invariant("Bounded", x <= 2 * k.RING)
        return s

    spec = SpecDef("double", "", [Constant("RING", int, 2, min=1)], build)
    system = spec.instantiate({"RING": 2})
    assert make_symbolic(spec, system.constants, ["RING"]) is None
    res, _ = run(system)
    (p, _deadlock) = res.properties
    assert p.verdict == HOLDS and "for every" not in p.note


def test_houdini_step_by_step_keeps_the_same_candidates() -> None:
    # the per-step fixpoint (used above 5,000 candidates) must equal the monolithic one
    system = SPEC.instantiate({"N": 2, "RING": 2, "WEIGHT": 1})
    c = CompiledSystem.build(system)
    kept = []
    for above in (10**9, 0):
        opts = {"induct_symbolic": False, "induct_per_step_above": above, "induct_minimize": False,
                "induct_forward": 0}
        res = load_engine("induct")(EngineInput(system, c, list(system.properties), {}, opts))
        p = next(p for p in res.properties if p.name == "NoLostWakeup")
        assert p.verdict == HOLDS, p.note
        kept.append(p.detail["stats"]["houdini_kept"])
    assert kept[0] == kept[1] > 1000


def test_property_atoms_agree_in_numpy_z3_and_python() -> None:
    # the properties' compound sub-terms (counts, "quiescent", "quiescent but for one context") as
    # atoms: the same three renderings agree on reachable states of the Linux spec
    from checker.symbolic.induct.subterms import property_atoms
    from spec import registry

    system = registry()["linux"].instantiate({"N": 1, "CPUS": 1, "RING": 2, "WEIGHT": 1, "BUDGET": 2})
    props = [system.prop(n) for n in ("NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup")]
    prob = Problem(system, props)
    x = prob.enc.state("")
    atoms = property_atoms([p.expr for p in props], prob.enc, x)
    assert len(atoms) >= 5 and all(a.kind == "expr" for a in atoms)
    assert any("irq_raised[0]" in a.text and "softirq.pc[0] == idle" in a.text for a in atoms)
    states = reached(system)
    values = np.array([concrete_flat(system, s) for s in states], dtype=np.int64)
    for k, a in enumerate(atoms):
        col = a.column(values)
        assert col.any() or not col.all()
        fn = compile_clauses(system, atoms, [((k, True),)], [a.text]).holds
        for s, v, row in list(zip(states, col, values))[::5]:
            sub = [(c, z3.BoolVal(bool(val)) if z3.is_bool(c) else z3.IntVal(int(val))) for c, val in zip(x.flat, row)]
            assert z3.is_true(z3.simplify(z3.substitute(a.term(x), *sub))) == bool(v) == fn(s), (a.text, s)


def test_an_unproved_property_shows_its_counterexample_to_induction_in_kernel_terms() -> None:
    # one-literal clauses cannot make NoLostWakeup inductive, and Spacer is not asked: the verdict
    # is inconclusive, with the counterexample to induction as a trace from the CTI's pre-state
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    c = CompiledSystem.build(system)
    props = [system.prop("NoLostWakeup")]
    res = load_engine("induct")(EngineInput(system, c, props, {}, {"induct_literals": 1, "induct_strengthen": False,
                                                                   "induct_generalise": False,
                                                                   "induct_symbolic": False}))
    (p,) = res.properties
    assert p.verdict == "inconclusive"
    assert "not proved for N = 1, RING = 2, WEIGHT = 1" in p.note and "counterexample to induction at" in p.note
    lines = p.detail["cti_lines"]
    assert lines[0].startswith("counterexample to induction for NoLostWakeup")
    assert "CTI pre-state" in lines[1]
    text = "\n".join(lines)
    assert "net/core/dev.c" in text or "<driver>" in text  # kernel functions of the steps
    assert "why: NoLostWakeup fails for instance 0" in text
    cti = p.detail["cti"]
    assert cti["invariant"] == "NoLostWakeup" and cti["pre_state"]["pending[0]"] is not None


def test_a_property_needing_a_wider_clause_is_proved_by_blocking_its_counterexample_to_induction() -> None:
    # napi_basic N=1 with clauses of at most two literals mined: NoLostWakeup needs the three-literal
    # "pending[0] == 0 or unsignalled[0] or softirq.pc[0] != complete" (the poll returned less than
    # its weight only because the ring was empty). Without strengthening Houdini drops it; with it,
    # the counterexample to induction is blocked by a generalised clause, and the proof goes through
    # the independent check and the on-reached check, without Spacer
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    c = CompiledSystem.build(system)
    props = [system.prop("NoLostWakeup")]
    opts = {"induct_literals": 2, "induct_strengthen": False, "induct_symbolic": False}
    (p,) = load_engine("induct")(EngineInput(system, c, props, {}, {**opts, "induct_generalise": False})).properties
    assert p.verdict == "inconclusive" and "counterexample to induction at" in p.note
    (p,) = load_engine("induct")(EngineInput(system, c, props, {}, opts)).properties
    assert p.verdict == HOLDS, p.note
    assert "by Houdini + CTI blocking:" in p.note and "blocking counterexamples to induction" in p.note
    blocked = [ln for ln in p.detail["invariant"] if ln.endswith("(CTI blocked)")]
    assert blocked and max(ln.count(" or ") for ln in blocked) >= 2  # wider than anything mined
    assert any("unsignalled[0]" in ln and "softirq.pc[0] != complete" in ln for ln in blocked), blocked
    assert p.detail[CHECKED] == len(reached(system))
    stats = p.detail["stats"]
    assert stats["block_clauses"] >= 1 and stats["blocked"] >= 1


def test_a_false_property_keeps_its_counterexample_to_induction_under_strengthening() -> None:
    # Below5 is false (x reaches 6), but the mining run is cut short at two states (x = 0, 2): Houdini
    # drops it at a step from x = 3; blocking refuses a state whose atoms (x > 0, not x == 9) match a
    # reached one, so the verdict stays inconclusive with the counterexample to induction
    res, _ = run(counter_by_two(), ["Below5"], induct_states=2, induct_strengthen=False)
    (p,) = res.properties
    assert p.verdict == "inconclusive", p.note
    assert "not proved: " in p.note and "counterexample to induction at env:add [f.c:add]" in p.note
    assert "no wider clause over the atoms excludes it" in p.note
    text = "\n".join(p.detail["cti_lines"])
    # (from x = 3 or x = 4, as the solver's model has it: both have the atoms of the reached x = 2)
    assert "CTI pre-state" in text and ("why: Below5 fails: x = 5" in text or "why: Below5 fails: x = 6" in text)
    # with the full exploration it is a violation with its replayed trace, as before
    res, c = run(counter_by_two(), ["Below5"])
    (p,) = res.properties
    assert p.verdict == VIOLATED and p.trace is not None and replay(p.trace, c).ok


def test_linux_softirq_no_double_queue_proved_for_every_ring_weight_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # the bundled Linux proof (models/linux/induct_n1.toml, NoDoubleQueue and OwnerHoldsSched with
    # N=1, CPUS=1) in small: NoDoubleQueue alone, RING/WEIGHT/BUDGET symbolic, Houdini alone; every
    # printed clause is equivalent (Z3) to the clause the proof used (checker.symbolic.induct.readable)
    import re
    import tomllib
    from pathlib import Path

    from checker.symbolic.induct import engine, readable
    from spec import registry
    from tests.test_induct_readable import check_printed_equivalent

    records: list[tuple] = []

    def record(atoms: list, cl: tuple) -> str:
        records.append((atoms, cl, readable.clause_line(atoms, cl)))
        return records[-1][2]

    monkeypatch.setattr(engine, "clause_line", record)

    cfg = tomllib.loads((Path(__file__).resolve().parent.parent / "models/linux/induct_n1.toml").read_text())
    assert cfg["expect"] == "holds" and "induct" in cfg["engines"] and "limits" not in cfg
    system = registry()["linux"].instantiate({"N": 1, "CPUS": 1, "RING": 2, "WEIGHT": 1, "BUDGET": 2})
    res, _ = run(system, ["NoDoubleQueue"])
    (p,) = [p for p in res.properties if p.name == "NoDoubleQueue"]
    assert p.verdict == HOLDS, p.note
    assert p.detail["parameters"] == "for N = 1, CPUS = 1, every RING ≥ 1, WEIGHT ≥ 1, BUDGET ≥ 1"
    assert "by Houdini:" in p.note and p.detail[CHECKED] > len(reached(system))
    assert any("softirq.pc[0]" in ln for ln in p.detail["invariant"])
    assert check_printed_equivalent(records) >= 1 and len(records) == p.detail["clauses"]
    redundant = re.compile(r"(\S+) != (\w+) or \(\1 == \2 and ")  # "pc != L or (pc == L and x)": "pc != L or x"
    assert not any(redundant.search(ln) for ln in p.detail["invariant"])


def branch_on_three() -> System:
    """x: 0 -> 3 -> 0; a step from any other positive x would set ``lost``. "not lost" needs "x > 0
    only at x == 3": the atoms of x's range (x > 0, x == 9) cannot say it, the step's own test can."""
    s = System("branch_on_three")
    x = s.var("x", Int(0, 9))
    lost = s.var("lost", Bool)

    @s.action("arm", func="f.c:arm")
    def arm(t):
        t.require(x == 0)
        t.set(x, 3)

    @s.action("fire", func="f.c:fire")
    def fire(t):
        t.require(x > 0)
        with t.if_(x == 3):
            t.set(x, 0)
        with t.else_():
            t.set(lost, True)

    s.invariant("NotLost", Not(lost))
    s.finish()
    return s


def test_guard_atoms_are_what_the_steps_branch_on() -> None:
    from checker.symbolic.induct.atoms import guard_atoms

    system = branch_on_three()
    prob = Problem(system, [])
    x = prob.enc.state("")
    atoms = atoms_of(system, x)
    got = guard_atoms(prob.enc, x, atoms)
    # x == 3 from fire's branch; x == 0 and x > 0 are the range's own atom (x > 0) already
    assert [a.text for a in got] == ["x == 3"]
    values = np.array([concrete_flat(system, s) for s in reached(system)], dtype=np.int64)
    assert got[0].column(values).tolist() == [v[0] == 3 for v in values]


def test_a_counterexample_to_induction_told_apart_by_a_guard_atom_is_blocked() -> None:
    # the CTI (x = 5, fire) has the atoms of the reached x = 3 (x > 0, not x == 9): without the
    # guard atom x == 3 it cannot be blocked and (Spacer off) NotLost is not proved; with it, the
    # mined "x == 0 or x == 3" proves it by Houdini alone
    opts = {"induct_strengthen": False}
    res, _ = run(branch_on_three(), ["NotLost"], **opts, induct_guard_atoms=False)
    (p,) = res.properties
    assert p.verdict == "inconclusive", p.note
    res, _ = run(branch_on_three(), ["NotLost"], **opts)
    (p,) = res.properties
    assert p.verdict == HOLDS, p.note
    assert any("x == 3" in ln for ln in p.detail["invariant"]), p.detail["invariant"]


def test_late_blocking_waits_for_the_mined_candidates_fixpoint() -> None:
    # "x <= 6" is mined but not inductive (5 -> 7); the watched property Not7 falls to the same step.
    # Blocking at once meets the CTI with "x <= 6" still in the frame (a clause generalised against
    # it would go with it); with block_late the mined candidates' fixpoint comes first, so the
    # property's first CTI is met with "x <= 6" already dropped, and Not7 itself is kept for it
    system = counter_by_two()
    prob = Problem(system, [])
    x = prob.enc.state("")
    v = x.flat[0]
    terms = [v != 9, v <= 6, v != 7]

    def evaluate(m, rows):
        return np.array([[bool(z3.is_true(z3.simplify(z3.substitute(t, (v, z3.IntVal(int(r[0]))))))) for r in rows]
                         for t in terms[:2]])

    seen = []
    for late in (False, True):
        h = Houdini(prob, x, list(terms), evaluate, depends=np.ones((3, len(x.flat)), dtype=bool), watch_from=2)
        first: list[list[bool]] = []
        h.block = lambda m, h=h, first=first: first.append([bool(b) for b in h.live]) or False
        h.block_late = late
        live = [bool(b) for b in h.run()]
        assert live == [True, False, False]  # Not7 is only 4-inductive: blocking refused here, dropped
        seen.append(first[0])
    assert seen == [[True, True, True], [True, False, True]]
