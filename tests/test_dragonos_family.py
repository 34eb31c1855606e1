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
