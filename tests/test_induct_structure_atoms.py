"""Atoms over an instance family's structure in the all-N engine (checker.symbolic.induct.param):
``i == <named instance>`` and ``irq_cpu(i) == c`` — grounded as the spec grounds them (instance 0,
i mod CPUS), over the instance sort as the named constant and the uninterpreted placement."""

from __future__ import annotations

import numpy as np
import z3

from checker.lang.family import ANY
from checker.symbolic.induct import param as P
from checker.symbolic.induct.param_tr import PTr
from checker.symbolic.translate import Encoder
from spec.linux import SPEC


def test_structure_templates_name_the_targets_and_the_placement() -> None:
    ps = SPEC.instantiate({"N": ANY, "CPUS": 2, "busy_poll": True, "disable": True})
    texts = [t.text for t in P.structure_templates(ps)]
    assert texts == ["i == busy_poll_target", "j == busy_poll_target", "i == disable_target",
                     "j == disable_target", "irq_cpu(i) == 0", "irq_cpu(j) == 0"]
    # one CPU: no placement atom (every instance on CPU 0); softirq only: no named instance
    assert P.structure_templates(SPEC.instantiate({"N": ANY, "CPUS": 1, "version": "6.19"})) == []


def test_structure_atoms_grounded_as_the_spec_grounds_them() -> None:
    ps = SPEC.instantiate({"N": ANY, "CPUS": 2, "busy_poll": True})
    ts = P.structure_templates(ps)
    g3 = SPEC.instantiate({"N": 3, "CPUS": 2, "busy_poll": True})
    g = P.Grounder(g3, Encoder(g3).state("").names)
    assert g.named == {"busy_poll_target": 0}
    got = {(b["i"], b["j"]): [g.atom(t, b).value for t in ts] for b in P._assignments(["i", "j"], 3)}
    # i == target, j == target, irq_cpu(i) == 0 (i mod 2), irq_cpu(j) == 0
    assert got[(0, 1)] == [True, False, True, False]
    assert got[(2, 1)] == [False, False, True, False]
    assert got[(1, 2)] == [False, False, False, True]
    col = g.atom(ts[0], {"i": 0, "j": 1}).column(np.zeros((5, 3)))
    assert col.tolist() == [True] * 5


def test_structure_atoms_over_the_instance_sort_are_the_named_constant_and_the_placement() -> None:
    ps = SPEC.instantiate({"N": ANY, "CPUS": 2, "busy_poll": True})
    alln = P.AllN.__new__(P.AllN)
    alln.psys, alln.tr = ps, PTr(ps, [], [])
    ts = P.structure_templates(ps)
    u = z3.Const("u", alln.tr.sort)
    named = alln._atom_term(ts[0], {}, {"i": u})
    place = alln._atom_term(ts[2], {}, {"i": u})
    s = z3.Solver()
    # whichever instance is the target, and wherever its interrupt goes: both are open
    for a, b in ((named, place), (named, z3.Not(place)), (z3.Not(named), place)):
        assert s.check(a, b) == z3.sat
    assert s.check(named, u != alln.tr.named["busy_poll_target"]) == z3.unsat


def test_random_walks_reach_only_reachable_states_and_go_deeper_than_a_cut_short_search() -> None:
    from checker.explicit.bfs import Limits, explore
    from checker.lang.pycompile import CompiledSystem

    system = SPEC.instantiate({"version": "6.19", "N": 2, "CPUS": 1, "RING": 1, "WEIGHT": 1, "BUDGET": 1})
    compiled = CompiledSystem.build(system)
    props = [system.prop("NoDoubleQueue")]
    full = explore(compiled, props, Limits(None, None, None), "exact")
    reached = set(full.reached())
    walked = P.random_walks(compiled, system.init_state(), 50, 200)
    assert walked and set(walked) <= reached
    cut = explore(compiled, props, Limits(200, None, None), "exact")
    assert cut.stats.limit_hit is not None
    assert set(walked) - set(cut.reached())  # states the cut-short BFS did not see


def test_the_safety_properties_of_every_optional_context_are_in_the_all_n_translation() -> None:
    """With threaded NAPI, "the kthread acting for n polls it" is n's own kthread (one per instance),
    not "some kthread a with napi(a) = n": an ∃ inside a Sum, which the ∃*∀* class refuses."""
    from checker.symbolic.induct.param_tr import StepRun

    for feature in ({}, {"threaded": True}, {"disable": True}, {"DEFER": 1}, {"busy_poll": True},
                    {"netpoll": True}):
        ps = SPEC.instantiate({"N": ANY, "CPUS": 2, "version": "6.19", **feature})
        tr = PTr(ps, [], [])
        x = tr.state("")
        w = [z3.Const(f"w{k}", tr.sort) for k in range(2)]
        for name in ("NoDoubleQueue", "OwnerHoldsSched"):
            e = ps.prop(name).expr
            for part in (list(e.args) if e.op == "and" else [e]):
                key, body = P._binders(part)
                StepRun(tr, x, dict(zip(key, w)), tr.insts_of(x) + w + tr.fixed).ev(body, 1)  # no NotInClass
