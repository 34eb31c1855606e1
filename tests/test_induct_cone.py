"""The cone of influence of the properties (checker.symbolic.induct.cone, ``induct_cone``): which
variables the candidate atoms may speak of."""

from __future__ import annotations

from checker.engines import EngineInput, load_engine
from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS
from checker.symbolic.induct.cone import cone
from checker.symbolic.induct.engine import Setting
from spec import registry
from spec.napi_basic import SPEC


def _dragonos():
    return registry()["dragonos"].instantiate({"version": "HEAD", "N": 1, "VIRTIO": 0})


def test_the_cone_leaves_out_the_ghost_counters_of_other_properties() -> None:
    system = _dragonos()
    props = [system.prop("NoDoubleQueue"), system.prop("NoLostWakeup")]
    got = cone(system, props)
    # NoBusyLoop's round counter, BoundedWait's waits, the poller's hand-over record: written, never
    # read by a guard or by anything NoLostWakeup reads
    assert not {"spin", "wait", "handed"} & got
    assert {"napi_list", "has_pending_signal", "napi_wq.registered", "napi_wq.waker", "rx"} <= got
    assert {a.pc.value.name for a in system.actors} <= got
    # a property that reads the counter has it in its cone
    assert "spin" in cone(system, [system.prop("NoBusyLoop")])
    assert "wait" in cone(system, [system.prop("BoundedWait")])


def test_the_atoms_left_out_are_exactly_those_over_variables_outside_the_cone() -> None:
    system = _dragonos()
    props = [system.prop("NoDoubleQueue"), system.prop("NoLostWakeup")]
    every = Setting(system, props)
    kept = Setting(system, props, cone=True)
    names = every.x.names
    inside = cone(system, props)

    def var_of(loc: int) -> str:
        return next(v.name for v in system.vars if names[loc] == v.name or names[loc].startswith((v.name + "[",
                                                                                                   v.name + ".")))

    left = [a for a in every.atoms if a not in kept.atoms]
    assert left and any(a.text.startswith("spin == ") for a in left)
    assert all(any(var_of(k) not in inside for k in a.reads()) for a in left)
    assert all(var_of(k) in inside for a in kept.atoms for k in a.reads())
    assert len(kept.atoms) + len(left) == len(every.atoms)


def test_napi_basic_proved_the_same_within_the_cone() -> None:
    # irq.was_sched (a record only its own assignment reads) is outside the cone: its atoms go, the
    # proof stays
    system = SPEC.instantiate({"N": 1, "RING": 2, "WEIGHT": 1})
    c = CompiledSystem.build(system)
    props = [p for p in system.properties if p.name in ("NoDoubleQueue", "NoLostWakeup")]
    assert "irq.was_sched" not in cone(system, props)
    n_atoms = []
    for on in (False, True):
        res = load_engine("induct")(EngineInput(system, c, props, {}, {"induct_cone": on, "induct_symbolic": False}))
        assert {p.verdict for p in res.properties} == {HOLDS}, [p.note for p in res.properties]
        n_atoms.append(res.properties[0].detail["stats"]["atoms"])
    assert n_atoms == [len(Setting(system, props).atoms), len(Setting(system, props, cone=True).atoms)]
    assert n_atoms[1] < n_atoms[0]
