#!/usr/bin/env python3
"""The figures of issue 12's closing note: users' files that change the shipped kernel, and what they cost.

    python bench/closing_note.py            # a Markdown table on stdout (about ten seconds)

For each shipped historical variant of the Linux core (``spec/linux/variants/*.py``) the script copies
the variant's file to a temporary folder outside the repository, appends the two lines a user would
write (``from spec.linux import linux_spec`` and ``SPEC = linux_spec(..., variants=[apply])``), loads
it as a user's spec file and checks that it builds the very same system, step for step, as the
configuration constant that selects the variant. For the two historical races checked from users'
files (``examples/own_driver``: nps_enet 2017, hv_netvsc 2018) and the core patch
(``examples/own_patch``) it runs their configurations and reports the verdicts and state counts.

"Lines" counts the file as a user has it: all lines, and code lines (no blank line, comment or
docstring). "Shipped files changed" is measured two ways: no file of the installed package (``spec/``,
``checker/``) imports the user's file (a variant is imported only by the linux spec's constant table,
``spec/linux/__init__.py``, and era_2006 reuses prep_no_missed), and the working tree's ``spec/`` and
``checker/`` are unmodified while the user's file builds; the commit that added the file is listed with
any shipped file it also touched (history, for the record: the examples were added while the parts
mechanism was still being written).
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.lang.printer import show_stmts  # noqa: E402
from checker.spec_loader import load_file_spec  # noqa: E402

#: (constant shown, variant file, the constant's setting, the constants both builds use)
VARIANTS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("prep_no_missed", "prep_no_missed.py", {"prep_no_missed": True}, dict(N=1, CPUS=1, busy_poll=True, gro_held=True)),
    ("thread_wait_sched", "thread_wait_sched.py", {"thread_wait_sched": True},
     dict(N=1, CPUS=2, busy_poll=True, threaded=True)),
    ("double_disable", "double_disable.py", {"double_disable": True}, dict(N=1, CPUS=1)),
    ('era = "2006"', "era_2006.py", {"era": "2006"}, dict(N=2, CPUS=1, driver="ignore_false")),
]

#: (what, the user's file, its configurations)
USER_FILES: list[tuple[str, str, list[str]]] = [
    ("nps_enet: MISSED re-queue + unconditional unmask (2017)", "examples/own_driver/nps_enet.py",
     ["examples/own_driver/nps_enet_2016.toml", "examples/own_driver/nps_enet.toml"]),
    ("hv_netvsc: stall while receive completions are busy (2018)", "examples/own_driver/netvsc.py",
     ["examples/own_driver/netvsc_2017.toml", "examples/own_driver/netvsc.toml"]),
    ("core patch: arm the watchdog timer before the release", "examples/own_patch/timer_before_release.py",
     ["examples/own_patch/timer_before_release.toml"]),
]

USER_TAIL = ('\n\nfrom spec.linux import linux_spec  # noqa: E402\n\n'
             'SPEC = linux_spec("user_{name}", "{name} from a user\'s file", variants=[apply])\n')


def line_counts(text: str) -> tuple[int, int]:
    """(all lines, code lines: not blank, not a comment, not inside a docstring)."""
    lines = text.splitlines()
    doc: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            doc.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    code = sum(1 for n, ln in enumerate(lines, 1) if ln.strip() and not ln.strip().startswith("#") and n not in doc)
    return len(lines), code


def shape(system: Any) -> list[tuple]:
    return [(t.actor, t.label, t.function, t.params, show_stmts(t.body)) for t in system.transitions]


def shipped_mentions(stem: str) -> list[str]:
    """Files of the installed package (spec/, checker/) that import module ``stem``."""
    word = re.compile(rf"\b{re.escape(stem)}\b")
    hits = []
    for folder in ("spec", "checker"):
        for p in sorted((ROOT / folder).rglob("*.py")):
            if p.stem != stem and any(ln.lstrip().startswith(("from ", "import ")) and word.search(ln)
                                      for ln in p.read_text().splitlines()):
                hits.append(str(p.relative_to(ROOT)))
    return hits


def tree_clean() -> bool | None:
    """spec/ and checker/ have no uncommitted change (None: not a git checkout)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "spec", "checker"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.strip() == ""


def added_by(rel: str) -> tuple[str, list[str]]:
    """The commit that added ``rel`` and the shipped files (spec/, checker/) it also changed."""
    try:
        log = subprocess.run(["git", "log", "--diff-filter=A", "--format=%h", "--", rel], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
        if not log:
            return "", []
        names = subprocess.run(["git", "show", "--name-only", "--format=", log[-1]], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "", []
    return log[-1], [n for n in names if n.startswith(("spec/", "checker/"))]


def variant_rows(tmp: Path) -> list[dict[str, Any]]:
    """Each shipped variant as a user's file: lines, and whether it builds the constant's system."""
    from spec.linux import SPEC

    rows = []
    for shown, fname, constant, consts in VARIANTS:
        src = ROOT / "spec" / "linux" / "variants" / fname
        user = tmp / f"user_{src.stem}.py"
        user.write_text(src.read_text() + USER_TAIL.format(name=src.stem))
        by_file = load_file_spec(user).instantiate(consts)
        by_constant = SPEC.instantiate({**consts, **constant})
        total, code = line_counts(user.read_text())
        rows.append(dict(what=shown, file=f"spec/linux/variants/{fname}", lines=total, code=code,
                         identical=shape(by_file) == shape(by_constant), steps=len(by_file.transitions),
                         mentions=shipped_mentions(src.stem)))
    return rows


def verify(configs: list[str], out: Path) -> dict[str, dict[str, Any]]:
    """Run napi-check on ``configs``: per configuration, its status, violated properties and state count."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "checker.cli", "verify", *configs, "-q", "--out", str(out)], cwd=ROOT,
                   capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    res = json.loads((out / "result.json").read_text())
    return {Path(c["configuration"]).name: dict(
        status=c["status"], violated=sorted(p for p, r in c["properties"].items() if r["verdict"] == "violated"),
        states=sum(e.get("states") or 0 for e in c["engines"])) for c in res["configurations"]}


def user_file_rows(tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for what, rel, configs in USER_FILES:
        path = ROOT / rel
        total, code = line_counts(path.read_text())
        commit, touched = added_by(rel)
        rows.append(dict(what=what, file=rel, lines=total, code=code, mentions=shipped_mentions(path.stem),
                         results=verify(configs, tmp / path.stem), commit=commit, touched=touched))
    return rows


def main() -> int:
    clean_before = tree_clean()
    tmp = Path(tempfile.mkdtemp(prefix="napi-check-closing-"))
    try:
        variants = variant_rows(tmp)
        users = user_file_rows(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    clean_after = tree_clean()
    print("| shipped variant (constant) | file | lines (code) | as a user's file outside the repository | "
          "shipped files importing it |")
    print("|---|---|---|---|---|")
    for r in variants:
        same = f"same system, {r['steps']} steps" if r["identical"] else "DIFFERENT system"
        print(f"| `{r['what']}` | `{r['file']}` | {r['lines']} ({r['code']}) | {same} | "
              f"{', '.join(r['mentions']) or 'none'} |")
    print()
    print("| historical race / patch | user's file | lines (code) | configurations: verdict (states) | "
          "shipped files importing it | added in (shipped files that commit also touched) |")
    print("|---|---|---|---|---|---|")
    for r in users:
        res = "; ".join(f"`{name}` {('violates ' + ', '.join(v['violated'])) if v['violated'] else 'all hold'} "
                        f"({v['states']:,}, {v['status']})" for name, v in r["results"].items())
        print(f"| {r['what']} | `{r['file']}` | {r['lines']} ({r['code']}) | {res} | "
              f"{', '.join(r['mentions']) or 'none'} | {r['commit'] or '?'} ({', '.join(r['touched']) or 'none'}) |")
    print()
    print(f"spec/ and checker/ unmodified in the working tree before and after: {clean_before and clean_after}"
          + (" (not a git checkout)" if clean_before is None else ""))
    ok = all(r["identical"] for r in variants) and all(v["status"] == "pass" for r in users
                                                       for v in r["results"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
