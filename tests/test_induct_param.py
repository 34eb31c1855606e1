"""Instance families in the IR and the invariant engine's proof for every number of instances."""

from __future__ import annotations

import pytest
import z3

from checker.lang import And, Array, Bool, ForAll, Int, ModelError, Not, Seq, System
from checker.lang.family import ANY, Family
from checker.lang.printer import show_expr
from checker.symbolic.induct import param as P
from checker.symbolic.induct.param_tr import NotInClass, PTr, StepRun
from spec.napi_basic import SPEC

PROPS = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"]


def _toy(n: object) -> System:
    s = System("toy")
    ids = s.instances("dev", n)
    flag = s.var("flag", Array(ids.size, Bool))
    q = s.var("q", Seq(ids.id_type, ids.plus(1)))
    a = s.actor("a", ["idle", "done"], instances=ids)

    @a.step("idle", func="f", next="done")
    def _(t, i):
        t.require(And(*ids.each(lambda j: Not(flag[j]), but=i)))
        t.set(flag[i], True)
        t.set(q, q.push_back(i))

    s.invariant("Once", ForAll(ids, lambda i: q.count(i) <= 1))
    s.finish()
    return s


def test_a_grounded_family_is_range() -> None:
    fam = Family("napi", 3)
    assert list(fam) == [0, 1, 2] and fam.size == 3 and fam.id_type == Int(0, 2) and fam.plus(1) == 4
    s = _toy(2)
    guard = s.transitions[0].body[1].cond
    assert show_expr(guard) == "(~flag[1])"  # every *other* instance: j == i left out, as a list comprehension
    assert show_expr(s.prop("Once").expr) == "((q.count(0) <= 1) /\\ (q.count(1) <= 1))"


def test_an_unbounded_family_keeps_binders() -> None:
    s = _toy(ANY)
    assert len(s.transitions) == 1  # one step template for every instance
    guard = s.transitions[0].body[1].cond
    assert show_expr(guard).startswith("(forall x")
    assert s.prop("Once").expr.op == "forall"
    with pytest.raises(ModelError):
        list(Family("napi", None))  # a Python loop over every N is refused, not silently wrong


def test_napi_basic_builds_for_every_n() -> None:
    s = SPEC.instantiate({"N": ANY})
    assert set(s.not_parameterised) == {"BoundedWait", "PacketsPolled"}
    assert {t.actor for t in s.transitions} == {"DEV{i}", "IRQ{i}", "CPU0 softirq"}


def test_position_reads_are_outside_the_counts_abstraction() -> None:
    s = _toy(ANY)
    tr = PTr(s, [], [])
    x = tr.state("")
    q = s.var_named("q").expr
    with pytest.raises(NotInClass):
        StepRun(tr, x, {}, []).ev(q[0] == s.families[0].first)


def test_every_n_proof_of_napi_basic() -> None:
    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    alln.cover = False  # the mined clauses alone (with the wide "SCHED ⇒ held" one no ∀ i ≠ j clause is needed)
    res = alln.run()
    assert res.proved == PROPS
    assert res.claim.startswith("for every N ≥ 1, RING ≥ 1, WEIGHT ≥ 1")
    assert "∀ i: count(poll_list, i) < 2" in res.lines
    assert any(ln.startswith("∀ i ≠ j: ") for ln in res.lines)
    _printed_lines_mean_the_mined_clauses(alln)
    # the independent check on the grounded IR (N = 2 here; the bundled configuration checks 2, 3, 4)
    alln.constants["N"] = 2
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")
    # and a non-inductive one is caught there: the properties alone, without the mined clauses
    alln.kept = []
    ok, why = alln.ground_check(res.proved, 60_000, at=(2,))
    assert not ok and "N=2" in why


def test_every_n_names_the_counterexample_to_induction() -> None:
    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1, "unmask_first": True}
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    res = alln.run()
    assert "NoLostWakeup" not in res.proved
    why = res.failed["NoLostWakeup"]
    assert "counterexample to induction" in why and "step CPU0 softirq:complete" in why
    assert "napi_state[#1] becomes 0" in why


def test_sort_is_uninterpreted() -> None:
    tr = PTr(_toy(ANY), [], [])
    assert isinstance(tr.sort, z3.SortRef) and tr.sort.kind() == z3.Z3_UNINTERPRETED_SORT


def _printed_lines_mean_the_mined_clauses(alln: P.AllN) -> None:
    """Each printed every-N line (simplified by checker.symbolic.induct.readable) is equivalent to its
    mined clause, with Z3, reading every location as an unconstrained integer (or Boolean) and every
    atom read whole as a Boolean of its own: the rewriting may only use what holds for every value."""
    from types import SimpleNamespace

    from checker.symbolic.induct import readable
    from checker.symbolic.induct.engine import clause_term

    shown = readable.as_atoms(alln.atoms)
    bools = {a.loc for a in shown if a.kind == "bool"} | {a.loc2 for a in shown if a.kind == "both" and a.value2 == 1}
    locs = max(a.loc2 if a.kind == "both" else a.loc for a in shown) + 1
    x = SimpleNamespace(flat=[z3.Bool(f"b{k}") if k in bools else z3.Int(f"v{k}") for k in range(locs)])
    whole = [SimpleNamespace(term=lambda _x, k=k: z3.Bool(f"atom{k}")) if a.loc < 0 else a for k, a in enumerate(shown)]
    simplified = 0
    for cl in alln.kept:
        parts = readable.simplify(shown, cl)
        s = z3.Solver()
        s.add(clause_term(whole, x, cl) != readable.term(whole, parts, x))
        assert s.check() == z3.unsat, readable.text(parts)
        simplified += sum(len(p) for p in parts) != len(cl)
    assert simplified > 0  # the softirq's "(pc == poll and cur == i)" atoms come apart


def test_every_n_support_is_inductive_and_small() -> None:
    """The minimisation (AllN.support: a level at a time, one question per step under the clauses
    kept so far) keeps a set that, with the properties, is inductive on the grounded IR at N = 2
    and 3, and is a small part of what Houdini left live."""
    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    res = alln.run()
    assert res.proved == PROPS
    st = res.stats
    assert 0 < st["clauses"] == len(res.lines) == len(alln.kept) < st["candidates"] // 4
    assert 0 < st["support_queries"] < 4 * st["clauses"]  # batched: not one question per member and step
    assert alln.ground_check(res.proved, 60_000, at=(2, 3)) == (True, "")
    # and what it kept is not slack: without its second half the grounded re-check fails
    kept = alln.kept
    alln.kept = kept[: len(kept) // 2]
    assert not alln.ground_check(res.proved, 60_000, at=(2,))[0]


def test_small_values_add_one_atom_per_counter_with_a_symbolic_bound() -> None:
    """options.induct_small_values: "> lo + 1" beside "> lo" and "== hi" of each counter whose bound is
    symbolic (what "busypoll.work <= BP_BUDGET = 1" needs under a symbolic WEIGHT), nothing else."""
    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    plain = P.templates(alln.psys)
    small = P.templates(alln.psys, small=True)
    extra = [a for a in small if a not in plain]
    lows = {(a.var, a.path) for a in plain if a.kind == "gt"}
    assert extra and all(a.kind == "gt" for a in extra)
    assert {(a.var, a.path) for a in extra} == lows  # one per counter that has "> lo"
    assert all(a.text.endswith(f"> {a.value}") and a.value >= 1 for a in extra)


def test_a_small_value_atom_is_printed_by_its_meaning() -> None:
    """"not x > 1" is "x <= 1", never "x == 1" (the printing of "not x > lo" as "x == lo")."""
    from checker.symbolic.induct.readable import as_atoms, clause_line

    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    atoms = P.templates(alln.psys, small=True)
    lo, hi = (next(k for k, a in enumerate(atoms) if a.kind == "gt" and a.var == "pending" and a.value == v)
              for v in (0, 1))
    shown = as_atoms(atoms)
    assert clause_line(shown, ((hi, False),)) == "pending[i] <= 1"
    assert clause_line(shown, ((lo, False),)) == "pending[i] == 0"
