"""The liveness state graph built on the packed kernel is the generic one, node for node and edge for edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.config import load_config
from checker.engines import engine_names
from checker.liveness import graph as G
from checker.verify import instantiate
from spec import registry

ROOT = Path(__file__).resolve().parents[1]
FIELDS = ("parent", "via", "depth", "fired", "n_edges", "limit_hit", "succ")


@pytest.mark.parametrize("name", ["linux/liveness_double_disable", "dragonos/head_rx_cycle", "napi_basic/liveness_n2",
                                  "linux/bounded_wait_k1"])
@pytest.mark.parametrize("limits", [{}, {"max_states": 300}, {"max_depth": 6}], ids=["whole", "states", "depth"])
def test_packed_graph_is_the_generic_graph(name: str, limits: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(G, "HANDOFF", 0)  # the packed kernel from the initial state on
    cfg = load_config(ROOT / "models" / f"{name}.toml", registry(), engine_names())
    _, compiled = instantiate(cfg)
    generic = G._build_generic(compiled, limits)[0]
    packed = G.build_graph(compiled, limits)
    assert isinstance(packed.states, G.PackedStates)  # the fast path was taken
    assert list(packed.states) == generic.states
    for f in FIELDS:
        assert getattr(packed, f) == getattr(generic, f), f
    if limits:
        assert packed.limit_hit is not None
    else:
        assert packed.complete and len(packed.states) > 1000


def test_ghost_counters_are_projected_away(monkeypatch: pytest.MonkeyPatch) -> None:
    """napi_basic's starvation counter: two states differing only in it are one node."""
    monkeypatch.setattr(G, "HANDOFF", 0)
    cfg = load_config(ROOT / "models" / "napi_basic" / "liveness_n2.toml", registry(), engine_names())
    system, compiled = instantiate(cfg)
    assert G.ghost_slots(system)
    g = G.build_graph(compiled)
    slot = G.ghost_slots(system)[0]
    projected = {s[:slot] + s[slot + 1:] for s in g.states}
    assert len(projected) == len(g.states)
    partial = g.partial({0})
    assert partial[5][0] == g.states[5][0] and all(v is None for v in partial[5][1:])


@pytest.mark.parametrize("handoff", [0, 1, 700])
def test_handoff_to_the_kernel_at_any_node(handoff: int, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(ROOT / "models" / "linux" / "bounded_wait_k1.toml", registry(), engine_names())
    _, compiled = instantiate(cfg)
    generic = G._build_generic(compiled)[0]
    monkeypatch.setattr(G, "HANDOFF", handoff)
    packed = G.build_graph(compiled)
    assert isinstance(packed.states, G.PackedStates)
    assert list(packed.states) == generic.states
    for f in FIELDS:
        assert getattr(packed, f) == getattr(generic, f), f
