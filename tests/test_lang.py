"""Semantics of the modelling language, checked on tiny systems whose behaviour is known by hand."""

from __future__ import annotations

import pytest

from checker.explicit.bfs import Limits, explore
from checker.lang import (
    And, Array, Bool, Constant, Enum, Flags, Int, Ite, Lit, Max, Min, ModelError, Next, Not, Seq, SpecDef, System,
)
from checker.lang.pycompile import CompiledSystem, StepError


def compiled(s: System) -> CompiledSystem:
    s.finish()
    return CompiledSystem.build(s)


def test_sequential_assignment_let_and_if() -> None:
    s = System("t")
    x = s.var("x", Int(0, 10), init=1)
    y = s.var("y", Int(0, 10))

    @s.action("a", func="f")
    def _(t):
        t.let("old", x)
        t.set(x, x + 2)          # x = 3
        t.set(y, x * 2)          # sees the new x: y = 6
        with t.if_(t.temp("old") == 1):
            t.set(x, x + 1)      # x = 4
        with t.else_():
            t.set(x, 0)

    c = compiled(s)
    assert c.successors(s.init_state()) == [(0, (4, 6))]


def test_require_blocks_and_nondeterministic_params() -> None:
    s = System("t")
    x = s.var("x", Int(0, 3))

    @s.action("inc", func="f", params={"k": [1, 2]})
    def _(t, k):
        t.require(x + k <= 3)
        t.set(x, x + k)

    c = compiled(s)
    assert sorted(st for _, st in c.successors((0,))) == [(1,), (2,)]
    assert [st for _, st in c.successors((2,))] == [(3,)]
    assert c.successors((3,)) == []
    res = explore(c, s.properties)
    assert res.stats.states == 4
    # (3) has no successor and no end state was declared: the default Deadlock property fails
    assert {p.name: p.verdict for p in res.properties} == {"Deadlock": "violated"}


def test_sequences_are_fifo_with_list_operations() -> None:
    s = System("t")
    q = s.var("q", Seq(Int(0, 3), 4), init=[2, 0])
    out = s.var("out", Array(3, Int(-1, 3)), init=-1)

    @s.action("ops", func="f")
    def _(t):
        t.set(out[0], q.head())
        t.set(q, q.push_back(3).push_front(1))   # [1, 2, 0, 3]
        t.set(out[1], q.count(0) + Ite(q.contains(3), 1, 0))  # 2
        t.set(q, q.remove(2).pop_front())          # [0, 3]
        t.set(out[2], q.len())                     # 2
        t.set(q, q.concat(Lit([1], Seq(Int(0, 3), 4))))  # [0, 3, 1]

    c = compiled(s)
    [(_, st)] = c.successors(s.init_state())
    assert st == ((0, 3, 1), (2, 2, 2))


def test_flags_word_updates_as_a_whole() -> None:
    s = System("t")
    w = s.var("w", Flags("SCHED", "MISSED", "DISABLE"), init="DISABLE")
    got = s.var("got", Array(3, Bool))

    @s.action("cas", func="f")
    def _(t):
        t.set(got[0], w.has("DISABLE"))
        t.set(got[1], w.has_any("SCHED", "MISSED"))
        t.set(w, w.with_bits("SCHED", "MISSED").without_bits("DISABLE"))
        t.set(got[2], w.has("SCHED", "MISSED"))

    c = compiled(s)
    [(_, st)] = c.successors(s.init_state())
    assert st == (0b011, (True, False, True))
    assert Flags("SCHED", "MISSED", "DISABLE").show(0b011) == "SCHED|MISSED"


def test_dynamic_index_and_nested_arrays_of_sequences() -> None:
    s = System("t")
    lists = s.var("lists", Array(2, Seq(Int(0, 1), 2)))
    i = s.var("i", Int(0, 1), init=1)

    @s.action("push", func="f")
    def _(t):
        t.set(lists[i], lists[i].push_back(i))
        t.set(i, 0)

    c = compiled(s)
    [(_, st)] = c.successors(s.init_state())
    assert st == (((), (1,)), 0)


@pytest.mark.parametrize("what", ["int", "seq", "head"])
def test_overflow_is_a_modelling_error_not_a_wrap(what: str) -> None:
    s = System("t")
    x = s.var("x", Int(0, 2), init=2)
    q = s.var("q", Seq(Int(0, 1), 1), init=[0])

    @s.action("bad", func="drivers/x.c:bad")
    def _(t):
        if what == "int":
            t.set(x, x + 1)
        elif what == "seq":
            t.set(q, q.push_back(1))
        else:
            t.set(q, q.pop_front())
            t.set(x, q.head())

    c = compiled(s)
    with pytest.raises(StepError) as err:
        c.successors(s.init_state())
    assert err.value.tid == 0
    res = explore(c, s.properties)
    assert res.error is not None and "bad" in res.error
    assert res.error_trace is not None and res.error_trace.failing_step is not None


def test_actor_program_counter_goto_and_guard() -> None:
    s = System("t")
    flag = s.var("flag", Bool)
    a = s.actor("thr", ["start", "wait", "done"], instances=2, display="T{i}", guard=lambda i: Not(flag) if i == 1 else True)

    @a.step("start", func="f", next="wait")
    def _(t, i):
        if i == 0:
            t.set(flag, True)

    @a.step("wait", func="f", next="done")
    def _(t, i):
        t.require(flag)
        with t.if_(Not(flag)):
            t.goto("start")

    s.deadlock(end=And(a.at(0, "done"), a.pc[1] != a.label_value("done")) | And(a.at(0, "done"), a.at(1, "done")))
    c = compiled(s)
    res = explore(c, s.properties)
    # By hand, (flag, pc0, pc1): (F,start,start) -> (T,wait,start) -> (T,done,start);
    # (F,start,start) -> (F,start,wait) -> (T,wait,wait) -> (T,done,wait). T1 can start only while the
    # flag is clear, and its wait step needs the flag set while its guard needs it clear: it never fires.
    assert res.stats.states == 6
    assert {p.verdict for p in res.properties} == {"holds"}
    assert res.stats.never_fired() == ["T1:wait"]


def test_transition_invariant_with_next() -> None:
    s = System("t")
    x = s.var("x", Int(0, 3))

    @s.action("up", func="f")
    def _(t):
        t.require(x < 3)
        t.set(x, x + 1)

    @s.action("reset", func="f")
    def _(t):
        t.require(x == 3)
        t.set(x, 0)

    s.transition_invariant("Monotone", Next(x) >= x)
    c = compiled(s)
    res = explore(c, s.properties)
    v = {p.name: p for p in res.properties}
    assert v["Monotone"].verdict == "violated"
    assert [t.label for t in v["Monotone"].trace.steps] == ["up", "up", "up", "reset"]


def test_limits_make_the_verdict_inconclusive_and_fingerprints_agree() -> None:
    s = System("t")
    x = s.var("x", Int(0, 50))
    y = s.var("y", Int(0, 50))

    @s.action("x", func="f")
    def _(t):
        t.require(x < 50)
        t.set(x, x + 1)

    @s.action("y", func="f")
    def _(t):
        t.require(y < 50)
        t.set(y, y + 1)

    s.invariant("Small", Min(x, y) + Max(x, y) >= 0)
    s.deadlock(end=And(x == 50, y == 50))
    c = compiled(s)
    full = explore(c, s.properties)
    assert full.stats.states == 51 * 51
    fp = explore(c, s.properties, store="fingerprint")
    assert fp.stats.states == 51 * 51 and fp.stats.collision_probability < 1e-9
    capped = explore(c, s.properties, Limits(max_states=100))
    assert {p.verdict for p in capped.properties} == {"inconclusive"}
    assert capped.stats.limit_hit == "states"
    shallow = explore(c, s.properties, Limits(max_depth=3))
    assert shallow.stats.limit_hit == "depth" and shallow.stats.states == 10


def test_misuse_is_reported_when_the_spec_is_built() -> None:
    s = System("t")
    x = s.var("x", Int(0, 3))
    with pytest.raises(ModelError):
        if x > 1:  # a Python `if` on a model expression
            pass
    with pytest.raises(ModelError):
        s.var("x", Bool)
    with pytest.raises(ModelError):
        s.var("e", Enum("A", "B"), init="C") if False else s.var("e", Int(0, 1), init=5)


def test_specdef_defaults_and_constants() -> None:
    def build(k):  # type: ignore[no-untyped-def]
        s = System("k")
        x = s.var("x", Int(0, k.N))

        @s.action("a", func="f")
        def _(t):
            t.require(x < k.N)
            t.set(x, x + 1)

        s.deadlock(end=x == k.N)
        return s

    spec = SpecDef("k", "doc", [Constant("N", int, 3, min=1)], build)
    assert len(spec.instantiate().vars) == 1
    res = explore(CompiledSystem.build(spec.instantiate({"N": 5})), spec.instantiate({"N": 5}).properties)
    assert res.stats.states == 6


@pytest.mark.parametrize("typ,bad", [(Enum("A", "B"), 2), (Flags("SCHED", "MISSED"), 4)])
def test_enum_and_flags_values_outside_the_type_are_modelling_errors(typ, bad) -> None:  # type: ignore[no-untyped-def]
    s = System("t")
    x = s.var("x", typ)

    @s.action("bad", func="f")
    def _(t):
        t.set(x, x + bad)  # arithmetic on a label or a word: may leave the type

    c = compiled(s)
    with pytest.raises(StepError):
        c.successors(s.init_state())
    assert explore(c, s.properties).error is not None
