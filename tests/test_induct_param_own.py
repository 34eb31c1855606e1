"""Every-N CTI blocking (checker.symbolic.induct.param_block) from the witness's own atoms, and the
owner atoms ``(ctx.fact[c] and ctx.cur[c] == i)`` of per-CPU contexts (checker.symbolic.induct.param):
together they let the blocker shrink the Linux NoLostWakeup CTI for every N (bench/linux/
induct_all_n_softirq.toml); here on what is small enough for the suite."""

from __future__ import annotations

import numpy as np

from checker.explicit.bfs import Limits, explore
from checker.lang.family import ANY
from checker.lang.pycompile import CompiledSystem
from checker.symbolic.induct import param as P
from checker.symbolic.translate import Encoder, concrete_flat
from spec.linux import SPEC as LINUX
from spec.napi_basic import SPEC as BASIC
from test_induct_param_block import PROPS, _alln

SOFTIRQ = {"N": ANY, "CPUS": 1, "version": "6.19"}


def test_owner_templates_say_which_instance_a_per_cpu_context_holds() -> None:
    texts = [t.text for t in P.owner_templates(LINUX.instantiate(SOFTIRQ))]
    for fact in ("polling", "owns"):
        for w in ("i", "j"):
            assert f"(softirq.{fact}[0] and softirq.cur[0] == {w})" in texts
    # a context per instance (the IRQ handler) holds no other instance; napi_basic's net_rx_action has
    # an instance but no Bool local
    assert not any(t.startswith("(irq.") for t in texts)
    assert P.owner_templates(BASIC.instantiate({"N": ANY, "RING": 2, "WEIGHT": 1})) == []


def test_owner_atoms_grounded_as_the_conjunction() -> None:
    ts = [t for t in P.owner_templates(LINUX.instantiate(SOFTIRQ)) if t.text.startswith("(softirq.polling")]
    g2 = LINUX.instantiate(dict(SOFTIRQ, N=2, RING=2, WEIGHT=1, BUDGET=2))
    compiled = CompiledSystem.build(g2)
    # a property to check, so that the search runs (with none there is nothing to explore for)
    res = explore(compiled, [g2.prop("NoDoubleQueue")], Limits(3000, None, None), "exact")
    states = list(res.reached())
    names = Encoder(g2).state("").names
    values = np.array([concrete_flat(g2, s) for s in states], dtype=np.int64).reshape(len(states), -1)
    polling, cur = values[:, names.index("softirq.polling[0]")], values[:, names.index("softirq.cur[0]")]
    g = P.Grounder(g2, names)
    for b in P._assignments(["i", "j"], 2):
        for t in ts:
            want = (polling == 1) & (cur == b[t.who])
            assert (g.atom(t, b).column(values) == want).all()
            assert want.any() and not want.all()  # both values occur: the check is not vacuous


def test_blocking_from_the_witness_alone_gives_clauses_about_i() -> None:
    """With the cube of i's own atoms first, napi_basic's NoLostWakeup CTIs (two-literal candidates)
    are blocked by clauses every literal of which is about i (from every atom at once, net_rx_action's
    pc alone comes in: ``softirq.pc[0] == unmask``), and the proof still passes the grounded re-check."""
    alln = _alln(True)
    res = alln.run()
    assert res.proved == PROPS
    blocked = [cl for ln, cl in zip(res.lines, alln.kept) if ln.endswith("(CTI blocked)")]
    assert blocked and res.stats["block_failed"] == 0
    for cl in blocked:  # every atom of the clause (not its printed, simplified text) is about i alone
        assert all(alln.atoms[a].uses() == {"i"} for a, _ in cl), cl
    assert alln.ground_check(res.proved, 60_000, at=(2,)) == (True, "")
