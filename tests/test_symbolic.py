"""The Z3 engines (checker.symbolic) against the explicit engine and against hand-computed facts."""

from __future__ import annotations

from collections import deque

import pytest
import z3

from checker.engines import EngineInput, load_engine
from checker.explicit.bfs import explore
from checker.lang import And, Array, Bool, Enum, Flags, Int, Lit, Next, Seq, System
from checker.lang.pycompile import CompiledSystem, StepError
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED
from checker.symbolic.bmc import Unroller
from checker.symbolic.invariant_check import evaluator
from checker.symbolic.pdr import Spacer
from checker.symbolic.problem import Problem
from checker.trace.replay import replay
from spec.napi_basic import SPEC


def run(engine: str, system: System, props: list[str] | None = None, **limits: object):
    c = CompiledSystem.build(system)
    ps = [p for p in system.properties if props is None or p.name in props]
    lim = {"query_timeout": 30, "max_bound": 12}
    lim.update(limits)
    return load_engine(engine)(EngineInput(system, c, ps, lim)), c


def bfs_layers(c: CompiledSystem) -> list[set[tuple]]:
    """States first reached at each depth, by the public successors() (no invariants)."""
    init = c.system.init_state()
    seen = {init}
    layers = [{init}]
    frontier = deque([init])
    while frontier:
        nxt = set()
        for s in frontier:
            for _, t in c.successors(s):
                if t not in seen:
                    seen.add(t)
                    nxt.add(t)
        if not nxt:
            break
        layers.append(nxt)
        frontier = deque(nxt)
    return layers


# ---------------------------------------------------------------- small hand-made systems


def counter_by_two() -> System:
    """x: 0 -> 2 -> 4 -> 6 -> 0; "x != 7" holds but is only 4-inductive (1, 3, 5 lead to 7)."""
    s = System("by_two")
    x = s.var("x", Int(0, 9))

    @s.action("add", func="f.c:add")
    def add(t):
        t.require(x < 6)
        t.set(x, x + 2)

    @s.action("wrap", func="f.c:wrap")
    def wrap(t):
        t.require(x >= 6)
        t.set(x, 0)

    s.invariant("Not7", x != 7)
    s.invariant("Below5", x < 5)  # violated after 3 steps
    s.finish()
    return s


def overflow(kind: str) -> System:
    """A system whose second step hits a modelling error of the given kind."""
    s = System(f"err_{kind}")
    x = s.var("x", Int(0, 3))
    q = s.var("q", Seq(Int(0, 3), 1))
    a = s.var("a", Array(2, Int(0, 3)))

    @s.action("tick", func="f.c:tick")
    def tick(t):
        t.require(x < 2)
        t.set(x, x + 1)

    @s.action("act", func="f.c:act")
    def act(t):
        t.require(x == 2)
        if kind == "range":
            t.set(x, x + 2)
        elif kind == "capacity":
            t.set(q, q.push_back(1).push_back(2))
        elif kind == "head":
            t.set(x, q.head())
        elif kind == "pop":
            t.set(q, q.pop_front())
        elif kind == "index":
            t.set(a[x], 1)

    s.invariant("Small", x <= 3)
    s.finish()
    return s


# ---------------------------------------------------------------- tests


def test_bmc_reaches_exactly_the_explicit_states_by_depth() -> None:
    system = SPEC.instantiate({"N": 1, "RING": 1, "WEIGHT": 1, "timer": True})
    c = CompiledSystem.build(system)
    layers = bfs_layers(c)
    prob = Problem(system, [])
    solver = z3.Solver()
    u = Unroller(prob, solver, "")
    k_max = 6
    upto: set[tuple] = set()
    for k in range(k_max + 1):
        if k:
            u.extend()
        found = set()
        solver.push()
        while solver.check() == z3.sat:
            m = solver.model()
            found.add(prob.enc.decode(m, u.states[k]))
            solver.add(z3.Or([v != m.eval(v, model_completion=True) for v in u.states[k].flat]))
        solver.pop()
        upto |= found
        explicit = set().union(*layers[: k + 1])
        assert upto == explicit, f"depth {k}"
    assert len(upto) > 20  # the comparison covers a non-trivial set


def test_kind_proves_with_k_and_reports_cti() -> None:
    res, _ = run("kind", counter_by_two(), ["Not7"])
    (p,) = res.properties
    assert p.verdict == HOLDS and p.detail["k"] == 4
    res, _ = run("kind", counter_by_two(), ["Not7"], max_bound=2)
    (p,) = res.properties
    assert p.verdict == INCONCLUSIVE
    cti = p.detail["cti"]
    assert cti["transition"] == "env:add" and cti["invariant"] == "Not7" and cti["pre_state"]["x"] == "5"


@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_violation_shortest_trace_replays(engine: str) -> None:
    res, c = run(engine, counter_by_two())
    got = {p.name: p for p in res.properties}
    assert got["Below5"].verdict == VIOLATED
    tr = got["Below5"].trace
    assert tr is not None and len(tr) == 3 and tr.states[-1] == (6,)
    assert replay(tr, c).ok
    assert got["Not7"].verdict in (HOLDS, INCONCLUSIVE) if engine == "bmc" else got["Not7"].verdict == HOLDS


@pytest.mark.parametrize("kind", ["range", "capacity", "head", "pop", "index"])
@pytest.mark.parametrize("engine", ["bmc", "pdr"])
def test_modelling_errors_are_reported_not_wrapped(engine: str, kind: str) -> None:
    system = overflow(kind)
    explicit = explore(CompiledSystem.build(system), system.properties)
    assert explicit.error is not None and explicit.error_trace is not None
    res, c = run(engine, system)
    assert res.error is not None and res.error_trace is not None, res.properties
    assert len(res.error_trace) == len(explicit.error_trace) == 2
    assert res.error_trace.failing_step is not None and res.error_trace.failing_step.label == "act"
    assert replay(res.error_trace, c).ok
    assert all(p.verdict == ERROR for p in res.properties)


def test_transition_invariant_and_deadlock() -> None:
    s = System("tr")
    x = s.var("x", Int(0, 3))
    done = s.var("done", Bool)

    @s.action("inc", func="f.c:inc")
    def inc(t):
        t.require(x < 3)
        t.set(x, x + 1)

    @s.action("finish", func="f.c:finish")
    def fin(t):
        t.require(And(x == 3, done == False))  # noqa: E712
        t.set(done, True)

    s.transition_invariant("Monotone", Next(x) >= x)
    s.transition_invariant("StepsOfOne", Next(x) <= x + 0)  # violated by the first inc
    s.deadlock("Deadlock", end=False)  # after finish nothing is enabled: a deadlock at depth 4
    s.finish()
    for engine in ("bmc", "kind", "pdr"):
        res, c = run(engine, s)
        got = {p.name: p for p in res.properties}
        assert got["StepsOfOne"].verdict == VIOLATED and len(got["StepsOfOne"].trace) == 1, engine
        assert got["Deadlock"].verdict == VIOLATED and len(got["Deadlock"].trace) == 4, engine
        assert replay(got["Deadlock"].trace, c).ok and replay(got["StepsOfOne"].trace, c).ok
        if engine != "bmc":
            assert got["Monotone"].verdict == HOLDS, engine


def test_pdr_invariant_is_checked_and_holds_on_every_explicit_state() -> None:
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    prob = Problem(system, [system.prop("NoDoubleQueue")])
    sp = Spacer(prob, prob.targets, 30_000, restrict=False)
    assert sp.query() == z3.unsat
    inv = sp.invariant()
    fn = evaluator(prob, sp.x, inv)
    states = set().union(*bfs_layers(CompiledSystem.build(system)))
    assert len(states) > 30 and all(fn(s) for s in states)
    # the evaluator is not vacuous: some well-typed state breaks the invariant
    bogus = list(system.init_state())
    bogus[system.var_named("poll_list").slot] = (0, 0)
    assert not fn(tuple(bogus))


def test_pdr_prints_invariant_in_spec_names() -> None:
    res, _ = run("pdr", counter_by_two(), ["Not7"])
    (p,) = res.properties
    assert p.verdict == HOLDS
    lines = p.detail["invariant"]
    assert lines and all("x" in ln for ln in lines)
    assert "inductive invariant" in p.note


def test_flags_seq_ops_agree_with_compiled_semantics() -> None:
    """Every transition's symbolic post-state equals the compiled one on every reachable state."""
    s = System("ops")
    f = s.var("f", Flags("A", "B", "C"))
    q = s.var("q", Seq(Enum("p", "r", "z"), 3))
    y = s.var("y", Int(0, 5))
    e = s.var("e", Enum("p", "r", "z"))

    @s.action("push", func="o.c:push", params={"v": range(3)})
    def push(t, v):
        t.require(q.len() < 3)
        t.set(q, q.push_back(v))
        t.set(f, f.with_bits("A"))

    @s.action("front", func="o.c:front")
    def front(t):
        t.require(q.len() < 3)
        t.set(q, q.push_front(e))

    @s.action("rm", func="o.c:rm", params={"v": range(3)})
    def rm(t, v):
        t.set(q, q.remove(v))
        t.set(f, f.without_bits("A").with_bits("C"))
        t.set(y, q.count(v))

    @s.action("pop", func="o.c:pop")
    def pop(t):
        t.require(q.len() > 0)
        t.let("h", q.head())
        t.set(e, t.temp("h"))
        t.set(q, q.pop_front())
        with t.if_(f.has_any("A", "B")):
            t.set(f, f.with_bits("B"))
        with t.else_():
            t.set(y, Int_ite_guard(y))

    @s.action("cat", func="o.c:cat")
    def cat(t):
        t.require(q.len() <= 1)
        t.set(q, q.concat(Lit((1, 2), Seq(Enum("p", "r", "z"), 2))))
        t.set(y, (q[0] + 7) // 2 % 4)

    s.invariant("T", True)
    s.finish()
    c = CompiledSystem.build(s)
    states = set().union(*bfs_layers(c))
    assert len(states) > 50
    prob = Problem(s, [])
    x = prob.enc.state("")
    for st in sorted(states)[:60]:
        for t in s.transitions:
            try:
                want = c.step(st, t.index)
            except StepError:
                want = "error"
            solver = z3.Solver()
            solver.add(prob.enc.init_like(x, st))
            sem = prob.enc.sem(t, x)
            if want == "error":
                solver.add(sem.err)
                assert solver.check() == z3.sat, (t.key, st)
                continue
            solver.add(z3.Not(sem.err))
            if want is None:
                solver.add(sem.enabled)
                assert solver.check() == z3.unsat, (t.key, st)
                continue
            post = prob.enc.state("'")
            solver.add(prob.enc.step(t, x, post))
            assert solver.check() == z3.sat, (t.key, st)
            assert prob.enc.decode(solver.model(), post) == want, (t.key, st)


def Int_ite_guard(y):  # noqa: N802 - a helper building an expression
    from checker.lang import Ite, Min

    return Ite(y > 2, Min(y + 1, 5), y * 2)


@pytest.mark.parametrize("name", ["split_test_set", "symbolic_n1"])
def test_bundled_configurations_agree(root, name: str) -> None:
    """explicit, BMC and k-induction on bundled configurations: no disagreement, expectation met."""
    from checker.config import load_config
    from checker.engines import engine_names
    from checker.verify import PASS, run_config
    from spec import registry

    cfg = load_config(root / "models" / "napi_basic" / f"{name}.toml", registry(), engine_names())
    cfg.properties = ["NoDoubleQueue", "SchedMatchesList"]
    cfg.expect = [p for p in cfg.expect if p in cfg.properties]
    out = run_config(cfg, ["explicit", "bmc", "kind"], {"max_bound": 10})
    assert out.status == PASS, out.problems
    by_engine = {r.engine: {p.name: p.verdict for p in r.properties} for r in out.engine_results}
    for p in cfg.properties:
        want = by_engine["explicit"][p]
        assert by_engine["bmc"][p] == (VIOLATED if want == VIOLATED else INCONCLUSIVE)
        if want == VIOLATED:
            assert by_engine["kind"][p] == VIOLATED


def test_program_counter_orderings_print_as_the_labels_they_admit() -> None:
    """Spacer's lemmas compare a pc by its index; the text names the labels instead."""
    import z3

    from checker.lang.types import Enum
    from checker.symbolic.invariant_check import show

    pc = z3.Int("irq.pc[0]")
    types = {"irq.pc[0]": Enum("idle", "prep", "prep_cas", "mask", "sched")}
    assert show(pc > 0, types) == "irq.pc[0] != idle"
    assert show(pc > 2, types) == "irq.pc[0] in {mask, sched}"
    assert show(z3.Not(pc <= 0), types) == "irq.pc[0] != idle"
    assert show(pc < 3, types) == "irq.pc[0] not in {mask, sched}"
    assert show(pc >= 4, types) == "irq.pc[0] == sched"
    assert show(z3.Or(pc > 0, z3.Bool("b")), types) == "(irq.pc[0] != idle) or b"
    assert show(z3.Int("pending[0]") < 1, types) == "pending[0] < 1"  # not a pc: unchanged
