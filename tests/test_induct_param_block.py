"""CTI blocking on the every-N path (checker.symbolic.induct.param_block): with candidates of at most
two literals, Houdini over the instance sort drops napi_basic's NoLostWakeup; blocking its
counterexamples to induction with ∀ i / ∀ i ≠ j clauses proves it for every N, and the result
passes the grounded re-check."""

from __future__ import annotations

import time

from checker.symbolic.induct import param as P
from spec.napi_basic import SPEC

PROPS = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"]


def _alln(generalise: bool) -> P.AllN:
    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}
    system = SPEC.instantiate(consts)
    # 20,000 states a mining run (N = 3 reaches 122,715): the candidates only need to be plausible
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"],
                  time.perf_counter() + 600, states=20_000)
    alln.literals = 2  # too narrow for NoLostWakeup's support: its missing facts have 4 literals
    alln.generalise = generalise
    return alln


def test_houdini_alone_drops_no_lost_wakeup_with_two_literals() -> None:
    res = _alln(False).run()
    assert res.proved == ["NoDoubleQueue", "SchedMatchesList"]
    assert "counterexample to induction" in res.failed["NoLostWakeup"]
    assert "block_clauses" not in res.stats


def test_blocking_proves_no_lost_wakeup_for_every_n() -> None:
    alln = _alln(True)
    res = alln.run()
    assert res.proved == PROPS
    assert res.claim.startswith("for every N ≥ 1, RING ≥ 1, WEIGHT ≥ 1")
    blocked = [ln for ln in res.lines if ln.endswith("(CTI blocked)")]
    assert blocked and res.stats["block_kept"] == len(blocked) and res.stats["block_failed"] == 0
    # a blocking clause is wider than the mined ones and is about the instance i (∀ i)
    assert any(ln.count(" or ") >= 2 and "[i]" in ln for ln in blocked)
    # the invariant, blocking clauses included, is inductive on the grounded IR
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")
