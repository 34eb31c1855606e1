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
from checker.explicit.native import compiler
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
    limits = [Limits(max_states=2000, vector=False, native=False), Limits(max_states=2000, handoff=0, native=False),
              Limits(max_states=2000, fast=False)]
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
        ex = Explorer(compiled, props, Limits(max_states=200, handoff=0, native=False))
        ex.run()
        used += ex.engine_note.endswith("numpy frontiers")
    assert used >= 15


# The native C kernel (checker.explicit.native) on a sample of the bundled configurations: each
# spec family, wide and narrow states, holding and violated properties (every configuration
# costs a C compile, so not all of them; tests/test_explicit_fast.py covers the stopping rules).
NATIVE_SAMPLE = ["dragonos/head_fair.toml", "dragonos/mutation_no_cb_prepare.toml", "dragonos/v2_deadline_direct.toml",
                 "linux/linux618_threaded.toml", "linux/linux618_timer_window.toml", "linux/linux71_prefer_disable.toml",
                 "linux/v5_ignore_false.toml", "linux/seed_2006_netif_rx.toml", "napi_basic/n3.toml"]


@pytest.mark.skipif(compiler() is None, reason="no C compiler")
@pytest.mark.parametrize("name", NATIVE_SAMPLE)
def test_native_and_generic_agree(name: str) -> None:
    cfg = load_config(ROOT / "models" / name, registry(), engine_names())
    system, compiled = instantiate(cfg)
    props = [p for p in system.properties if p.kind in SAFETY and p.kind != "transition"]
    native, generic = (Explorer(compiled, props, lim).run() for lim in
                       (Limits(max_states=3000, vector=False, handoff=0, compile_level=0), Limits(max_states=3000, fast=False)))
    assert "native C kernel" in native.stats.loop
    assert (native.stats.states, native.stats.transitions, native.stats.depth, native.stats.coverage) == (
        generic.stats.states, generic.stats.transitions, generic.stats.depth, generic.stats.coverage)
    for a, b in zip(native.properties, generic.properties):
        assert (a.name, a.verdict) == (b.name, b.verdict)
        assert (a.trace is None) == (b.trace is None)
        if a.trace is not None:
            assert [t.key for t in a.trace.steps] == [t.key for t in b.trace.steps]  # type: ignore[union-attr]
