"""The Linux configurations whose grounded IR tests/test_linux_family.py pins (see that file)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from checker.lang.system import System
from checker.symbolic.induct.symbolic import DATA_BOUNDS
from tests.ir_pins import ROOT, build_digest, config_builds, write_digests

DIGESTS = Path(__file__).resolve().parent / "data" / "linux_ir_digests.json"
GLOBS = ("models/linux/*.toml", "bench/linux/*.toml", "examples/own_driver/*.toml", "examples/own_patch/*.toml")


def linux_configs() -> list[Path]:
    return sorted(p for g in GLOBS for p in ROOT.glob(g))


def builds(path: Path) -> Iterator[tuple[str, System]]:
    """(name, system) of the configuration's grounded IR, and of its symbolic-bounds build (every data bound at
    its sentinel) when it runs the induct engine."""
    return config_builds(path, lambda spec: [c.name for c in spec.constants if c.name in DATA_BOUNDS])


#: switch sets of the sweep (each at N = 1..3, CPUS = 1..2), besides the bundled configurations
FEATURES: tuple[dict[str, object], ...] = (
    {}, {"busy_poll": True}, {"busy_poll": True, "bp_prefer": True, "BP_CPU": 0}, {"threaded": True},
    {"DEFER": 1}, {"gro_held": True, "version": "7.1"}, {"disable": True}, {"disable": True, "delete": True},
    {"netpoll": True}, {"lifecycle": True, "busy_poll": True}, {"threaded": True, "stop_kthread": True},
    {"start_kthread": True, "disable": True, "DISABLE_CPU": 0}, {"double_disable": True},
    {"prep_no_missed": True, "DEFER": 1}, {"thread_wait_sched": True, "threaded": True},
    {"era": "2006"}, {"driver": "igb"}, {"version": "6.18", "K": 1}, {"version": "6.18.34", "busy_poll": True},
)


def sweep() -> Iterator[tuple[str, dict[str, object]]]:
    for f in FEATURES:
        for n in (1, 2, 3):
            for cpus in (1, 2):
                consts = dict(f, N=n, CPUS=cpus)
                yield "sweep " + ",".join(f"{k}={v}" for k, v in sorted(consts.items())), consts


def sweep_digest(consts: dict[str, object]) -> str:
    from spec.linux import SPEC

    return build_digest(SPEC, consts)


if __name__ == "__main__":  # regenerate the pinned digests (only when the IR is meant to change)
    from spec.linux import SPEC

    write_digests(DIGESTS, linux_configs(), builds, sweep(), SPEC)
