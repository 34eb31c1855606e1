"""The Linux spec over instance families: its grounded IR is pinned, and placement is IR.

tests/data/linux_ir_digests.json holds the structural digest (checker.lang.ir_digest) of the IR of
every bundled Linux configuration (models/linux, bench/linux, examples), of the symbolic-bounds build
of those that run the induct engine, and of a sweep of switch sets at N = 1..3, CPUS = 1..2 — taken
before the spec was rewritten over instance families. The rewrite must leave each one unchanged.
"""

from __future__ import annotations

import json

from checker.lang.ir_digest import ir_digest
from spec.linux import SPEC
from tests.linux_ir_configs import DIGESTS, builds, linux_configs, sweep, sweep_digest


def test_grounded_ir_of_every_bundled_linux_configuration_is_unchanged() -> None:
    pinned = json.loads(DIGESTS.read_text())
    got = {name: ir_digest(system) for p in linux_configs() for name, system in builds(p)}
    assert set(got) <= set(pinned), f"new configurations: pin them (python tests/linux_ir_configs.py): {set(got) - set(pinned)}"
    changed = sorted(name for name in got if got[name] != pinned[name])
    assert not changed, f"grounded IR changed: {changed}"


def test_grounded_ir_of_the_switch_sweep_is_unchanged() -> None:
    pinned = json.loads(DIGESTS.read_text())
    changed = sorted(name for name, c in sweep() if sweep_digest(c) != pinned[name])
    assert not changed, f"grounded IR changed: {changed[:5]} ({len(changed)} in all)"


def test_the_digest_sees_a_change() -> None:
    a = ir_digest(SPEC.instantiate({"N": 2}))
    assert a == ir_digest(SPEC.instantiate({"N": 2}))
    assert a != ir_digest(SPEC.instantiate({"N": 2, "RING": 3}))
    assert a != ir_digest(SPEC.instantiate({"N": 2, "CPUS": 1}))
