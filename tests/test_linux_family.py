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
    # a configuration added later is not pinned (nothing to compare with): the pinned ones must all be there
    assert {k for k in pinned if not k.startswith("sweep ")} <= set(got)
    changed = sorted(name for name in got if name in pinned and got[name] != pinned[name])
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


def _ops(e, acc: set[str]) -> set[str]:
    acc.add(e.op)
    for a in e.args:
        _ops(a, acc)
    return acc


def _body_ops(body, acc: set[str]) -> set[str]:
    from checker.lang.system import Assign, If, Let, Require

    for s in body:
        if isinstance(s, Require):
            _ops(s.cond, acc)
        elif isinstance(s, (Assign, Let)):
            _ops(s.value, acc)
        elif isinstance(s, If):
            _ops(s.cond, acc)
            _body_ops(s.then, acc)
            _body_ops(s.orelse, acc)
    return acc


def test_the_linux_spec_builds_for_every_n_with_placement_and_named_instances_as_ir() -> None:
    from checker.lang.family import ANY

    s = SPEC.instantiate({"N": ANY, "CPUS": 2, "busy_poll": True, "disable": True})
    fam = next(f for f in s.families if f.symbolic)
    assert set(fam.distinguished) == {"busy_poll_target", "disable_target"}
    assert set(fam.placements) == {"irq_cpu"}
    irq_entry = next(t for t in s.transitions if t.key == "IRQ{i}:idle")
    assert {"place", "exists"} <= _body_ops(irq_entry.body, set())  # "no other handler on irq_cpu(i) runs"
    assert "BoundedWait" in s.not_parameterised
    # grounded, the same placement is i mod CPUS and the named instances are instance 0
    from spec.linux.kernel import LinuxKernel
    from spec.linux.drivers import DRIVERS
    from types import SimpleNamespace

    vals = {c.name: c.default for c in SPEC.constants}
    kn = LinuxKernel(SimpleNamespace(**dict(vals, N=3, CPUS=2)), DRIVERS["contract"])
    assert [kn.irq_cpu(i) for i in range(3)] == [0, 1, 0]
    assert (kn.bp_target, kn.dis_target, kn.netpoll_target, kn.sysfs_target) == (0, 0, 0, 0)


def test_every_step_of_the_softirq_linux_spec_is_in_the_all_n_translation() -> None:
    import z3

    from checker.lang.family import ANY
    from checker.symbolic.induct.param_tr import PTr, StepRun, head_count, transition_ivars

    s = SPEC.instantiate({"N": ANY, "CPUS": 2, "version": "6.19"})
    tr = PTr(s, [], [])
    x = tr.state("")
    for t in s.transitions:
        ivs = {key: z3.Const(f"{key[1]}!{t.index}", tr.sort) for key in transition_ivars(t)}
        heads = [z3.Const(f"h{k}!{t.index}", tr.sort) for k in range(head_count(t.body))]
        run = StepRun(tr, x, ivs, tr.insts_of(x) + list(ivs.values()) + heads + tr.fixed, heads)
        run.run(t.body)  # raises NotInClass if a step leaves the translation
    # the placement is a function into the CPUs: some instance on each CPU is possible
    assert set(tr.places) == {"irq_cpu"}
