"""napi-check as a user gets it: the wheel, installed into a fresh virtual environment, run in an empty folder
outside the repository on the user's own configuration and spec files, and ``replay`` of the traces it wrote.

The wheel is built once per session (``python -m build``; offline, the build falls back to the installed
setuptools). The fresh environment has no pip and no copy of the dependencies: a ``.pth`` file lends it the
test environment's site-packages (the dependencies), while napi-check itself comes only from the wheel —
``PYTHONPATH`` is cleared and the test checks where ``checker`` is imported from. Deselect with ``-m "not wheel"``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from user_specs import COUNTER, VARIANT

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
pytestmark = pytest.mark.wheel

# what the build's log says when it could not reach the package index (then the test skips, saying so)
NETWORK_SIGNS = ("Could not find a version", "No matching distribution", "Failed to establish a new connection",
                 "Temporary failure in name resolution", "Network is unreachable", "ProxyError", "ConnectionError")
# top-level entries of the checkout that are not sources (a copy of the rest is built)
NOT_SOURCE = {".git", ".venv", "build", "dist", "out", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    top = Path(folder) == ROOT
    return {n for n in names if n == "__pycache__" or n.endswith(".egg-info") or (top and n in NOT_SOURCE)}


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the checkout (the checkout gets no build/ or egg-info)."""
    if importlib.util.find_spec("build") is None:
        pytest.skip("the 'build' package is not installed (it is in the test extra: pip install '.[test]')")
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=_ignore)
    dist = work / "dist"
    logs = []
    for extra in ([], ["--no-isolation", "--skip-dependency-check"]):  # isolated needs the index; then offline
        res = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), *extra, str(src)],
                             capture_output=True, text=True, timeout=300,
                             env={**_clean_env(), "PIP_RETRIES": "1", "PIP_TIMEOUT": "15"})  # no network: fail fast
        found = sorted(dist.glob("napi_check-*.whl"))
        if res.returncode == 0 and found:
            return found[-1]
        logs.append(res.stdout + res.stderr)
    if any(sign in logs[0] for sign in NETWORK_SIGNS):
        pytest.skip("cannot build the wheel: no network to fetch the build requirements, and the offline build "
                    f"failed too ({logs[1].strip().splitlines()[-1:]})")
    pytest.fail("building the wheel failed:\n" + "\n".join(log[-3000:] for log in logs))


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its bin folder."""
    home = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True, timeout=120)
    bindir = home / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True, env=_clean_env()).stdout.strip()
    # the dependencies (z3-solver, click, rich, numpy, networkx) from the test environment, without its napi-check
    (Path(purelib) / "_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                          "-q", str(wheel)], capture_output=True, text=True, timeout=300, env=_clean_env())
    assert res.returncode == 0, res.stdout + res.stderr
    return bindir


def _clean_env() -> dict[str, str]:
    """The environment without the checkout on the import path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["COLUMNS"] = "200"
    return env


def napi_check(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "napi-check"), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=_clean_env())


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def replay_all(venv: Path, cwd: Path, out: Path) -> list[str]:
    """Replay every trace written to ``out``; return their names (each must be VALID, exit 0)."""
    names = []
    for trace in sorted(out.glob("*.itf.json")):
        res = napi_check(venv, cwd, "replay", str(trace.relative_to(cwd)))
        assert res.returncode == 0 and "VALID" in res.stdout, f"{trace.name}:\n{res.stdout}{res.stderr}"
        names.append(trace.name)
    return names


def test_installed_wheel_checks_user_specs_in_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "user project"  # a space, as users' folders have
    put(work / "specs" / "variant.py", VARIANT)
    put(work / "specs" / "ring.py", "RING = 3\n")
    put(work / "drivers" / "counter.py", COUNTER)
    put(work / "drivers" / "common.py", "TOP = 3\n")
    put(work / "variant.toml", 'spec = "specs/variant.py"\nexpect = "NoLostWakeup"\nproperties = ["NoLostWakeup"]\n'
        "[constants]\nN = 1\n")
    put(work / "counter.toml", 'spec = "drivers/counter.py"\nexpect = "Bounded"\n[constants]\nLIMIT = 1\n')

    where = subprocess.run([str(venv / "python"), "-c", "import checker, spec; print(checker.__file__, spec.__file__)"],
                           cwd=work, capture_output=True, text=True, env=_clean_env())
    assert where.returncode == 0, where.stderr
    assert all(Path(f).is_relative_to(venv.parent) for f in where.stdout.split()), where.stdout  # the wheel's copy

    res = napi_check(venv, work, "verify", "variant.toml", "counter.toml", "--out", "out")
    assert res.returncode == 0, res.stdout + res.stderr
    result = json.loads((work / "out" / "result.json").read_text())
    assert {c["spec"]: c["status"] for c in result["configurations"]} == {"unmask_variant": "pass", "counter": "pass"}
    assert replay_all(venv, work, work / "out") == ["counter.Bounded.itf.json", "variant.NoLostWakeup.itf.json"]

    # the same spec from the command line, on a configuration that does not name one
    put(work / "plain.toml", 'expect = "holds"\n[constants]\nLIMIT = 3\n')
    res = napi_check(venv, work, "verify", "--spec", "drivers/counter.py", "plain.toml", "-q")
    assert res.returncode == 0, res.stdout + res.stderr

    # a mistake in the user's file is reported at its line, not as a traceback into napi-check
    put(work / "drivers" / "counter.py", COUNTER.replace('func="drivers/net/user.c:inc", ', ""))
    res = napi_check(venv, work, "verify", "counter.toml", "-q")
    assert res.returncode == 2 and "error: drivers/counter.py:9: TypeError" in res.stderr, res.stdout + res.stderr
    assert "Traceback" not in res.stderr

    # the trace remembers its spec: moved away, replay says so in one line and exits 2
    (work / "specs").rename(work / "elsewhere")
    res = napi_check(venv, work, "replay", "out/variant.NoLostWakeup.itf.json")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "not found" in res.stderr


def _example_configs() -> list[Path]:
    """The shipped examples' configurations that name a user spec file (examples/<name>/**/*.toml)."""
    out = []
    for cfg in sorted(EXAMPLES.glob("*/**/*.toml")):
        try:
            ref = tomllib.loads(cfg.read_text()).get("spec", "")
        except (tomllib.TOMLDecodeError, OSError):
            continue
        if isinstance(ref, str) and ".py" in ref:
            out.append(cfg)
    return out


EXAMPLE_CONFIGS = [pytest.param(c, id=str(c.relative_to(EXAMPLES))) for c in _example_configs()] or [
    pytest.param(None, id="none", marks=pytest.mark.skip(reason="no example yet: examples/<name>/**/*.toml naming a "
                                                         "spec file (spec = \"....py\")"))]


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_shipped_examples_run_from_the_installed_wheel(venv: Path, tmp_path: Path, config: Path) -> None:
    """Each example folder, copied alone into an empty folder, verifies as it expects and its traces replay."""
    example = EXAMPLES / config.relative_to(EXAMPLES).parts[0]
    work = tmp_path / example.name
    shutil.copytree(example, work, ignore=shutil.ignore_patterns("__pycache__", "out"))
    rel = config.relative_to(example)
    res = napi_check(venv, work, "verify", str(rel), "--out", "out")
    assert res.returncode == 0, res.stdout + res.stderr
    replay_all(venv, work, work / "out")


def _user_package_wheel(folder: Path) -> Path:
    """A user's package ``napi_user_driver`` as a wheel registering its spec in the ``napi_check.specs`` group
    (zipped by hand: building it with a backend would need the package index)."""
    import base64
    import hashlib
    import zipfile

    dist = "napi_user_driver-1.0.dist-info"
    files = {
        "napi_user_driver/__init__.py": "",
        "napi_user_driver/common.py": "TOP = 3\n",
        "napi_user_driver/napi_spec.py": textwrap.dedent(COUNTER).lstrip().replace(
            "from common import TOP", "from napi_user_driver.common import TOP"),
        f"{dist}/METADATA": "Metadata-Version: 2.1\nName: napi-user-driver\nVersion: 1.0\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[napi_check.specs]\nuserdriver = napi_user_driver.napi_spec:SPEC\n",
        f"{dist}/top_level.txt": "napi_user_driver\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    path = folder / "napi_user_driver-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return path


def test_installed_package_registers_a_spec_by_entry_point(venv: Path, tmp_path: Path) -> None:
    whl = _user_package_wheel(tmp_path)
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "python"), "install", "--no-deps",
                          "--no-index", "-q", str(whl)], capture_output=True, text=True, timeout=300, env=_clean_env())
    assert res.returncode == 0, res.stdout + res.stderr
    work = tmp_path / "work"
    work.mkdir()
    res = napi_check(venv, work, "list")
    assert res.returncode == 0 and "userdriver" in res.stdout and "a counter up to TOP" in res.stdout, res.stdout
    put(work / "ep.toml", 'spec = "userdriver"\nexpect = "Bounded"\n[constants]\nLIMIT = 2\n')
    put(work / "mod.toml", 'spec = "napi_user_driver.napi_spec"\nexpect = "holds"\n[constants]\nLIMIT = 3\n')
    res = napi_check(venv, work, "verify", "ep.toml", "mod.toml", "--out", "out")
    assert res.returncode == 0, res.stdout + res.stderr
    meta = json.loads((work / "out" / "ep.Bounded.itf.json").read_text())["#meta"]
    assert meta["spec_source"]["kind"] == "entry_point" and meta["spec_source"]["distribution"] == "napi-user-driver 1.0"
    assert replay_all(venv, work, work / "out") == ["ep.Bounded.itf.json"]
