"""DragonOS HEAD under the invariant engine (bench/dragonos/induct_n1.toml): what the proof rests
on, checked cheaply here; the proof itself is a benchmark (~160 s of CPU, over the CI budget)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from checker.symbolic.induct.symbolic import make_symbolic
from spec import registry

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "bench/dragonos/induct_n1.toml"


def _config() -> dict:
    return tomllib.loads(CONFIG.read_text())


def test_the_proof_is_head_with_both_properties_and_every_engine_agreeing() -> None:
    cfg = _config()
    assert cfg["spec"] == "dragonos" and cfg["constants"]["version"] == "HEAD"
    assert cfg["properties"] == ["NoDoubleQueue", "NoLostWakeup"] and cfg["expect"] == "holds"
    assert cfg["engines"] == ["explicit", "induct"]
    assert "limits" not in cfg  # no time limit: a loaded machine must not turn the proof inconclusive


def test_dragonos_budgets_are_uniform_data_bounds() -> None:
    # the claim "for every RING, WEIGHT, NET_RX_POLL_BUDGET, NET_RX_PACKET_BUDGET" needs each to be
    # used as data (the IR at the sentinel, read at v, prints as the IR at v); N and VIRTIO are counts
    cfg = _config()
    spec = registry()["dragonos"]
    system = spec.instantiate(cfg["constants"])
    consts = dict(system.constants)
    wanted = cfg["options"]["induct_symbolic"]
    sym = make_symbolic(spec, consts, wanted)
    assert sym is not None and sym.names == wanted and sym.refused == {}
    assert sym.claim() == "RING ≥ 0, WEIGHT ≥ 1, POLL_BUDGET ≥ 1, PACKET_BUDGET ≥ 1"
    assert make_symbolic(spec, consts, ["N", "VIRTIO"]) is None  # counts of instances: never symbolic
