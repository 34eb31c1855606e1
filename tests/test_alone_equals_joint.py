"""A property's verdict and counterexamples do not depend on which other properties are checked.

The explicit engine expands violating states (TLC's ``-continue``), so, checked alone or with every
other property of its configuration, a property gets the same verdict and the same counterexamples
(the first is its shortest; the further ones are those of distinct causes, checker.cause). Checked,
for each property a configuration selects, against all of its spec's safety properties together,
on every bundled configuration whose state space has at most ``SMALL`` states (the others are
skipped, saying so; the search order, hence the traces, does not depend on the size).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import engine_names
from checker.explicit.bfs import Limits, explore
from checker.lang.temporal import TEMPORAL_KINDS
from checker.verify import instantiate
from spec import registry

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "models").rglob("*.toml"))
SMALL = 40_000


def _summary(pr):  # type: ignore[no-untyped-def]
    traces = [pr.trace] + pr.more_traces if pr.trace is not None else []
    return pr.verdict, [[t.key for t in tr.steps] for tr in traces]


@pytest.mark.parametrize("path", CONFIGS, ids=[str(p.relative_to(ROOT / "models")) for p in CONFIGS])
def test_each_property_alone_as_jointly(path: Path) -> None:
    cfg = load_config(path, registry(), engine_names())
    system, compiled = instantiate(cfg)
    # jointly: every safety property of the spec; alone: each one the configuration checks
    every = [p for p in system.properties if p.kind not in TEMPORAL_KINDS]
    chosen = {n for n in (cfg.properties or [p.name for p in every])}
    props = [p for p in every if p.name in chosen]
    if not props or len(every) < 2:
        pytest.skip("no other safety property to check jointly")
    joint = explore(compiled, every, Limits(max_states=SMALL))
    if joint.stats.limit_hit:
        pytest.skip(f"more than {SMALL:,} states: too large for the test suite")
    for p in props:
        alone = explore(compiled, [p], Limits())
        got = {r.name: _summary(r) for r in joint.properties}[p.name]
        assert _summary(alone.properties[0]) == got, p.name
        assert alone.stats.states <= joint.stats.states  # alone may stop earlier, never later


def test_k_induction_proves_nothing_by_assuming_a_violated_property() -> None:
    # bench_nf's bug variant violates SchedIffQueued in 4 steps; past that violation a deadlock is
    # reachable (12 steps). k-induction used to assume every checked invariant on the path and
    # "proved" Deadlock by 1-induction; the explicit engine, not expanding violating states, agreed.
    from checker.engines import EngineInput, load_engine
    from checker.lang.pycompile import CompiledSystem
    from spec.bench_nf import SPEC as NF

    c = CompiledSystem.build(NF.instantiate({"N": 2, "P": 1, "B": 1, "bug": True}))
    props = c.system.properties
    kind = load_engine("kind")(EngineInput(c.system, c, props, {"max_bound": 12}))
    explicit = explore(c, props, Limits())
    for res in (kind, explicit):
        got = {p.name: (p.verdict, len(p.trace) if p.trace else None) for p in res.properties}
        assert got["SchedIffQueued"] == ("violated", 4) and got["Deadlock"] == ("violated", 12), res.engine
        assert got["NoDoubleQueue"][0] != "violated" and got["NoLostWakeup"][0] != "violated"
    alone = load_engine("kind")(EngineInput(c.system, c, [c.system.prop("Deadlock")], {"max_bound": 12}))
    assert [(p.verdict, len(p.trace)) for p in alone.properties if p.trace] == [("violated", 12)]
