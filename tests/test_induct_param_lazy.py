"""Lazily instantiated hypotheses, drops from the whole post-state and late blocking in the every-N
Houdini (checker.symbolic.induct.param_lazy, AllN.run), on napi_basic for every N."""

from __future__ import annotations

import itertools

import pytest
import z3

from checker.symbolic.induct import param as P
from checker.symbolic.induct.param_lazy import LazySolver
from spec.napi_basic import SPEC

PROPS = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"]
CONSTS = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}


def _run(lazy: bool = True, drop_all: bool = True) -> tuple[P.AllN, P.PResult]:
    system = SPEC.instantiate(CONSTS)
    alln = P.AllN(SPEC, CONSTS, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    alln.lazy, alln.drop_all = lazy, drop_all
    return alln, alln.run()


@pytest.fixture(scope="module")
def lazy_run() -> tuple[P.AllN, P.PResult]:
    return _run()


def test_lazy_instantiation_proves_the_same_with_a_fraction_of_the_instances(lazy_run) -> None:
    alln, res = lazy_run
    st = res.stats
    assert res.proved == PROPS
    # the complete instantiation asserts every mined clause at every tuple of every step's universe
    assert 0 < st["instances"] < st["instances_full"] // 2
    alln.constants["N"] = 2
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")


def _false_instances(s: LazySolver, m: z3.ModelRef, live: list[int]) -> int:
    """How many instances of the clauses ``live``, at every tuple of distinct elements of the
    universe (the complete instantiation), Z3's own evaluation finds false in ``m``."""
    false = 0
    for k in live:
        for combo in itertools.permutations(s.universe, s.ev.arity(k)):
            false += not z3.is_true(m.eval(s.instance(k, s.st, combo, s.universe), model_completion=True))
    return false


def test_a_model_of_a_lazy_solver_satisfies_every_instance(lazy_run) -> None:
    """The refinement: a model returned satisfies each assumed clause at every tuple of the universe
    (checked by Z3's evaluation of the complete instantiation), not only at the asserted ones. On
    a fresh solver with an empty seed, one check without refinement gives a model that falsifies
    some instance; with it, none."""
    alln, _ = lazy_run
    live = [k for k, c in enumerate(alln.cands) if alln.live[k] and c[0] == "clause"]
    lits = [alln.lits[k] for k in live]
    for _t, s, _run, _universe, _touched in alln.steps:
        assert isinstance(s, LazySolver)
        assert s.check(*lits) == z3.sat and _false_instances(s, s.model(), live) == 0
    # a pre-state alone (no step, no types), every live clause asserted lazily from nothing
    s = alln.steps[0][1]
    fresh = LazySolver(z3.Solver(), s.ev, s.lits, s.st, s.universe, [], s.instance)
    for k in live:
        fresh.register(k)
    assert fresh.s.check(*lits) == z3.sat and _false_instances(fresh, fresh.s.model(), live) > 0
    assert fresh.check(*lits) == z3.sat and _false_instances(fresh, fresh.model(), live) == 0
    assert fresh.refinements > 0


def test_drops_from_the_whole_post_state_save_queries(lazy_run) -> None:
    """Every clause a counterexample to induction falsifies at any tuple goes at once: fewer Houdini
    questions than dropping only those false at the witnesses, and the same properties proved."""
    _, res = lazy_run
    _, witness_only = _run(drop_all=False)
    assert witness_only.proved == res.proved == PROPS
    assert res.stats["post_drops"] > 0 and "post_drops" not in witness_only.stats
    assert res.stats["houdini_queries"] < witness_only.stats["houdini_queries"]


def test_late_blocking_waits_for_the_clauses_fixpoint() -> None:
    """options.induct_block_late on the every-N path: with candidates of two literals napi_basic's
    NoLostWakeup needs blocking; with late blocking the first blocking call comes only after Houdini's
    fixpoint of the mined clauses (the properties assumed, not asked), and all three are proved."""
    from tests.test_induct_param_block import _alln

    alln = _alln(True)
    alln.block_late = True
    res = alln.run()
    assert res.proved == PROPS and res.stats["block_kept"] > 0
    assert res.stats["first_block_query"] > res.stats["clause_fixpoint_queries"] > 0
    alln.constants["N"] = 2
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")
