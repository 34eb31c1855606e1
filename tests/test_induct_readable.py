"""Printed invariant clauses (checker.symbolic.induct.readable): simpler text, the same meaning."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import z3

from checker.symbolic.induct import readable
from checker.symbolic.induct.atoms import Atom
from checker.symbolic.induct.engine import clause_term
from checker.symbolic.induct.symbolic import sentinel

# flat locations: 0 a pc (labels idle=0, poll=1, cd=2), 1 a Boolean local, 2 a counter, 3 a flag
X = SimpleNamespace(flat=[z3.Int("softirq.pc[0]"), z3.Bool("softirq.ret[0]"), z3.Int("pending[0]"),
                          z3.Bool("napi_state[0].SCHED")])
AT_IDLE = Atom("eq", 0, 0, "softirq.pc[0] == idle")
AT_POLL = Atom("eq", 0, 1, "softirq.pc[0] == poll")
AT_CD = Atom("eq", 0, 2, "softirq.pc[0] == cd")
CD_RET = Atom("both", 0, 2, "(softirq.pc[0] == cd and softirq.ret[0])", loc2=1, value2=1)
POLL_RET = Atom("both", 0, 1, "(softirq.pc[0] == poll and softirq.ret[0])", loc2=1, value2=1)
RET = Atom("bool", 1, text="softirq.ret[0]")
PENDING = Atom("gt", 2, 0, "pending[0] > 0", bound="lo")
FULL = Atom("eq", 2, sentinel(0), f"pending[0] == {sentinel(0)}", bound="hi")  # == RING, symbolic
TWO = Atom("eq", 2, 2, "pending[0] == 2")
SCHED = Atom("bool", 3, text="napi_state[0].SCHED")
ATOMS = [AT_IDLE, AT_POLL, AT_CD, CD_RET, POLL_RET, RET, PENDING, FULL, TWO, SCHED]


def printed(*lits: tuple[Atom, bool], x: Any = X, atoms: list[Atom] = ATOMS) -> str:
    """The clause as printed, after checking with Z3 that the printed form means what the clause means."""
    cl = tuple((atoms.index(a), pol) for a, pol in lits)
    parts = readable.simplify(atoms, cl)
    s = z3.Solver()
    s.add(clause_term(atoms, x, cl) != readable.term(atoms, parts, x))
    assert s.check() == z3.unsat, readable.text(parts)
    return readable.text(parts)


def test_a_literal_the_rest_of_the_clause_covers_is_dropped_from_a_conjunction() -> None:
    # pc != cd or (pc == cd and ret)  =  pc != cd or ret
    assert printed((AT_CD, False), (CD_RET, True)) == "softirq.pc[0] != cd or softirq.ret[0]"
    # not ret or (pc == cd and ret)  =  not ret or pc == cd
    assert printed((RET, False), (CD_RET, True)) == "not softirq.ret[0] or softirq.pc[0] == cd"
    # nothing covers either conjunct: kept whole
    assert printed((SCHED, True), (CD_RET, True)) == "napi_state[0].SCHED or (softirq.pc[0] == cd and softirq.ret[0])"


def test_a_negated_conjunction_becomes_a_disjunction_of_negations() -> None:
    assert printed((CD_RET, False)) == "softirq.pc[0] != cd or not softirq.ret[0]"
    # and then a literal said twice is said once
    assert printed((RET, False), (CD_RET, False)) == "not softirq.ret[0] or softirq.pc[0] != cd"


def test_a_literal_implied_by_another_of_the_clause_is_dropped() -> None:
    # pc == poll implies pc != cd: "pc == poll or pc != cd" is "pc != cd"
    assert printed((AT_POLL, True), (AT_CD, False), (SCHED, True)) == "softirq.pc[0] != cd or napi_state[0].SCHED"
    # pending == 2 implies pending > 0
    assert printed((TWO, True), (PENDING, True)) == "pending[0] > 0"
    # (pc == poll and ret) implies pc != cd
    assert printed((POLL_RET, True), (AT_CD, False)) == "softirq.pc[0] != cd"
    # two different labels, both positive: neither implies the other
    assert printed((AT_POLL, True), (AT_CD, True)) == "softirq.pc[0] == poll or softirq.pc[0] == cd"


def test_a_symbolic_constant_is_never_compared_by_value() -> None:
    # pending == RING (a sentinel) next to pending > 0: RING may be the least value, so both stay
    assert printed((FULL, True), (PENDING, False)) == f"pending[0] == {sentinel(0)} or pending[0] == 0"
    assert printed((FULL, False), (TWO, True)) == f"pending[0] != {sentinel(0)} or pending[0] == 2"


def test_a_clause_the_rules_would_make_true_is_printed_as_mined() -> None:
    # pc != idle or pc != cd is true (never both): no literal is dropped
    assert printed((AT_IDLE, False), (AT_CD, False)) == "softirq.pc[0] != idle or softirq.pc[0] != cd"


def test_property_sub_terms_lose_empty_sums_parentheses_and_double_negations() -> None:
    assert readable.tidy("((0 + poll_list[0].count(0)) + (0 + (lst.count(0) + rep.count(0)))) == 0") == \
        "(poll_list[0].count(0) + (lst.count(0) + rep.count(0))) == 0"
    assert readable.tidy("((0 + (IF polling[0] THEN 1 ELSE 0)) <= 1)") == "((IF polling[0] THEN 1 ELSE 0) <= 1)"
    assert readable.tidy("count((x))") == "count(x)"  # a call keeps its own parentheses
    a, b = z3.Bools("a b")
    x = SimpleNamespace(flat=[a, b])
    neg = Atom("expr", 0, text="~(a /\\ b)", z=z3.Not(z3.And(a, b)), zx=x, zreads=(0, 1))
    other = Atom("bool", 0, text="a")
    assert printed((neg, False), (other, False), x=x, atoms=[neg, other]) == "(a /\\ b) or not a"


def check_printed_equivalent(records: list[tuple[list[Atom], tuple, str]]) -> int:
    """Every printed line of a real proof means what its clause means (Z3); returns how many lines
    rewrote a conjunction atom ("context at a label with a local") the clause has."""
    assert records
    rewritten = 0
    for atoms, cl, line in records:
        x = next(a.zx for a in atoms if a.zx is not None)
        parts = readable.simplify(atoms, cl)
        assert readable.text(parts) == line
        s = z3.Solver()
        s.add(clause_term(atoms, x, cl) != readable.term(atoms, parts, x))
        assert s.check() == z3.unsat, line
        rewritten += any(atoms[i].kind == "both" and atoms[i].text not in line for i, _ in cl)
    return rewritten
