"""Ordered symbolic constants on the every-N path (checker.symbolic.induct.param.AllN with ``below``):
a per-instance counter typed ``Int(0, max(WEIGHT, BP_BUDGET))``, as Linux types every context's
``work``, that a busy poll raises up to BP_BUDGET. BP_BUDGET is refused alone; below WEIGHT it is
symbolic, and the every-N proof covers "1 ≤ BP_BUDGET ≤ WEIGHT" for every N. A ring (RING) makes
sure the order lands under WEIGHT, not under the first constant that happens to be larger."""

from __future__ import annotations

import time
from types import SimpleNamespace

import z3

from checker.engines import EngineInput, load_engine
from checker.lang import Array, Constant, ForAll, Int, SpecDef, System
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS
from checker.symbolic.induct import param as P
from checker.symbolic.induct.symbolic import make_symbolic


def _build(k: SimpleNamespace) -> System:
    s = System("ordered")
    ids = s.instances("napi", k.N)
    pending = s.var("pending", Array(ids.size, Int(0, k.RING)))
    work = s.var("work", Array(ids.size, Int(0, max(k.WEIGHT, k.BP_BUDGET))))

    @s.action("packet_arrives", func="drivers/net/<driver>.c: device DMA", actor="DEV{i}", params={"i": ids})
    def arrive(t, i):
        t.require(pending[i] < k.RING)
        t.set(pending[i], pending[i] + 1)

    @s.action("busy_poll", func="net/core/dev.c:__napi_busy_loop", actor="BP{i}", params={"i": ids})
    def busy_poll(t, i):
        t.require(work[i] < k.BP_BUDGET)
        t.set(work[i], work[i] + 1)

    @s.action("done", func="net/core/dev.c:busy_poll_stop", actor="BP{i}", params={"i": ids})
    def done(t, i):
        t.set(work[i], 0)

    s.invariant("WithinBudget", ForAll(ids, lambda i: work[i] <= k.BP_BUDGET))
    return s


SPEC = SpecDef("ordered", "", [Constant("N", int, 2, min=1), Constant("RING", int, 2, min=1),
                               Constant("WEIGHT", int, 2, min=1), Constant("BP_BUDGET", int, 1, min=1)], _build)
CONSTS = {"N": 2, "RING": 2, "WEIGHT": 2, "BP_BUDGET": 1}
WANTED = ["RING", "WEIGHT", "BP_BUDGET"]  # as DATA_BOUNDS asks them


def _alln(below: dict[str, str]) -> P.AllN:
    system = SPEC.instantiate(CONSTS)
    sym = make_symbolic(SPEC, system.constants, WANTED, ordered=True)
    # under WEIGHT, not RING: at RING = WEIGHT = 2 every trial at the configured values keeps both
    # orders; the trial with BP_BUDGET = RING above WEIGHT tells them apart
    assert sym is not None and sym.names == ["RING", "BP_BUDGET", "WEIGHT"] and sym.below == {"BP_BUDGET": "WEIGHT"}
    return P.AllN(SPEC, system.constants, [system.prop("WithinBudget")], "N", sym.names,
                  time.perf_counter() + 120, below=below)


def test_every_n_proof_keeps_bp_budget_below_weight() -> None:
    alln = _alln({"BP_BUDGET": "WEIGHT"})
    # the order is part of every state's well-formedness in the instance-sort translation
    x = alln.tr.state("")
    _ring, bp, w = alln.tr.sym
    assert z3.Solver().check(*alln.tr.wf(x, []), bp > w) == z3.unsat
    # mined at the configuration's values and at the least ones (BP_BUDGET = WEIGHT = 1 there)
    assert alln._mining_constants() == [{"RING": 2, "BP_BUDGET": 1, "WEIGHT": 2}, {"RING": 1, "BP_BUDGET": 1, "WEIGHT": 1}]
    res = alln.run()
    assert res.proved == ["WithinBudget"], res.failed
    assert res.claim == "for every N ≥ 1, RING ≥ 1, WEIGHT ≥ 1, 1 ≤ BP_BUDGET ≤ WEIGHT"
    # re-checked on the grounded IR, where the order is asked for again at each N
    assert alln.ground_check(res.proved, 60_000, at=(2, 3)) == (True, "")


def test_without_the_order_the_counter_may_leave_its_type() -> None:
    # the same sentinels, no order: at BP_BUDGET > WEIGHT a busy poll takes work past WEIGHT, out of
    # Int(0, WEIGHT), so the abstraction's obligations fail and nothing is claimed
    res = _alln({}).run()
    assert res.proved == []
    assert "not excluded" in res.failed["WithinBudget"]


def test_the_engine_claims_the_order_for_every_n() -> None:
    system = SPEC.instantiate(CONSTS)
    inp = EngineInput(system, CompiledSystem.build(system), list(system.properties), {"max_seconds": 120},
                      {"induct_instances": "N"})
    res = load_engine("induct")(inp)
    p = next(p for p in res.properties if p.name == "WithinBudget")
    assert p.verdict == HOLDS, p.note
    assert "for every N ≥ 1, RING ≥ 1, WEIGHT ≥ 1, 1 ≤ BP_BUDGET ≤ WEIGHT" in p.note, p.note

