"""Machine-readable results written with ``--out DIR``: result.json and one ITF file per trace."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from checker import __version__
from checker.trace.itf import write_itf
from checker.verify import Outcome

SCHEMA_VERSION = 1


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def outcome_json(o: Outcome, out_dir: Path | None) -> dict[str, Any]:
    props = {}
    for name, v in o.verdicts.items():
        entry: dict[str, Any] = {"verdict": v.verdict, "engine": v.engine, "kind": v.kind}
        if v.note:
            entry["note"] = v.note
        if v.trace is not None:
            entry["trace_length"] = len(v.trace)
            entry["replayed"] = v.replayed
            if out_dir is not None:
                fname = f"{_safe(o.config.name)}.{_safe(name)}.itf.json"
                write_itf(v.trace, out_dir / fname, {"configuration": str(o.config.path)})
                entry["trace"] = fname
        props[name] = entry
    engines = []
    for r in o.engine_results:
        s = r.stats
        engines.append({
            "engine": r.engine, "states": s.states, "transitions": s.transitions, "depth": s.depth,
            "seconds": round(s.seconds, 4), "states_per_second": round(s.states_per_second, 1),
            "peak_rss_bytes": s.peak_rss_bytes, "limit_hit": s.limit_hit, "store": s.store,
            "collision_probability": s.collision_probability, "coverage": s.coverage, "error": r.error,
        })
    return {
        "configuration": str(o.config.path), "name": o.config.name, "spec": o.config.spec.name,
        "constants": o.system.constants, "expect": o.config.expect or "holds", "status": o.status,
        "problems": o.problems, "seconds": round(o.seconds, 4), "properties": props, "engines": engines,
    }


def write_results(out_dir: Path, outcomes: list[Outcome], errors: list[str], exit_code: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": f"napi-check {__version__}",
        "command": sys.argv,
        "exit_code": exit_code,
        "configurations": [outcome_json(o, out_dir) for o in outcomes],
        "errors": errors,
    }
    (out_dir / "result.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    (out_dir / "command.txt").write_text(" ".join(sys.argv) + "\n", encoding="utf-8")
