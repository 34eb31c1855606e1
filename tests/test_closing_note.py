"""bench/closing_note.py: each shipped variant, copied outside the repository as a user's file, builds the
same system as its constant; no shipped file imports the users' example files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _note():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("closing_note", ROOT / "bench" / "closing_note.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_each_shipped_variant_as_a_users_file_builds_the_same_system(tmp_path: Path) -> None:
    rows = _note().variant_rows(tmp_path)
    assert [r["what"] for r in rows] == ["prep_no_missed", "thread_wait_sched", "double_disable", 'era = "2006"']
    for r in rows:
        assert r["identical"], r["what"]
        assert r["steps"] > 0 and 0 < r["code"] < r["lines"] <= 80
        assert "spec/linux/__init__.py" in r["mentions"]  # the constant table, and nothing else but era_2006
        assert set(r["mentions"]) <= {"spec/linux/__init__.py", "spec/linux/variants/era_2006.py"}


def test_no_shipped_file_imports_the_users_examples() -> None:
    note = _note()
    for _, rel, _ in note.USER_FILES:
        assert note.shipped_mentions(Path(rel).stem) == [], rel


def test_line_counts_leave_out_docstrings_comments_and_blank_lines() -> None:
    text = '"""doc\nstring"""\n\n# comment\nx = 1\n\n\ndef f():\n    """doc"""\n    return x\n'
    assert _note().line_counts(text) == (10, 3)
