"""Specs from outside the shipped package: user files, installed modules, entry points; traces that find them again."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.spec_loader import ENTRY_POINT_GROUP, SpecLoadError, load_file_spec
from user_specs import COUNTER, VARIANT

def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def put(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with a configuration naming a spec file relative to itself."""
    monkeypatch.chdir(tmp_path)
    put(tmp_path / "specs" / "variant.py", VARIANT)
    put(tmp_path / "specs" / "ring.py", "RING = 3\n")
    put(tmp_path / "cfg" / "variant.toml", 'spec = "../specs/variant.py"\nexpect = "NoLostWakeup"\n'
        'properties = ["NoLostWakeup"]\n[constants]\nN = 1\n')
    return tmp_path


def test_file_spec_relative_to_config_verifies_and_replays(user_dir: Path) -> None:
    code, out = run("verify", "cfg/variant.toml", "--out", "out", "-q")
    assert code == 0, out
    result = json.loads((user_dir / "out" / "result.json").read_text())
    (conf,) = result["configurations"]
    assert conf["spec"] == "unmask_variant" and conf["constants"]["RING"] == 3  # the sibling file's value
    assert conf["spec_source"]["path"] == "../specs/variant.py"  # relative to the results folder
    prop = conf["properties"]["NoLostWakeup"]
    assert prop["verdict"] == "violated" and prop["replayed"] is True
    trace = user_dir / "out" / prop["trace"]
    src = json.loads(trace.read_text())["#meta"]["spec_source"]
    assert src["kind"] == "file" and src["name"] == "unmask_variant"
    assert src["path"] == "../specs/variant.py" and src["absolute"] == str(user_dir / "specs" / "variant.py")
    assert src["files"] == ["variant.py", "ring.py"]  # the user file it imported is hashed too
    assert len(src["sha256"]) == 64
    code, out = run("replay", str(trace))
    assert code == 0 and "VALID" in out and "warning" not in out


def test_replay_warns_when_an_imported_user_file_changed(user_dir: Path) -> None:
    run("verify", "cfg/variant.toml", "--out", "out", "-q")
    trace = next((user_dir / "out").glob("*.itf.json"))
    (user_dir / "specs" / "ring.py").write_text("RING = 3  # edited\n")
    code, out = run("replay", str(trace))
    assert code == 0 and "VALID" in out
    assert "warning:" in out and "changed since the trace was written" in out


def test_replay_of_a_changed_spec_reports_the_trace_invalid(user_dir: Path) -> None:
    run("verify", "cfg/variant.toml", "--out", "out", "-q")
    trace = next((user_dir / "out").glob("*.itf.json"))
    v = user_dir / "specs" / "variant.py"
    fix = "\n\ndef fixed(k):\n    k.unmask_first = False\n    return BASIC.build(k)\n\n\nSPEC = replace(SPEC, build=fixed)\n"
    v.write_text(v.read_text() + fix)  # the user's fix: the driver now completes before unmasking
    code, out = run("replay", str(trace))
    assert "changed since the trace was written" in out
    assert code == 1 and "INVALID" in out  # the fixed spec no longer allows that run


def test_replay_of_a_moved_spec_fails_in_one_line_and_accepts_its_new_place(user_dir: Path) -> None:
    run("verify", "cfg/variant.toml", "--out", "out", "-q")
    trace = next((user_dir / "out").glob("*.itf.json"))
    (user_dir / "specs").rename(user_dir / "moved")
    code, out = run("replay", str(trace))
    assert code == 2
    (line,) = out.strip().splitlines()
    assert line.startswith("error: ") and "specs/variant.py not found" in line and "--spec" in line
    code, out = run("replay", str(trace), "--spec", "moved/variant.py")
    assert code == 0 and "VALID" in out


def test_moving_trace_and_spec_together_keeps_the_relative_path(user_dir: Path, tmp_path_factory) -> None:
    run("verify", "cfg/variant.toml", "--out", "out", "-q")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    user_dir.rename(elsewhere / "project")
    trace = next((elsewhere / "project" / "out").glob("*.itf.json"))
    code, out = run("replay", str(trace))
    assert code == 0 and "VALID" in out


def test_verify_spec_option_replaces_the_configurations_spec(user_dir: Path) -> None:
    put(user_dir / "specs" / "common.py", "TOP = 4\n")
    put(user_dir / "specs" / "counter.py", COUNTER)
    put(user_dir / "c.toml", 'expect = "Bounded"\n[constants]\nLIMIT = 2\n')  # no spec: --spec gives it
    code, out = run("verify", "--spec", "specs/counter.py", "c.toml", "--out", "out")
    assert code == 0, out
    (conf,) = json.loads((user_dir / "out" / "result.json").read_text())["configurations"]
    assert conf["spec"] == "counter" and conf["properties"]["Bounded"]["verdict"] == "violated"
    code, out = run("verify", "c.toml")
    assert code == 2 and "c.toml: spec: missing" in out


def test_two_user_specs_with_the_same_file_names_do_not_see_each_other(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for top, folder in ((2, "a"), (5, "b")):
        put(tmp_path / folder / "common.py", f"TOP = {top}\n")
        put(tmp_path / folder / "counter.py", COUNTER)
        put(tmp_path / folder / "c.toml", 'spec = "counter.py"\nexpect = "holds"\n[constants]\nLIMIT = 9\n')
    a = load_file_spec(tmp_path / "a" / "counter.py")
    b = load_file_spec(tmp_path / "b" / "counter.py")
    assert a is not b
    assert a.instantiate().vars[0].typ.hi == 2 and b.instantiate().vars[0].typ.hi == 5
    assert "common" not in sys.modules  # the siblings were not left behind for the next user spec
    code, out = run("verify", "a/c.toml", "b/c.toml", "--out", "out", "-q")
    assert code == 0, out
    states = {c["configuration"]: c["engines"][0]["states"] for c in
              json.loads((tmp_path / "out" / "result.json").read_text())["configurations"]}
    assert states == {"a/c.toml": 3, "b/c.toml": 6}  # x in 0..TOP


def test_file_with_several_specs_is_picked_by_name(tmp_path: Path) -> None:
    put(tmp_path / "common.py", "TOP = 3\n")
    body = COUNTER + 'SPECS = [SPEC, SpecDef("other", "the same", SPEC.constants, build)]\n'
    put(tmp_path / "two.py", body.replace("SPEC = SpecDef", "SPEC1 = SPEC = SpecDef"))
    with pytest.raises(SpecLoadError, match="several specs"):
        load_file_spec(tmp_path / "two.py")
    assert load_file_spec(tmp_path / "two.py", "other").name == "other"
    put(tmp_path / "c.toml", 'spec = "two.py:other"\nexpect = "holds"\n[constants]\nLIMIT = 3\n')
    code, out = run("verify", str(tmp_path / "c.toml"), "-q")
    assert code == 0, out


@pytest.mark.parametrize("body, line, message", [
    # func= forgotten: a TypeError deep in checker.lang, reported at the user's decorator
    (COUNTER.replace('func="drivers/net/user.c:inc", ', ""), 9, "TypeError: System.action() missing"),
    # a model mistake inside a step body
    (COUNTER.replace("t.set(x, x + 1)", "t.set(x, nosuch + 1)"), 12, "NameError: name 'nosuch' is not defined"),
    # a build that refuses the constants
    (COUNTER.replace("    s = System", "    assert k.LIMIT < 9, 'LIMIT too big'\n    s = System"), 6,
     "AssertionError: LIMIT too big"),
    # syntax and import errors while loading
    (COUNTER.replace("def build(k):", "def build(k)"), 5, "SyntaxError"),
    ("import nosuchmodule_xyz\n", 1, "ModuleNotFoundError: No module named 'nosuchmodule_xyz'"),
])
def test_user_spec_errors_point_at_the_users_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           body: str, line: int, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    put(tmp_path / "common.py", "TOP = 3\n")
    put(tmp_path / "mine.py", body)
    put(tmp_path / "c.toml", 'spec = "mine.py"\n[constants]\nLIMIT = 9\n')
    code, out = run("verify", "c.toml", "-q")
    assert code == 2
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert errors and errors[0].startswith(f"error: mine.py:{line}: {message}"), out
    assert "Traceback" not in out


def test_spec_file_without_spec_is_named(tmp_path: Path) -> None:
    put(tmp_path / "empty.py", "X = 1\n")
    put(tmp_path / "c.toml", 'spec = "empty.py"\n')
    code, out = run("verify", str(tmp_path / "c.toml"), "-q")
    assert code == 2 and "spec: " in out and "must export SPEC = SpecDef" in out
    put(tmp_path / "c.toml", 'spec = "empty"\n')
    code, out = run("verify", str(tmp_path / "c.toml"), "-q")
    assert code == 2 and 'did you mean the file next to the configuration, spec = "empty.py"?' in out
    put(tmp_path / "c.toml", 'spec = "nothere.py"\n')
    code, out = run("verify", str(tmp_path / "c.toml"), "-q")
    assert code == 2 and "c.toml: spec: no such spec file" in out


@pytest.fixture
def installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package ``napi_user_pkg`` on sys.path, with distribution metadata registering an entry point."""
    site = tmp_path / "site"
    put(site / "napi_user_pkg" / "__init__.py", "")
    put(site / "napi_user_pkg" / "common.py", "TOP = 3\n")
    put(site / "napi_user_pkg" / "napi_spec.py", COUNTER.replace("from common import", "from napi_user_pkg.common import"))
    dist = site / "napi_user_pkg-1.0.dist-info"
    put(dist / "METADATA", "Metadata-Version: 2.1\nName: napi-user-pkg\nVersion: 1.0\n")
    put(dist / "top_level.txt", "napi_user_pkg\n")
    put(dist / "entry_points.txt", f"[{ENTRY_POINT_GROUP}]\nusercounter = napi_user_pkg.napi_spec:SPEC\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)
    yield site
    for name in [m for m in sys.modules if m.startswith("napi_user_pkg")]:
        del sys.modules[name]


def test_module_of_an_installed_package_is_a_spec(installed_package: Path, tmp_path: Path) -> None:
    put(tmp_path / "c.toml", 'spec = "napi_user_pkg.napi_spec"\nexpect = "holds"\n[constants]\nLIMIT = 3\n')
    code, out = run("verify", "c.toml", "--out", "out", "-q")
    assert code == 0, out
    put(tmp_path / "v.toml", 'spec = "napi_user_pkg.napi_spec"\nexpect = "Bounded"\n[constants]\nLIMIT = 1\n')
    code, out = run("verify", "v.toml", "--out", "out", "-q")
    assert code == 0, out
    trace = tmp_path / "out" / "v.Bounded.itf.json"
    src = json.loads(trace.read_text())["#meta"]["spec_source"]
    assert src["kind"] == "module" and src["module"] == "napi_user_pkg.napi_spec"
    assert src["files"] == ["napi_spec.py", "__init__.py", "common.py"]  # the package's modules loaded
    assert src["distribution"] == "napi-user-pkg 1.0"
    code, out = run("replay", str(trace))
    assert code == 0 and "VALID" in out


def test_entry_point_specs_are_listed_and_named_by_configurations(installed_package: Path, tmp_path: Path) -> None:
    code, out = run("list")
    assert code == 0 and "usercounter" in out and "a counter up to TOP" in out
    put(tmp_path / "v.toml", 'spec = "usercounter"\nexpect = "Bounded"\n[constants]\nLIMIT = 2\n')
    code, out = run("verify", "v.toml", "--out", "out", "-q")
    assert code == 0, out
    trace = tmp_path / "out" / "v.Bounded.itf.json"
    meta = json.loads(trace.read_text())["#meta"]
    assert meta["spec"] == "counter" and meta["spec_source"]["kind"] == "entry_point"
    assert meta["spec_source"]["distribution"] == "napi-user-pkg 1.0"
    code, out = run("replay", str(trace))
    assert code == 0 and "VALID" in out


def test_a_broken_entry_point_does_not_break_list(installed_package: Path) -> None:
    ep = installed_package / "napi_user_pkg-1.0.dist-info" / "entry_points.txt"
    ep.write_text(ep.read_text() + "broken = napi_user_pkg.nosuch:SPEC\n")
    code, out = run("list")
    assert code == 0 and "usercounter" in out
    assert "broken" in out and "cannot load" in out


def test_shipped_spec_traces_record_no_source(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    run("verify", str(root / "models" / "napi_basic" / "unmask_first.toml"), "--out", str(tmp_path), "-q")
    meta = json.loads(next(tmp_path.glob("*.itf.json")).read_text())["#meta"]
    assert meta["spec"] == "napi_basic" and "spec_source" not in meta


def test_the_variant_in_the_language_docs_works_as_a_user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text()
    code = re.search(r"```python\n(# specs/unmask_first.py.*?)```", doc, re.S).group(1)  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path)
    put(tmp_path / "specs" / "unmask_first.py", code)
    put(tmp_path / "u.toml", 'spec = "specs/unmask_first.py"\nexpect = "NoLostWakeup"\nproperties = ["NoLostWakeup"]\n'
        '[constants]\nN = 1\n')
    rc, out = run("verify", "u.toml", "-q", "--out", "out")
    assert rc == 0, out
    (conf,) = json.loads((tmp_path / "out" / "result.json").read_text())["configurations"]
    assert conf["spec"] == "my_unmask_first" and conf["properties"]["NoLostWakeup"]["verdict"] == "violated"


def test_error_inside_an_installed_package_spec_points_at_its_file(installed_package: Path, tmp_path: Path) -> None:
    put(installed_package / "napi_user_pkg" / "broken.py", "from napi_user_pkg.common import TOP\nX = TOP / 0\n")
    put(tmp_path / "c.toml", 'spec = "napi_user_pkg.broken"\n')
    code, out = run("verify", "c.toml", "-q")
    assert code == 2 and "napi_user_pkg/broken.py:2: ZeroDivisionError: division by zero" in out, out


def test_user_files_imported_from_another_folder_are_hashed_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    put(shared / "napi_shared_top.py", "TOP = 2\n")
    monkeypatch.syspath_prepend(str(shared))
    put(tmp_path / "proj" / "counter.py", COUNTER.replace("from common import TOP", "from napi_shared_top import TOP"))
    spec = load_file_spec(tmp_path / "proj" / "counter.py")
    assert spec.source is not None
    assert spec.source.to_json()["files"] == ["counter.py", "../shared/napi_shared_top.py"]
    sys.modules.pop("napi_shared_top", None)


def test_a_malformed_spec_source_is_one_line(user_dir: Path) -> None:
    run("verify", "cfg/variant.toml", "--out", "out", "-q")
    trace = next((user_dir / "out").glob("*.itf.json"))
    data = json.loads(trace.read_text())
    data["#meta"]["spec_source"]["absolute"] = 5
    data["#meta"]["spec_source"]["path"] = ["x"]
    trace.write_text(json.dumps(data))
    code, out = run("replay", str(trace))
    assert code == 2 and out.strip().splitlines() == [f"error: {trace}: #meta.spec_source: malformed (kind, path, "
                                                      "absolute, module, sha256 must be strings)"]


def test_a_step_that_fails_at_run_time_names_its_line_in_the_users_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A modelling error found by an engine (a value out of its type) names the user's step by file:line."""
    monkeypatch.chdir(tmp_path)
    put(tmp_path / "over.py", '''
        from checker.lang import Int, SpecDef, System


        def build(k):
            s = System("over")
            x = s.var("x", Int(0, 2))

            @s.action("inc", func="drivers/net/over.c:inc", actor="CTX")
            def _(t):
                t.set(x, x + 1)

            s.invariant("Small", x <= 2)
            return s


        SPEC = SpecDef("over", "", [], build, ("Small",))
    ''')
    put(tmp_path / "over.toml", 'spec = "over.py"\n')
    code, out = run("verify", "over.toml")
    assert code == 1
    assert "modelling error in step CTX:inc [drivers/net/over.c:inc] (over.py:8): x = 3 leaves 0..2" in out
