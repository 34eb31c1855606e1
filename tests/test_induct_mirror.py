"""Mirror images of clauses under a swap of two instances (checker.symbolic.induct.mirror)."""

from __future__ import annotations

from checker.symbolic.induct.engine import Setting
from checker.symbolic.induct.mirror import Mirror, mirror_for
from spec.dragonos import SPEC


def _setting(n: int):  # type: ignore[no-untyped-def]
    s = SPEC.instantiate({"N": n, "VIRTIO": 0, "POLL_BUDGET": 2, "PACKET_BUDGET": 2})
    return Setting(s, [s.prop("NoDoubleQueue"), s.prop("NoLostWakeup")])


def test_the_swap_of_two_nics_renames_their_arrays_actors_and_ids() -> None:
    st = _setting(2)
    m = Mirror(st.prob.system, list(st.x.names), st.atoms, 2)
    (perm,) = m.swaps
    text = {a.text: i for i, a in enumerate(st.atoms)}

    def img(t: str) -> str:
        return st.atoms[perm[text[t]]].text

    assert img("rx[0] == 1") == "rx[1] == 1"
    assert img("napi.state[1].MISSED") == "napi.state[0].MISSED"
    assert img("drv0.pc[0] == ns_push") == "drv1.pc[0] == ns_push"
    assert img("(drv0.pc[0] == ns_begin and drv0.tgt[0] == 0)") == "(drv1.pc[0] == ns_begin and drv1.tgt[0] == 1)"
    assert img("0 in napi_list") == "1 in napi_list"
    assert img("napi_handler.cur[0] == 1") == "napi_handler.cur[0] == 0"
    assert img("has_pending_signal") == "has_pending_signal"  # not about an instance: itself
    assert all(perm[perm[i]] == i for i in perm)  # a swap is an involution
    # a clause's image; a clause about no instance has none
    a, b = text["rx[0] == 1"], text["drv0.pc[0] == idle"]
    assert m.images(((a, False), (b, True))) == [tuple(sorted(((perm[a], False), (perm[b], True))))]
    assert m.images(((text["has_pending_signal"], True),)) == []


def test_three_nics_give_three_swaps_and_one_nic_none() -> None:
    st = _setting(3)
    m = Mirror(st.prob.system, list(st.x.names), st.atoms, 3)
    text = {a.text: i for i, a in enumerate(st.atoms)}
    got = {st.atoms[p[text["irq_pending[0]"]]].text for p in m.swaps}
    assert got == {"irq_pending[1]", "irq_pending[2]", "irq_pending[0]"}
    one = _setting(1)
    assert mirror_for(one.prob.system, list(one.x.names), one.atoms, "N") is None
