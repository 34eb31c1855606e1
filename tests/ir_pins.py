"""What tests/linux_ir_configs.py and tests/dragonos_ir_configs.py share: the grounded IR of a
configuration (and of its symbolic-bounds build when it runs induct), a sweep build's digest, and
the pinned file's regeneration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable, Iterator

from checker.config import load_config
from checker.engines import engine_names
from checker.lang.ir_digest import ir_digest
from checker.lang.system import SpecDef, System
from checker.spec_loader import builtin_specs
from checker.symbolic.induct.symbolic import sentinel

ROOT = Path(__file__).resolve().parent.parent


def config_builds(path: Path, symbolic: Callable[[SpecDef], list[str]]) -> Iterator[tuple[str, System]]:
    """(name, system) of the configuration's grounded IR, and of its symbolic-bounds build (the
    constants ``symbolic(spec)`` names at their sentinels, as the induct engine builds it) when it
    runs the induct engine."""
    cfg = load_config(path, builtin_specs(), engine_names())
    rel = str(path.relative_to(ROOT))
    yield rel, cfg.spec.instantiate(cfg.constants)
    if "induct" in cfg.engines:
        consts = dict(cfg.constants, **{n: sentinel(j) for j, n in enumerate(symbolic(cfg.spec))})
        yield rel + "#sentinel", cfg.spec.instantiate(consts)


def build_digest(spec: SpecDef, consts: dict[str, object]) -> str:
    """The digest of one sweep build; a refused combination must stay refused, with the same words."""
    try:
        return ir_digest(spec.instantiate(consts))
    except Exception as err:
        return f"error {type(err).__name__}: {err}"


def write_digests(out: Path, configs: Iterable[Path], builds: Callable[[Path], Iterable[tuple[str, System]]],
                  sweep: Iterable[tuple[str, dict[str, object]]], spec: SpecDef) -> None:
    """Regenerate a pinned file (only when the IR is meant to change)."""
    digests = {name: ir_digest(system) for p in configs for name, system in builds(p)}
    digests.update((name, build_digest(spec, c)) for name, c in sweep)
    out.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
