"""A PDR invariant evaluated on every state the explicit engine reached (checker.symbolic.on_reached)."""

from __future__ import annotations

import random
from typing import Any

import pytest
import z3

from checker.config import load_config
from checker.engines import engine_names
from checker.lang.pycompile import CompiledSystem
from checker.lang.types import Array, BoolType, Enum, Flags, Int, Seq, Type
from checker.result import ERROR, HOLDS
from checker.symbolic import pdr
from checker.symbolic.invariant_check import compile_invariant
from checker.symbolic.on_reached import CHECKED, CONCRETE
from checker.symbolic.problem import Problem
from checker.symbolic.translate import concrete_flat
from checker.verify import FAIL, PASS, run_config
from spec import registry
from spec.napi_basic import SPEC


def reachable(c: CompiledSystem) -> set[tuple]:
    """Every reachable state by the public successors() (independent of the explicit engine)."""
    init = c.system.init_state()
    seen, todo = {init}, [init]
    while todo:
        for _, t in c.successors(todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def random_value(typ: Type, rng: random.Random) -> Any:
    if isinstance(typ, BoolType):
        return rng.random() < 0.5
    if isinstance(typ, Int):
        return rng.randint(typ.lo, typ.hi)
    if isinstance(typ, Enum):
        return rng.randrange(len(typ.names))
    if isinstance(typ, Flags):
        return rng.randint(0, typ.full)
    if isinstance(typ, Array):
        return tuple(random_value(typ.elem, rng) for _ in range(typ.size))
    assert isinstance(typ, Seq)
    return tuple(random_value(typ.elem, rng) for _ in range(rng.randint(0, typ.capacity)))


def config(root, props: list[str]):
    cfg = load_config(root / "models" / "napi_basic" / "symbolic_n1.toml", registry(), engine_names())
    cfg.properties = props
    cfg.expect = []
    return cfg


def test_invariant_checked_on_every_reached_state(root) -> None:
    out = run_config(config(root, ["NoDoubleQueue", "SchedMatchesList"]), ["explicit", "pdr"])
    assert out.status == PASS, out.problems
    explicit = next(r for r in out.engine_results if r.engine == "explicit")
    pdr_res = next(r for r in out.engine_results if r.engine == "pdr")
    n = len(reachable(out.compiled))
    assert n == explicit.stats.states == 32  # N=1, RING=1, WEIGHT=1 (tests/test_napi_basic_counts.py)
    for pr in pdr_res.properties:
        assert pr.verdict == HOLDS
        assert pr.detail[CHECKED] == n
        assert f"holds on all {n:,} explicitly reached states" in pr.note
    for name in ("NoDoubleQueue", "SchedMatchesList"):  # the property line says so, whichever engine it shows
        assert f"PDR invariant holds on all {n:,} explicitly reached states" in out.verdicts[name].note \
            or out.verdicts[name].engine == "pdr"


def test_wrong_invariant_is_caught(root, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inject an invariant that is false on a reachable state (the independent check switched off,
    as if it had a bug): the evaluation on the explicit states must catch it, loudly."""

    def wrong(self: pdr.Spacer) -> z3.BoolRef:
        names = {c.decl().name(): c for c in self.x.flat}
        return z3.And(names["irq_masked[0]"] == names["irq_masked[0]"], names["poll_list.len"] < 1)

    monkeypatch.setattr(pdr.Spacer, "query", lambda self: z3.unsat)
    monkeypatch.setattr(pdr.Spacer, "invariant", wrong)
    monkeypatch.setattr(pdr, "check_invariant", lambda *a, **k: (True, ""))
    out = run_config(config(root, ["NoDoubleQueue"]), ["explicit", "pdr"])
    assert out.status == FAIL
    (problem,) = out.problems
    assert problem.startswith("NoDoubleQueue: the PDR inductive invariant is false on a state the explicit engine")
    assert "`poll_list.len < 1`" in problem and "poll_list=[0]" in problem
    (pr,) = next(r for r in out.engine_results if r.engine == "pdr").properties
    assert pr.verdict == ERROR and pr.detail[CHECKED] >= 1


def test_compiled_invariant_agrees_with_z3_on_concrete_states() -> None:
    """The compiled form reads every location as Z3 sees it: a real Spacer invariant, evaluated by Z3
    (substituting the concrete values) and by the compiled function, on reached and on mutated states."""
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    prob = Problem(system, [system.prop("NoDoubleQueue")])
    sp = pdr.Spacer(prob, prob.targets, 30_000, restrict=False)
    assert sp.query() == z3.unsat
    inv = sp.invariant()
    ci = compile_invariant(prob, sp.x, inv)
    states = sorted(reachable(CompiledSystem.build(system)))
    rng = random.Random(5)
    mutated = []
    for s in states * 2:  # one location changed to another value of its type
        t = list(s)
        v = rng.choice(system.vars)
        t[v.slot] = random_value(v.typ, rng)
        mutated.append(tuple(t))
    falses = 0
    for s in states + mutated:
        vals = [z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v) for v in concrete_flat(system, s)]
        want = z3.is_true(z3.simplify(z3.substitute(inv, *zip(sp.x.flat, vals))))
        assert ci.holds(s) == want, s
        falses += not want
    assert all(ci.holds(s) for s in states)
    assert falses > 0  # the comparison is not vacuous
    assert CONCRETE == "concrete_invariant"
