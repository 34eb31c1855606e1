"""The DragonOS configurations whose grounded IR tests/test_dragonos_family.py pins (see that file)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from checker.lang.system import System
from tests.ir_pins import ROOT, build_digest, config_builds, write_digests

DIGESTS = Path(__file__).resolve().parent / "data" / "dragonos_ir_digests.json"
GLOBS = ("models/dragonos/*.toml", "bench/dragonos/*.toml")
#: the data bounds bench/symbolic.py and bench/dragonos make symbolic (the DragonOS budgets included)
SYMBOLIC = ("RING", "WEIGHT", "POLL_BUDGET", "PACKET_BUDGET")


def dragonos_configs() -> list[Path]:
    return sorted(p for g in GLOBS for p in ROOT.glob(g))


def builds(path: Path) -> Iterator[tuple[str, System]]:
    """(name, system) of the configuration's grounded IR, and of its symbolic-bounds build (the DragonOS data bounds at
    its sentinel) when it runs the induct engine."""
    return config_builds(path, lambda spec: list(SYMBOLIC))


#: switch sets of the sweep (each at every version, N = 1..3 and VIRTIO = 0..N)
FEATURES: tuple[dict[str, object], ...] = (
    {}, {"IMM": 1, "SENDS": 2}, {"T": 2, "IMM": 1}, {"T": 2, "IMM": 1, "wake_latency": True}, {"updown": True},
    {"direct_poll": True, "T": 1}, {"FRAMES": 2, "time_budget": False}, {"mutation": "no_cb_prepare"},
    {"K": 1, "LOOP": 0, "QCAP": 2},
)
VERSIONS = ("V0", "V1", "V1.2", "V2", "HEAD")


def sweep() -> Iterator[tuple[str, dict[str, object]]]:
    for f in FEATURES:
        for version in VERSIONS:
            for n in (1, 2, 3):
                for virtio in range(n + 1):
                    consts = dict(f, version=version, N=n, VIRTIO=virtio)
                    yield "sweep " + ",".join(f"{k}={v}" for k, v in sorted(consts.items())), consts


def sweep_digest(consts: dict[str, object]) -> str:
    from spec.dragonos import SPEC

    return build_digest(SPEC, consts)


if __name__ == "__main__":  # regenerate the pinned digests (only when the IR is meant to change)
    from spec.dragonos import SPEC

    write_digests(DIGESTS, dragonos_configs(), builds, sweep(), SPEC)
