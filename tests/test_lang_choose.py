"""t.choose: a nondeterministic value inside a step, on every engine."""

from __future__ import annotations

import pytest
from engine_agreement import all_engines

from checker.lang import And, Bool, Enum, Int, ModelError, Not, System
from checker.result import HOLDS, VIOLATED
from checker.trace.text import step_rows


def _uninitialised_local(invariants: bool = True) -> System:
    # a poll() that returns an uninitialised `work` (0..3) to a caller that repolls when work == weight
    s = System("uninit")
    weight = 2
    work = s.var("work", Int(0, 3))
    polls = s.var("polls", Int(0, 3))
    p = s.actor("poll", ["run", "done"], display="CPU0 softirq")

    @p.step("run", func="drivers/net/x.c:x_poll (work uninitialised)", next="done")
    def _(t, i):
        w = t.choose("work", range(4))            # whatever the stack slot held
        t.set(work, w)
        t.set(polls, polls + 1)
        if w >= weight:
            with t.if_(polls < 2):
                t.goto("run")                      # napi_poll: work == weight → repoll (twice at most here)

    if invariants:
        s.invariant("WorkWithinBudget", work <= weight)
        s.invariant("FewPolls", polls < 2)
    s.deadlock(end=p.at(0, "done"))
    return s


def test_choice_expands_into_one_transition_per_value_and_every_engine_agrees() -> None:
    s = _uninitialised_local()
    assert [t.key for t in s.transitions] == [f"CPU0 softirq:run(work={v})" for v in range(4)]
    # by hand, (work, polls, pc) from (0, 0, run): each poll picks work in 0..3 and repolls on
    # work >= 2 while polls < 2. polls=1: 4 states, 2 of them repoll; polls=2: 4 states, none
    # repolls -> 1 + 4 + 4 = 9 states, 4 + 2*4 = 12 transitions
    free = all_engines(_uninitialised_local(invariants=False))
    assert (free.result.stats.states, free.result.stats.transitions) == (9, 12)
    got = all_engines(s)
    assert got.verdicts == {"WorkWithinBudget": VIOLATED, "FewPolls": VIOLATED, "Deadlock": HOLDS}


def test_the_trace_shows_the_chosen_value() -> None:
    s = _uninitialised_local()
    r = all_engines(s, symbolic=False).result
    trace = next(p.trace for p in r.properties if p.name == "WorkWithinBudget")
    assert [t.params for t in trace.steps] == [{"work": 3}]
    rows = step_rows(trace)
    assert "(work=3)" in rows[1]["step"] and "work: 0 → 3" in rows[1]["changes"]


def test_a_domain_may_depend_on_parameters_and_earlier_choices() -> None:
    s = System("dep")
    x = s.var("x", Int(0, 20))
    mode = s.var("mode", Enum("IDLE", "RX", "TX"))

    @s.action("pick", func="f", params={"i": range(2)})
    def _(t, i):
        v = t.choose("v", range(i + 2))
        w = t.choose("w", range(v + 1))
        t.set(x, 10 * i + 3 * v + w)
        t.set(mode, t.choose("m", ["RX", "TX"]))

    # i=0: v in 0..1 -> 1+2 pairs; i=1: v in 0..2 -> 1+2+3 pairs; times 2 modes
    assert len(s.transitions) == (3 + 6) * 2
    assert s.transitions[0].params == {"i": 0, "v": 0, "w": 0, "m": "RX"}
    s.invariant("NotBoth", Not(And(x == 17, mode.is_("TX"))))  # i=1, v=2, w=1, TX
    got = all_engines(s)
    assert got.verdicts["NotBoth"] == VIOLATED
    trace = got.result.properties[0].trace
    assert trace is not None and trace.steps[-1].params == {"i": 1, "v": 2, "w": 1, "m": "TX"}


@pytest.mark.parametrize("body, message", [
    (lambda t: t.choose("v", []), "empty domain"),
    (lambda t: (t.choose("v", [1]), t.choose("v", [1])), "twice"),
    (lambda t: t.choose("i", [1]), "reuses the name of a step parameter"),
])
def test_bad_choices_are_model_errors(body, message) -> None:  # type: ignore[no-untyped-def]
    s = System("bad")
    s.var("x", Int(0, 1))
    with pytest.raises(ModelError, match=message):
        s.action("a", func="f", params={"i": [0]})(lambda t, i: body(t))


def test_an_itf_trace_with_a_choice_replays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from checker.lang import SpecDef
    from checker.trace.itf import write_itf
    from checker.trace.replay import load_trace, replay

    spec = SpecDef("uninit", "", [], lambda k: _uninitialised_local())
    system = spec.instantiate({})
    r = all_engines(system, symbolic=False).result
    trace = next(p.trace for p in r.properties if p.name == "FewPolls")
    assert trace is not None and len(trace) == 2
    path = tmp_path / "t.itf.json"
    write_itf(trace, path)
    back, c = load_trace(path, {"uninit": spec})
    assert [t.params for t in back.steps] == [t.params for t in trace.steps]
    assert all(t.params["work"] >= 2 for t in back.steps[:1])  # the first poll chose a repolling value
    assert replay(back, c).ok


def test_a_type_as_the_domain() -> None:
    s = System("types")
    e = Enum("IDLE", "RX")
    x = s.var("x", Int(0, 2))
    m = s.var("m", e)
    b = s.var("b", Bool)

    @s.action("pick", func="f")
    def _(t):
        t.set(x, t.choose("x", Int(0, 2)))
        t.set(m, t.choose("m", e))
        t.set(b, t.choose("b", Bool))

    assert len(s.transitions) == 3 * 2 * 2
    assert all_engines(s).result.stats.states == 1 + 12 - 1  # the all-default choice leads back to the start
    with pytest.raises(ModelError, match="one transition each"):
        s.action("big", func="f")(lambda t: t.choose("v", Int(0, 1 << 20)))
