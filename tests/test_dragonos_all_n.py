"""DragonOS for every number of NICs: the spec ``dragonos_family`` (the NICs as one instance family).

Built with ``N = ANY`` it must stay inside the every-N translation (checker.symbolic.induct.param_tr);
grounded at N = 2 it must have exactly the behaviours of ``dragonos`` at N = 2 with generic NICs, seen
through the renaming of the per-NIC actors ``drv0``, ``drv1`` to the family actor ``drv`` and leaving
out the scan's bookkeeping (``netns_poller.j`` against ``scanned`` / ``netns_poller.phase``). In the
configurations the family covers nothing depends on the order of the netns poller's scan (no timer is
armed without an app), so the order-free scan adds no behaviour there and the two sets are equal.
"""

from __future__ import annotations

from typing import Any

import pytest
import z3

from checker.explicit.bfs import Limits, explore
from checker.lang import ModelError
from checker.lang.family import ANY
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import System
from checker.symbolic.induct.param_tr import PTr, StepRun, head_count, transition_ivars
from checker.symbolic.induct.symbolic import sentinel
from spec.dragonos import FAMILY_SPEC, SPEC

SYMBOLIC = ["RING", "WEIGHT", "POLL_BUDGET", "PACKET_BUDGET"]
SCAN = ("netns_poller.j", "scanned", "netns_poller.phase")
#: small enough to explore whole in a second: one frame per NIC, no NoBusyLoop ghost
SMALL = {"version": "HEAD", "N": 2, "VIRTIO": 0, "RING": 1, "WEIGHT": 1, "POLL_BUDGET": 1, "PACKET_BUDGET": 1,
         "time_budget": False, "FRAMES": 1, "LOOP": 0}


def _unbounded(**more: Any) -> System:
    vals: dict[str, Any] = {"version": "HEAD", "N": ANY, **more}
    vals.update({n: sentinel(k) for k, n in enumerate(SYMBOLIC)})
    return FAMILY_SPEC.instantiate(vals)


def test_every_step_and_no_double_queue_translate_for_every_n() -> None:
    s = _unbounded()
    assert [a.name for a in s.actors] == ["napi_handler", "netns_poller", "drv"]
    tr = PTr(s, SYMBOLIC, [0, 1, 1, 1])
    x = tr.state("")
    for t in s.transitions:  # a NotInClass here fails the test
        ivs = {key: z3.Const(f"{key[1]}!{t.index}", tr.sort) for key in transition_ivars(t)}
        heads = [z3.Const(f"h{k}!{t.index}", tr.sort) for k in range(head_count(t.body))]
        StepRun(tr, x, ivs, tr.insts_of(x) + list(ivs.values()) + heads + tr.fixed, heads).run(t.body)
    # the driver's steps are one template each over the family, the scans' "next NIC" a parameter
    assert any(t.actor == "TX{i} peer egress" and transition_ivars(t) for t in s.transitions)
    assert any(t.label == "scan" and "x" in t.params for t in s.transitions)
    w = z3.Const("w", tr.sort)
    ok = StepRun(tr, x, {}, tr.insts_of(x) + tr.fixed + [w]).ev(s.prop("NoDoubleQueue").expr, 1)
    assert isinstance(ok, z3.BoolRef)
    assert "BoundedWait" in s.not_parameterised
    assert "NoLostWakeup" in s.not_parameterised  # its ∀∃ form, without the ghost count


def test_with_the_owed_ghosts_no_lost_wakeup_is_a_forall_over_nics() -> None:
    s = _unbounded(owed=True)
    assert "NoLostWakeup" not in s.not_parameterised
    tr = PTr(s, SYMBOLIC, [0, 1, 1, 1])
    x = tr.state("")
    w = z3.Const("w", tr.sort)
    assert isinstance(StepRun(tr, x, {}, tr.insts_of(x) + tr.fixed + [w]).ev(s.prop("NoLostWakeup").expr, 1),
                      z3.BoolRef)


def test_the_owed_ghosts_name_a_context_owing_the_wakeup() -> None:
    """Over the whole state space at N = 2: ``napi_wq.owe_wake`` only while some context is at
    ``wk_wake`` and ``napi_wq.owe_pcb`` only while some context is at ``wk_pcb`` (what makes the
    per-NIC NoLostWakeup imply the one over every NIC); both are used (set in some states); and the
    per-NIC NoLostWakeup holds, as does the form over every NIC. With the earlier ghost, a count of
    owing contexts, as many contexts as drivers owe at once (both here; three at N = 3, one at
    ``wk_pcb`` and two at ``wk_wake``), so an inductive invariant would need "count > m" for every m,
    which no clause over two NICs states (docs/induct.md, "Round 6")."""
    vals = {**SMALL, "owed": True}
    s = FAMILY_SPEC.instantiate(vals)
    res = explore(CompiledSystem.build(s), [s.prop("NoLostWakeup")], Limits(1_000_000, None, 60), "exact")
    assert res.stats.limit_hit is None and res.properties[0].verdict == "holds"
    seen = {"wake": 0, "pcb": 0}
    most = 0
    for st in res.reached():
        at = [a.labels.names[pc] for a in s.actors for pc in st[a.pc.value.slot]]
        for what in seen:
            if st[s.var_named(f"napi_wq.owe_{what}").slot]:
                assert f"wk_{what}" in at
                seen[what] += 1
        most = max(most, at.count("wk_wake") + at.count("wk_pcb"))
    assert seen["wake"] > 0 and seen["pcb"] > 0
    assert most == 2
    plain = FAMILY_SPEC.instantiate({**vals, "owed": False})
    res = explore(CompiledSystem.build(plain), [plain.prop("NoLostWakeup")], Limits(1_000_000, None, 60), "exact")
    assert res.stats.limit_hit is None and res.properties[0].verdict == "holds"


def test_the_family_refuses_what_it_does_not_cover() -> None:
    with pytest.raises(ModelError, match="VIRTIO"):
        FAMILY_SPEC.instantiate({"N": 2, "VIRTIO": 1})
    with pytest.raises(ModelError, match="dragonos_family"):
        SPEC.instantiate({"N": ANY, "VIRTIO": 0})


def _projected(system: System) -> set[tuple[Any, ...]]:
    """The reachable states, each as sorted ((variable, NIC or None), value) pairs: ``drv{k}.x`` and
    element k of ``drv.x`` are both ("drv.x", k); the scan's bookkeeping is left out."""
    res = explore(CompiledSystem.build(system), [system.prop("NoDoubleQueue")], Limits(400_000, None, 60), "exact")
    assert res.stats.limit_hit is None
    out = set()
    for st in res.reached():
        items = []
        for v in system.vars:
            if v.name in SCAN:
                continue
            val = st[v.slot]
            head, _, rest = v.name.partition(".")
            if head.startswith("drv") and head[3:].isdigit():
                items.append(((f"drv.{rest}", int(head[3:])), val[0]))
            elif head == "drv":
                items.extend(((v.name, k), x) for k, x in enumerate(val))
            else:
                items.append(((v.name, None), val))
        out.add(tuple(sorted(items, key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1]))))
    return out


@pytest.mark.parametrize("more", [{}, {"time_budget": True, "PACKET_BUDGET": 2}], ids=["plain", "time_budget"])
def test_grounded_at_two_nics_the_family_has_the_behaviours_of_dragonos(more: dict[str, Any]) -> None:
    vals = {**SMALL, **more}
    pinned, fam = SPEC.instantiate(vals), FAMILY_SPEC.instantiate(vals)
    a, b = _projected(pinned), _projected(fam)
    assert len(a) > 1000
    assert a == b
