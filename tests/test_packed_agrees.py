"""The fast paths of the explicit engine agree with the generic loop on every bundled model.

All derive from the same IR; this checks that the packed kernel (states packed into integers)
and, where the state fits in an int64, the numpy frontier loop give the same states,
transitions, depth, verdicts and coverage as the compiled semantics, on the first few thousand
states of every configuration in models/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import engine_names
from checker.explicit.bfs import Explorer, Limits
from checker.verify import instantiate
from spec import registry

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "models").rglob("*.toml"))
SAFETY = ("invariant", "transition", "deadlock")


@pytest.mark.parametrize("path", CONFIGS, ids=[str(p.relative_to(ROOT / "models")) for p in CONFIGS])
def test_packed_and_generic_agree(path: Path) -> None:
    cfg = load_config(path, registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in SAFETY]
    limits = [Limits(max_states=2000, vector=False), Limits(max_states=2000, handoff=0), Limits(max_states=2000, fast=False)]
    explorers = [Explorer(compiled, props, lim) for lim in limits]
    packed, vector, generic = (e.run() for e in explorers)
    assert explorers[0].engine_note == "packed kernel"  # the fast path really ran
    assert explorers[1].engine_note in ("packed kernel", "packed kernel + numpy frontiers")
    assert explorers[2].engine_note == "generic"
    for fast in (packed, vector):
        assert (fast.stats.states, fast.stats.transitions, fast.stats.depth) == (
            generic.stats.states, generic.stats.transitions, generic.stats.depth)
        assert [(p.name, p.verdict) for p in fast.properties] == [(p.name, p.verdict) for p in generic.properties]
        assert fast.stats.coverage == generic.stats.coverage


def test_numpy_loop_runs_on_the_small_bundled_models() -> None:
    # the numpy loop takes every configuration whose state fits in 62 bits (most napi_basic ones)
    used = 0
    for path in CONFIGS:
        cfg = load_config(path, registry(), engine_names())
        system, compiled = instantiate(cfg)
        props = [p for p in system.properties if p.kind in SAFETY]
        ex = Explorer(compiled, props, Limits(max_states=200, handoff=0))
        ex.run()
        used += ex.engine_note.endswith("numpy frontiers")
    assert used >= 15
