"""The DragonOS spec's grounded IR is pinned before it is rewritten over an instance family.

tests/data/dragonos_ir_digests.json holds the structural digest (checker.lang.ir_digest) of the IR of
every bundled DragonOS configuration (models/dragonos, bench/dragonos), of the symbolic-bounds build of
those that run the induct engine, and of a sweep of switch sets at every version, N = 1..3 and
VIRTIO = 0..N — taken before the spec's per-NIC parts were touched. Every later change to the spec
must leave each one unchanged (traces, coverage declarations and verdicts rest on it).
"""

from __future__ import annotations

import json

from checker.lang.ir_digest import ir_digest
from spec.dragonos import SPEC
from tests.dragonos_ir_configs import DIGESTS, builds, dragonos_configs, sweep, sweep_digest


def test_grounded_ir_of_every_bundled_dragonos_configuration_is_unchanged() -> None:
    pinned = json.loads(DIGESTS.read_text())
    got = {name: ir_digest(system) for p in dragonos_configs() for name, system in builds(p)}
    assert {k for k in pinned if not k.startswith("sweep ")} <= set(got)  # the pinned ones must all exist
    changed = sorted(name for name in got if name in pinned and got[name] != pinned[name])
    assert not changed, f"grounded IR changed: {changed}"


def test_grounded_ir_of_the_dragonos_switch_sweep_is_unchanged() -> None:
    pinned = json.loads(DIGESTS.read_text())
    names = dict(sweep())
    assert len(names) > 300 and set(names) <= set(pinned)
    changed = sorted(name for name, c in names.items() if sweep_digest(c) != pinned[name])
    assert not changed, f"grounded IR changed: {changed[:5]} ({len(changed)} in all)"


def test_the_dragonos_digest_sees_a_change() -> None:
    a = ir_digest(SPEC.instantiate({"N": 2, "VIRTIO": 2}))
    assert a == ir_digest(SPEC.instantiate({"N": 2, "VIRTIO": 2}))
    assert a != ir_digest(SPEC.instantiate({"N": 2, "VIRTIO": 1}))
    assert a != ir_digest(SPEC.instantiate({"N": 2, "VIRTIO": 2, "RING": 2}))


def test_the_handlers_three_list_merge_translates_under_the_counts_abstraction() -> None:
    """Blocker 5 of the family rewrite (docs/induct.md): net_rx_action's ``napi_list = active ++
    napi_list ++ repoll`` over an unbounded family is the sum of the three lists' counts and lengths."""
    import z3

    from checker.lang import Seq, System
    from checker.lang.family import ANY
    from checker.symbolic.induct.param_tr import PSeq, PTr, StepRun

    s = System("merge")
    ids = s.instances("nic", ANY)
    lists = [s.var(name, Seq(ids.id_type, ids.plus(1))) for name in ("napi_list", "active", "repoll")]
    h = s.actor("napi_handler", ["merge"])

    @h.step("merge", func="net_rx_action (napi_list = active ++ napi_list ++ repoll)")
    def _merge(t, i):  # type: ignore[no-untyped-def]
        t.set(lists[0], lists[1].concat(lists[0]).concat(lists[2]))

    s.finish()
    tr = PTr(s, [], [])
    x = tr.state("")
    merged = StepRun(tr, x, {}, []).ev(lists[1].concat(lists[0]).concat(lists[2]))
    assert isinstance(merged, PSeq)
    parts = [x[s.var_named(name).slot] for name in ("napi_list", "active", "repoll")]
    u = z3.Const("u", tr.sort)
    solver = z3.Solver()
    solver.add(z3.Not(z3.And(merged.length == sum(p.length for p in parts),
                             merged.cnt[u] == sum(p.cnt[u] for p in parts))))
    assert solver.check() == z3.unsat
