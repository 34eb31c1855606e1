"""napi-check points at a symbolic engine when the explicit engine cannot enumerate a configuration —
only where that engine was measured to decide the spec at that size (checker/suggest.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main

ROOT = Path(__file__).resolve().parent.parent
LIMIT = "too many states to enumerate (explicit stopped at its states limit): try --engine"
HINT = f"{LIMIT} pdr for a symbolic proof"
DECIDED_BY_PDR = {"NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"}


def verify(tmp: Path, *args: str) -> tuple[int, dict[str, str]]:
    """Exit code and, per undecided property, its note (from result.json)."""
    res = CliRunner().invoke(main, ["verify", *args, "--out", str(tmp)], catch_exceptions=False)
    (cfg,) = json.loads((tmp / "result.json").read_text())["configurations"]
    return res.exit_code, {n: p.get("note", "") for n, p in cfg["properties"].items() if p["verdict"] == "inconclusive"}


def big_ring(tmp: Path, extra: str = "") -> str:
    """napi_basic with one instance and a large ring: PDR's measured case (bench/symbolic.py)."""
    p = tmp / "n1_big_ring.toml"
    p.write_text('spec = "napi_basic"\nproperties = ["NoDoubleQueue", "SchedMatchesList", "NoLostWakeup", "BoundedWait", '
                 f'"Deadlock"]\n{extra}[constants]\nN = 1\nRING = 1024\nWEIGHT = 64\n')
    return str(p)


def test_states_limit_suggests_pdr_only_where_it_decides(tmp_path: Path) -> None:
    code, lines = verify(tmp_path / "o", big_ring(tmp_path), "--max-states", "300")
    assert code == 3
    assert set(lines) == DECIDED_BY_PDR | {"BoundedWait", "Deadlock"}
    for name in DECIDED_BY_PDR:
        assert HINT in lines[name] and "measured to decide napi_basic with N=1" in lines[name], (name, lines[name])
    for name in ("BoundedWait", "Deadlock"):  # not measured for PDR: the invariant engine proves them
        assert f"{LIMIT} induct" in lines[name], (name, lines[name])


def test_induct_suggested_where_measured_and_nothing_elsewhere(tmp_path: Path) -> None:
    # N = 2: neither PDR nor k-induction finishes, the invariant engine proves it (README table)
    code, lines = verify(tmp_path / "a", str(ROOT / "models" / "napi_basic" / "n2.toml"), "--max-states", "300")
    assert code == 3 and lines
    for name in ("NoDoubleQueue", "SchedMatchesList", "NoLostWakeup", "BoundedWait", "Deadlock"):
        assert f"{LIMIT} induct for a symbolic proof (measured to prove napi_basic" in lines[name], (name, lines)
    # Linux 6.18 with two CPUs, busy polling and the watchdog: no engine measured to decide it
    code, lines = verify(tmp_path / "b", str(ROOT / "models" / "linux" / "linux618.toml"), "--max-states", "300")
    assert code == 3 and lines and not any("try --engine" in n for n in lines.values()), lines


def test_no_suggestion_of_an_engine_already_run(tmp_path: Path) -> None:
    code, lines = verify(tmp_path / "o", big_ring(tmp_path), "--max-states", "300", "--engine", "explicit,pdr",
                         "--max-seconds", "1")
    assert not any("try --engine pdr" in n for n in lines.values()), lines
    code, lines = verify(tmp_path / "p", big_ring(tmp_path), "--max-states", "300", "--engine", "explicit,pdr,induct",
                         "--max-seconds", "1")
    assert not any("try --engine" in n for n in lines.values()), lines


def test_spacer_giving_up_is_said_in_words(tmp_path: Path) -> None:
    cfg = tmp_path / "linux_pdr.toml"
    cfg.write_text('spec = "linux"\nproperties = ["NoDoubleQueue"]\nengines = ["pdr"]\n[constants]\nN = 2\n'
                   '[limits]\nquery_timeout = 1\n')
    code, lines = verify(tmp_path / "o", str(cfg), "--max-seconds", "30")
    assert code == 3
    assert "inconclusive: Spacer stopped: its time ran out" in lines["NoDoubleQueue"], lines
    assert "b'canceled'" not in lines["NoDoubleQueue"]


def test_induct_suggested_for_threaded_napi_with_one_instance_only() -> None:
    from checker.suggest import engine_for

    base = {"N": 1, "CPUS": 1, "RING": 2, "WEIGHT": 1, "BUDGET": 2, "threaded": True}
    d = engine_for("linux", base, "NoLostWakeup", ["explicit"])
    assert d is not None and d.engine == "induct" and "threaded" in d.evidence
    assert engine_for("linux", base, "NoLostWakeup", ["explicit", "induct"]) is None
    for other in ({"N": 2}, {"busy_poll": True}, {"stop_kthread": True}, {"DEFER": 1}):
        assert engine_for("linux", {**base, **other}, "NoLostWakeup", ["explicit"]) is None, other
