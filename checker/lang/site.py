"""Where a spec declared something: the ``file:line`` of the spec's own code.

Steps, variables, properties and fairness rules record it when they are declared, so that a mistake
found after the spec's build function has returned (when :meth:`System.finish` validates the system,
or when an engine runs a step) still points at the user's line rather than at napi-check.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_LANG = str(Path(__file__).resolve().parent) + os.sep


def caller_site() -> str:
    """``file:line`` of the innermost caller outside the modelling language (checker/lang)."""
    f = sys._getframe(1)
    while f is not None and (f.f_code.co_filename.startswith(_LANG) or f.f_code.co_filename.startswith("<")):
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else ""


def code_site(fn: Any) -> str:
    """``file:line`` where function ``fn`` (a step body) is defined."""
    code = getattr(fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else ""


def shown(where: str) -> str:
    """``where`` as a user would type it: the file relative to the working folder when under it."""
    if not where:
        return ""
    path, _, line = where.rpartition(":")
    try:
        path = str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        pass
    return f"{path}:{line}"


def at(where: str) -> str:
    """`` (file:line)`` to append to a message, or nothing when unknown."""
    return f" ({shown(where)})" if where else ""


def first_at(where: str) -> str:
    """`` (first at file:line)`` for a name declared twice, or nothing when unknown."""
    return f" (first at {shown(where)})" if where else ""
