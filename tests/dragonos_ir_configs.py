"""The DragonOS configurations whose grounded IR tests/test_dragonos_family.py pins (see that file)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from checker.config import load_config
from checker.engines import engine_names
from checker.lang.ir_digest import ir_digest
from checker.lang.system import System
from checker.spec_loader import builtin_specs
from checker.symbolic.induct.symbolic import sentinel

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = Path(__file__).resolve().parent / "data" / "dragonos_ir_digests.json"
GLOBS = ("models/dragonos/*.toml", "bench/dragonos/*.toml")
#: the data bounds bench/symbolic.py and bench/dragonos make symbolic (the DragonOS budgets included)
SYMBOLIC = ("RING", "WEIGHT", "POLL_BUDGET", "PACKET_BUDGET")


def dragonos_configs() -> list[Path]:
    return sorted(p for g in GLOBS for p in ROOT.glob(g))


def builds(path: Path) -> Iterator[tuple[str, System]]:
    """(name, system) of the configuration's grounded IR, and of its symbolic-bounds build (the
    DragonOS data bounds at their sentinels, as the induct engine builds it) when it runs induct."""
    cfg = load_config(path, builtin_specs(), engine_names())
    rel = str(path.relative_to(ROOT))
    yield rel, cfg.spec.instantiate(cfg.constants)
    if "induct" in cfg.engines:
        consts = dict(cfg.constants, **{n: sentinel(j) for j, n in enumerate(SYMBOLIC)})
        yield rel + "#sentinel", cfg.spec.instantiate(consts)


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

    try:
        return ir_digest(SPEC.instantiate(consts))
    except Exception as err:  # a refused combination must stay refused, with the same words
        return f"error {type(err).__name__}: {err}"


def digests() -> dict[str, str]:
    out = {name: ir_digest(system) for p in dragonos_configs() for name, system in builds(p)}
    out.update((name, sweep_digest(c)) for name, c in sweep())
    return out


if __name__ == "__main__":  # regenerate the pinned digests (only when the IR is meant to change)
    import json

    DIGESTS.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
