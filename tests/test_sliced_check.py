"""The sliced independent check (checker.symbolic.induct.sliced_check) asks what check_invariant asks."""

from __future__ import annotations

import z3

from checker.lang import Int, System
from checker.symbolic.induct.sliced_check import check_sliced
from checker.symbolic.invariant_check import check_invariant
from checker.symbolic.problem import Problem


def _counters() -> System:
    """a counts up to 3 and resets b; b counts up to 2 unless a is 3; c never changes."""
    s = System("counters")
    a = s.var("a", Int(0, 3), 0)
    b = s.var("b", Int(0, 3), 0)
    c = s.var("c", Int(0, 3), 1)
    pa, pb = s.actor("pa", ["go"]), s.actor("pb", ["go"])

    @pa.step("go", func="inc_a", next="go")
    def _(t, i):
        t.require(a < 3)
        t.set(a, a + 1)
        t.set(b, 0)

    @pb.step("go", func="inc_b", next="go")
    def _(t, i):
        t.require(b < 2)
        t.require(a < 3)
        t.set(b, b + 1)

    s.invariant("BSmall", b <= 2)
    s.invariant("CIsOne", c == 1)
    s.finish()
    return s


def _both(parts: list[str]) -> tuple[tuple[bool, str], tuple[bool, str], dict]:
    system = _counters()
    prob = Problem(system, [system.prop("BSmall"), system.prop("CIsOne")])
    x = prob.enc.state("")
    env = {n: v for n, v in zip(x.names, x.flat)}
    terms = [eval(p, {}, env) for p in parts]  # noqa: S307 - test-local expressions over a, b, c
    stats: dict = {}
    sliced = check_sliced(prob, x, terms, prob.targets, 10_000, stats=stats)
    whole = check_invariant(prob, x, z3.And(*terms), prob.targets, 10_000, split_steps=True)
    return sliced, whole, stats


def test_an_inductive_invariant_is_accepted_and_unchanged_clauses_are_not_asked() -> None:
    sliced, whole, stats = _both(["b <= 2", "c == 1"])
    assert sliced == whole == (True, "")
    # "c == 1" is written by no step: sliced at both; "b <= 2" is asked at both
    assert stats["sliced"] > 0 and stats["asked"] > 0


def test_a_clause_a_step_can_break_is_asked_after_that_step() -> None:
    # "b <= 1" is broken by inc_b only (b from 1 to 2); inc_a writes b too but keeps it
    sliced, whole, _ = _both(["b <= 1", "c == 1"])
    assert not sliced[0] and not whole[0]
    assert "(pb:go)" in sliced[1] and "pa:go" not in sliced[1]


def test_init_and_targets_are_checked() -> None:
    sliced, whole, _ = _both(["c == 2"])
    assert not sliced[0] and not whole[0] and sliced[1].startswith("Init")
    # inductive but does not imply BSmall: b = 3 is kept by every step (no step enabled writes b up from 3)
    sliced, whole, _ = _both(["c == 1", "a <= 3"])
    assert not sliced[0] and not whole[0] and "BSmall" in sliced[1]


def test_a_deadline_past_stops_the_check() -> None:
    import pytest

    system = _counters()
    prob = Problem(system, [system.prop("BSmall")])
    x = prob.enc.state("")
    with pytest.raises(TimeoutError):
        check_sliced(prob, x, [], prob.targets, 10_000, deadline=0.0)
