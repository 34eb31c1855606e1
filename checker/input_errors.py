"""Checks of what users hand the tool — configuration files, command-line values, trace files — that
turn every mistake into one line naming the file and the field, before any engine runs.

The rules here are the ones the configuration loader, the CLI and ``replay`` share: a file must be a
regular, readable, UTF-8 file of reasonable size (a FIFO would block, a device never ends); numbers
must be finite and within a sane range (``nan`` compares false with everything and would silently
disable a limit, ``inf`` and ``1e308`` overflow the solvers' millisecond timeouts); a misspelt name
gets the nearest valid one (:func:`did_you_mean`).
"""

from __future__ import annotations

import difflib
import math
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checker.lang.system import SpecDef

MAX_INPUT_BYTES = 16 * 2**20  # a configuration or a trace larger than this is not one we wrote
MAX_SECONDS = 366 * 24 * 3600.0  # a year: beyond, a time limit means "none" and overflows Z3's ms timeouts
MAX_COUNT = 2**62  # states, depth, bound: beyond what any run reaches
MAX_WORKERS = 1024


class InputError(Exception):
    """One mistake in a user's input: ``field`` ("" for the whole file) and what is wrong."""

    def __init__(self, fieldname: str, message: str) -> None:
        self.field = fieldname
        self.message = message
        super().__init__(f"{fieldname}: {message}" if fieldname else message)


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name nearest to ``name`` (difflib), if one is near enough."""
    close = difflib.get_close_matches(str(name), sorted({str(k) for k in known}), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str], what: str = "") -> str:
    """``"did you mean 'X'?"`` for the nearest known name, else the list of known names."""
    known = sorted({str(k) for k in known})
    close = nearest(name, known)
    if close:
        return f"did you mean {close!r}?"
    if not known:
        return f"no {what or 'names'} are known"
    listed = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
    return f"known{' ' + what if what else ''}: {listed}"


def read_text_file(path: Path, what: str = "file") -> str:
    """The text of a regular UTF-8 file; raises InputError saying why it cannot be one."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("", "no such file or folder") from None
    except OSError as err:
        raise InputError("", f"cannot read: {err.strerror or err}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("", f"is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise InputError("", f"is {kind}, not a regular file: a {what} must be a file")
    if st.st_size > MAX_INPUT_BYTES:
        raise InputError("", f"{st.st_size:,} bytes: too large for a {what} (at most {MAX_INPUT_BYTES:,})")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise InputError("", f"cannot read: {err.strerror or err}") from None
    except MemoryError:
        raise InputError("", "out of memory while reading it") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError("", f"not UTF-8 text: byte 0x{raw[err.start]:02x} on line {line}") from None


def _parse(loads: Callable[[str], Any], text: str, decode_error: type[Exception], what: str, deep: str) -> Any:
    """``loads(text)`` with every failure as one InputError: a syntax error, nesting too deep for the
    parser (RecursionError), an integer too long to convert (ValueError), memory."""
    try:
        return loads(text)
    except decode_error as err:
        raise InputError("", f"{what}: {err}") from None
    except RecursionError:
        raise InputError("", deep) from None
    except (MemoryError, ValueError) as err:
        raise InputError("", f"{what}: {type(err).__name__}: {err}") from None


def parse_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads`` with every failure as an InputError."""
    import tomllib

    return _parse(tomllib.loads, text, tomllib.TOMLDecodeError, "not valid TOML",  # type: ignore[no-any-return]
                  "not a configuration: arrays or tables nested too deeply")


def parse_json(text: str) -> Any:
    """``json.loads`` with every failure as an InputError."""
    import json

    return _parse(json.loads, text, json.JSONDecodeError, "not JSON", "not JSON we wrote: nested too deeply")


def check_number(value: Any, whole: bool, lo_exclusive: float = 0, hi: float | None = None) -> str | None:
    """Why ``value`` is not a positive finite number (whole when ``whole``) within ``hi``; None if it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float) if not whole else int):
        return f"must be a {'whole number' if whole else 'number'}, got {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    if value <= lo_exclusive:
        return f"must be positive, got {value!r}"
    if hi is not None and value > hi:
        return f"must be at most {hi:,g}, got {value!r}" if not whole else f"must be at most {hi:,}, got {value!r}"
    return None


def check_constant(spec: SpecDef, name: str, value: Any, where: str = "constants") -> Any:
    """Validate one constant value against the spec's declaration; raises ValueError with the reason."""
    c = spec.constant(name)
    if c is None:
        known = [x.name for x in spec.constants]
        raise KeyError(f"unknown constant {name!r} of spec {spec.name!r} ({did_you_mean(name, known, 'constants')})")
    if c.kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, got {value!r}")
    elif c.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, got {value!r}")
        if c.min is not None and value < c.min:
            raise ValueError(f"must be at least {c.min}, got {value}")
        if c.max is not None and value > c.max:
            raise ValueError(f"must be at most {c.max}, got {value}")
    elif c.kind is str:
        if not isinstance(value, str) or (c.choices and value not in c.choices):
            raise ValueError(f"must be one of {', '.join(c.choices or ())}, got {value!r}")
    return value


def limit_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not a valid value of limit ``name`` (the keys of config.LIMIT_KEYS); None if valid."""
    if name == "store":
        return None if value in ("exact", "fingerprint", "compact") else \
            f'must be "exact", "fingerprint" or "compact", got {value!r}'
    if name in ("symmetry", "stop_at_first_violation"):
        return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
    if name in ("max_seconds", "query_timeout", "bmc_probe_seconds"):
        return check_number(value, whole=False, hi=MAX_SECONDS)
    if name == "workers":
        return check_number(value, whole=True, hi=MAX_WORKERS)
    if name == "cluster":
        from checker.cluster.connect import cluster_problem

        return cluster_problem(value)
    return check_number(value, whole=True, hi=MAX_COUNT)


#: ``[options]`` keys the engines read (checker/liveness, the explicit engine); keys containing "seed"
#: are recorded in result.json as seeds. A new option must be added here to be accepted.
OPTION_KEYS = {"liveness", "fairness", "starvation_bound", "symmetry", "constraint", "state_constraint",
               "constraints",
               # the invariant engine's (docs/induct.md)
               "induct_symbolic", "induct_states", "induct_literals", "induct_forward", "induct_minimize",
               "induct_per_step_above", "induct_property_atoms", "induct_strengthen", "induct_instances",
               "induct_generalise", "induct_block_clauses", "induct_guard_atoms", "induct_mirror",
               "induct_block_late", "induct_cone", "induct_cti_reach", "induct_cti_states", "induct_cover",
               "induct_cover_work", "induct_small_values"}


#: the invariant engine's yes/no options, and its counts with their least value (docs/induct.md, "Running it")
INDUCT_FLAGS = {"induct_minimize", "induct_property_atoms", "induct_strengthen", "induct_generalise",
                "induct_guard_atoms", "induct_block_late", "induct_cone", "induct_cti_reach", "induct_cover",
                "induct_cover_work", "induct_small_values"}
INDUCT_COUNTS = {"induct_states": 1, "induct_literals": 1, "induct_forward": 0, "induct_per_step_above": 0,
                 "induct_block_clauses": 0, "induct_cti_states": 1}


def _induct_problem(key: str, value: Any) -> str | None:
    """Why an invariant-engine option's value has the wrong shape, or None."""
    if key in INDUCT_FLAGS and not isinstance(value, bool):
        return f"must be true or false, got {value!r}"
    if key in INDUCT_COUNTS:
        lo = INDUCT_COUNTS[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            return f"must be a whole number ≥ {lo}, got {value!r}"
        if key == "induct_literals" and value > 3:
            return f"must be 1, 2 or 3 (candidates are mined with at most three literals), got {value!r}"
    if key == "induct_mirror" and not isinstance(value, (bool, str)):
        return f"must be true, false or the name of the constant that counts the instances, got {value!r}"
    if key == "induct_symbolic" and not (value == "auto" or isinstance(value, bool)
                                         or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
        return f'must be "auto", true, false or a list of constant names, got {value!r}'
    return None


def option_problems(options: dict[str, Any]) -> list[InputError]:
    """The shape errors of ``[options]`` that need no built system."""
    out: list[InputError] = []
    for key, value in options.items():
        if "seed" in key.lower():
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(InputError(f"options.{key}", f"a seed must be a whole number, got {value!r}"))
            continue
        if key not in OPTION_KEYS:
            out.append(InputError(f"options.{key}", f"unknown option ({did_you_mean(key, OPTION_KEYS, 'options')})"))
        elif (why := _induct_problem(key, value)) is not None:
            out.append(InputError(f"options.{key}", why))
        elif key == "induct_instances" and not isinstance(value, str):
            out.append(InputError("options.induct_instances", f"must name the constant that counts the instances "
                                  f"(e.g. \"N\"), got {value!r}"))
        elif key == "starvation_bound" and not isinstance(value, bool):
            out.append(InputError("options.starvation_bound", f"must be true or false, got {value!r}"))
        elif key == "liveness" and not isinstance(value, dict):
            out.append(InputError("options.liveness", "must be a table of property name -> declaration"))
        elif key == "fairness" and not (value == "none" or isinstance(value, dict)):
            out.append(InputError("options.fairness",
                                  'must be "none" or a table of "actor[:label]" = "weak"|"strong"|"none"'))
    return out


def check_out_dir(out_dir: Path) -> str | None:
    """Why results cannot be written into ``out_dir`` — checked before a run, not found after it: the
    folder is created and a probe file written and removed. None if they can."""
    import tempfile

    if out_dir.exists() and not out_dir.is_dir():
        return "exists and is not a folder"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".napi-check-probe-"):
            pass
    except OSError as err:
        return f"cannot write there: {err.strerror or err}"
    return None
