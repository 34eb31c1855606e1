"""napi-check points at the symbolic engines when the explicit engine cannot enumerate a configuration."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
HINT = "too many states to enumerate (explicit stopped at its states limit): try --engine"


def verify(tmp: Path, *args: str) -> tuple[int, dict[str, str]]:
    """Exit code and, per undecided property, its note (from result.json)."""
    res = CliRunner().invoke(main, ["verify", *args, "--out", str(tmp)], catch_exceptions=False)
    (cfg,) = json.loads((tmp / "result.json").read_text())["configurations"]
    return res.exit_code, {n: p.get("note", "") for n, p in cfg["properties"].items() if p["verdict"] == "inconclusive"}


def test_states_limit_suggests_induct_pdr_and_kind_for_safety_properties(tmp_path: Path) -> None:
    code, lines = verify(tmp_path, str(ROOT / "models" / "napi_basic" / "n2.toml"), "--max-states", "300")
    assert code != 0
    assert set(lines) == {"NoDoubleQueue", "SchedMatchesList", "NoLostWakeup", "BoundedWait", "Deadlock"}
    for name, line in lines.items():
        assert f"{HINT} induct (or pdr, kind) for a symbolic proof" in line, (name, line)


def test_no_suggestion_for_liveness_and_none_of_an_engine_already_run(tmp_path: Path) -> None:
    code, lines = verify(tmp_path / "a", str(ROOT / "models" / "napi_basic" / "liveness_n2.toml"), "--max-states", "200")
    assert "PacketsPolled" in lines and "NoBusyLoop" in lines
    assert "try --engine" not in lines["PacketsPolled"] and "try --engine" not in lines["NoBusyLoop"]
    assert f"{HINT} induct (or pdr, kind)" in lines["BoundedWait"]  # a starvation bound is a ghost-counter invariant
    code, lines = verify(tmp_path / "b", str(ROOT / "models" / "napi_basic" / "n2.toml"), "--max-states", "300",
                         "--engine", "explicit,pdr", "--max-seconds", "1")
    assert f"{HINT} induct (or kind) for a symbolic proof" in lines["NoDoubleQueue"]
    assert "pdr" not in lines["NoDoubleQueue"].split("try --engine")[1]
