"""Binary relations over the instance sort: the ghost relation of System.round_robin, the poll
list's order (PSeq.before), their translation, and napi_basic's BoundedWait proved for every N."""

from __future__ import annotations

import pytest
import z3

from checker.explicit.bfs import explore
from checker.lang import Bool, Or, Seq, System
from checker.lang.family import ANY
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import ForEach
from checker.symbolic.induct import param as P
from checker.symbolic.induct.param_tr import NotInClass, PSeq, PTr, StepRun, order_facts
from spec.napi_basic import SPEC


def _queue(n: object, head_requeue: bool = False) -> System:
    """A FIFO of instances: any instance not queued and not busy joins at the tail; the head is
    taken, then put back at the tail (or the head)."""
    s = System("fifo")
    ids = s.instances("dev", n)
    q = s.var("q", Seq(ids.id_type, ids.plus(1)))
    busy = s.var("busy", Bool)
    cur = s.var("cur", ids.id_type)

    @s.action("join", func="f", params={"i": ids})
    def _(t, i):
        t.require(~q.contains(i))
        t.require(Or(~busy, cur != i))
        t.set(q, q.push_back(i))

    @s.action("take", func="g")
    def _(t):
        t.require(~busy)
        t.require(q.len() > 0)
        t.set(cur, q.head())
        t.set(q, q.pop_front())
        t.set(busy, True)

    @s.action("back", func="h")
    def _(t):
        t.require(busy)
        t.set(q, q.push_front(cur) if head_requeue else q.push_back(cur))
        t.set(busy, False)

    s.round_robin("Fair", over=ids, waiting=lambda i: q.contains(i))
    s.finish()
    return s


def test_round_robin_grounds_to_one_update_per_pair_and_binds_pairs_when_unbounded() -> None:
    g = _queue(3)
    serve = next(t for t in g.transitions if t.key.endswith(":take"))
    rel = g.var_named("Fair.served")
    assert rel.ghost and str(rel.typ).count("Array") == 2
    pairs = [s for s in serve.body if type(s).__name__ == "If"]
    assert len(pairs) == 6  # i != j over 3 instances
    u = _queue(ANY)
    serve = next(t for t in u.transitions if t.key.endswith(":take"))
    each = [s for s in serve.body if isinstance(s, ForEach)]
    assert len(each) == 1 and len(each[0].keys) == 2


@pytest.mark.parametrize("n,head,violated", [(2, False, False), (3, False, False), (2, True, True)])
def test_round_robin_on_the_explicit_engine(n: int, head: bool, violated: bool) -> None:
    s = _queue(n, head)
    res = explore(CompiledSystem.build(s), [s.prop("Fair")])
    assert res.properties[0].verdict == ("violated" if violated else "holds")


def _tr(order: bool = True) -> tuple[System, PTr, dict[int, object]]:
    s = _queue(ANY)
    tr = PTr(s, [], [], order)
    return s, tr, tr.state("")


def test_the_order_relation_follows_push_back_and_head() -> None:
    s, tr, _x = _tr()
    x0 = {v.slot: tr.init_value(v) for v in s.vars}
    q = s.var_named("q")
    a, b = z3.Consts("a b", tr.sort)
    join = next(t for t in s.transitions if ":join" in t.key)
    key = P.transition_ivars(join)[0]
    r1 = StepRun(tr, x0, {key: a}, [a, b])
    r1.run(join.body)
    r2 = StepRun(tr, r1.st, {key: b}, [a, b])
    r2.run(join.body)
    seq = r2.st[q.slot]
    assert isinstance(seq, PSeq)
    solver = z3.Solver()
    solver.add(a != b, r1.alive, r2.alive)
    # a joined first: a before b, not b before a, and the head of [a, b] can only be a
    assert solver.check(z3.Not(seq.before[a][b])) == z3.unsat
    assert solver.check(seq.before[b][a]) == z3.unsat
    h = z3.Const("h", tr.sort)
    head = StepRun(tr, r2.st, {}, [a, b, h], [h])
    head.ev(q.expr.head())
    solver.add(*head.side)
    assert solver.check(h != a) == z3.unsat


def test_the_order_facts_are_those_of_a_strict_total_order_on_members() -> None:
    s, tr, x = _tr()
    seq = x[s.var_named("q").slot]
    a, b, c = z3.Consts("a b c", tr.sort)
    solver = z3.Solver()
    solver.add(*order_facts(seq, [a, b, c]))
    assert solver.check(seq.before[a][b], seq.before[b][c], z3.Not(seq.before[a][c])) == z3.unsat
    assert solver.check(seq.before[a][b], seq.cnt[b] == 0) == z3.unsat
    assert solver.check(a != b, seq.cnt[a] > 0, seq.cnt[b] > 0) == z3.sat


def test_without_order_the_relation_is_refused_by_reads_and_the_ghost_by_nothing() -> None:
    s, tr, x = _tr(order=False)
    assert x[s.var_named("q").slot].before is None
    q = s.var_named("q").expr
    with pytest.raises(NotInClass):  # a position is still outside the abstraction
        StepRun(tr, x, {}, []).ev(q[0] == s.families[0].first)


def _consts(**kw: object) -> dict[str, object]:
    return {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1, "wait_relation": True} | kw


def test_bounded_wait_by_meaning_keeps_the_counter_verdicts() -> None:
    for extra, verdict in (({}, "holds"), ({"requeue_head": True}, "violated")):
        for rel in (False, True):
            s = SPEC.instantiate(_consts(wait_relation=rel, **extra))
            res = explore(CompiledSystem.build(s), [s.prop("BoundedWait")])
            assert res.properties[0].verdict == verdict
            assert res.stats.states == (2192 if not extra else 2588)  # N = 2: the relation splits no state


def test_a_wrong_invariant_is_refused_with_its_counterexample_to_induction() -> None:
    """With re-queue at the head, BoundedWait is false; the all-N engine must not prove it and must
    say which step breaks it."""
    consts = _consts(requeue_head=True)
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop("BoundedWait")], "N", ["RING", "WEIGHT"], float("inf"))
    res = alln.run()
    assert res.proved == []
    why = res.failed["BoundedWait"]
    assert "counterexample to induction" in why or "false in" in why


def test_bounded_wait_for_every_n() -> None:
    consts = _consts()
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop("BoundedWait")], "N", ["RING", "WEIGHT"], float("inf"))
    assert alln.order
    res = alln.run()
    assert res.proved == ["BoundedWait"]
    assert res.claim.startswith("for every N ≥ 1, RING ≥ 1, WEIGHT ≥ 1")
    # the clause that carries the argument: j taken while i waits is behind i. The clauses are over
    # ∀ i ≠ j, so the minimiser may keep either of its two mirror images (which one depends on Z3's
    # term numbering, i.e. on what the process built before)
    assert {"∀ i ≠ j: not (j before i in poll_list) or BoundedWait.served[i][j] == 0",
            "∀ i ≠ j: not (i before j in poll_list) or BoundedWait.served[j][i] == 0"} & set(res.lines)
    assert 20 <= res.stats["clauses"] <= 80
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")
