"""``options.induct_cone`` on the every-N path: only the atom templates over the cone of influence of
the properties are mined (checker.symbolic.induct.param.AllN.in_cone)."""
from __future__ import annotations

from checker.symbolic.induct import param as P
from spec.napi_basic import SPEC

PROPS = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"]


def _alln(cone: bool) -> P.AllN:
    consts = {c.name: c.default for c in SPEC.constants} | {"N": 2, "RING": 2, "WEIGHT": 1}
    system = SPEC.instantiate(consts)
    alln = P.AllN(SPEC, consts, [system.prop(p) for p in PROPS], "N", ["RING", "WEIGHT"], float("inf"))
    alln.cone = cone
    return alln


def test_the_cone_drops_the_templates_over_a_variable_no_property_depends_on() -> None:
    full = _alln(False)
    every = P.templates(full.psys) + P.structure_templates(full.psys) + P.owner_templates(full.psys)
    cut = full.in_cone(every)
    # irq.was_sched belongs to the split_test_set variant: by default no step, guard or property reads it
    gone = {a.var2 or a.var for a in every} - {a.var2 or a.var for a in cut}
    assert gone == {"irq.was_sched"}
    assert full.stats["cone_dropped"] == len(every) - len(cut) > 0


def test_the_every_n_proof_over_the_cone_proves_the_same_and_is_rechecked() -> None:
    alln = _alln(True)
    res = alln.run()
    assert res.proved == PROPS
    assert alln.stats["cone_dropped"] > 0
    assert not any("was_sched" in a.text for a in alln.atoms)
    assert not any("was_sched" in line for line in res.lines)
    alln.constants["N"] = 2
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")
