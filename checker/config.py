"""Configurations: a TOML file naming a spec, its constants, properties, limits and expected outcome.

::

    # what this checks and why (a comment at the top)
    spec = "napi_basic"
    properties = ["NoLostWakeup"]      # default: all of the spec's
    expect = "NoLostWakeup"            # "holds", a property that must be violated, or a list of them
    engines = ["explicit"]             # default: ["explicit"]
    [constants]
    N = 2
    unmask_first = true
    [limits]
    max_states = 1_000_000             # stop with "inconclusive" beyond this many distinct states
    max_depth = 200
    max_seconds = 60
    store = "exact"                    # or "fingerprint" (64-bit hashes; collision odds reported)
    symmetry = true                    # explicit engine: one state per orbit of the spec's symmetry (safety only)
    workers = 2                        # explicit engine: threads/processes expanding large frontiers
    [coverage]                         # steps left out on purpose, and why (checker.coverage)
    unfired = { "TIMER*:*" = "no watchdog timer in this configuration" }

Every mistake is reported as one :class:`ConfigError` naming the file and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.coverage import CoverageDeclarationError, parse_coverage
from checker.lang.system import SpecDef

TOP_KEYS = {"spec", "description", "properties", "expect", "engines", "constants", "limits", "views", "options",
            "coverage"}
LIMIT_KEYS = {"max_states", "max_depth", "max_seconds", "store", "query_timeout", "max_bound", "symmetry", "workers"}


class ConfigError(Exception):
    """A configuration mistake: ``path: field: message``."""

    def __init__(self, path: str | Path, fieldname: str, message: str) -> None:
        self.path = str(path)
        self.field = fieldname
        self.message = message
        super().__init__(f"{path}: {fieldname}: {message}" if fieldname else f"{path}: {message}")


@dataclass
class Config:
    path: Path
    name: str
    spec: SpecDef
    constants: dict[str, Any]
    properties: list[str] | None  # None: all of the spec's
    expect: list[str]  # [] means "holds"
    engines: list[str]
    limits: dict[str, Any]
    description: str = ""
    views: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    unfired: dict[str, str] = field(default_factory=dict)  # [coverage] unfired: step pattern -> why (checker.coverage)


def find_configs(paths: list[Path]) -> list[Path]:
    """The .toml files named, and those under the folders named, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*.toml") if x.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise ConfigError(p, "", "no such file or folder")
    return out


def _positive(path: Path, name: str, value: Any, allow_float: bool = False) -> Any:
    kinds = (int, float) if allow_float else (int,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(path, name, f"must be a {'number' if allow_float else 'whole number'}, got {value!r}")
    if value <= 0:
        raise ConfigError(path, name, f"must be positive, got {value!r}")
    return value


def check_constant(spec: SpecDef, name: str, value: Any, where: str = "constants") -> Any:
    """Validate one constant value against the spec's declaration; raises ValueError with the reason."""
    c = spec.constant(name)
    if c is None:
        known = ", ".join(x.name for x in spec.constants)
        raise KeyError(f"unknown constant {name!r} of spec {spec.name!r} (known: {known})")
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


def load_config(path: Path, specs: dict[str, SpecDef], engines: set[str]) -> Config:
    """Read and validate one configuration file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(path, "", f"not valid TOML: {err}") from None
    except OSError as err:
        raise ConfigError(path, "", f"cannot read: {err.strerror}") from None
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(path, key, f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    spec_name = data.get("spec")
    if not isinstance(spec_name, str):
        raise ConfigError(path, "spec", "missing: name the spec to check, e.g. spec = \"napi_basic\"")
    if spec_name not in specs:
        raise ConfigError(path, "spec", f"unknown spec {spec_name!r} (known: {', '.join(sorted(specs))})")
    spec = specs[spec_name]

    consts = data.get("constants", {})
    if not isinstance(consts, dict):
        raise ConfigError(path, "constants", "must be a table")
    for k, v in consts.items():
        try:
            check_constant(spec, k, v)
        except KeyError as err:
            raise ConfigError(path, f"constants.{k}", err.args[0]) from None
        except ValueError as err:
            raise ConfigError(path, f"constants.{k}", str(err)) from None

    props = data.get("properties")
    if props is not None and (not isinstance(props, list) or not all(isinstance(p, str) for p in props) or not props):
        raise ConfigError(path, "properties", "must be a non-empty list of property names")

    expect_raw = data.get("expect", "holds")
    if isinstance(expect_raw, str):
        expect = [] if expect_raw == "holds" else [expect_raw]
    elif isinstance(expect_raw, list) and expect_raw and all(isinstance(x, str) for x in expect_raw):
        expect = list(expect_raw)
    else:
        raise ConfigError(path, "expect", "must be \"holds\", a property name, or a list of property names")

    engines_raw = data.get("engines", ["explicit"])
    if isinstance(engines_raw, str):
        engines_raw = [engines_raw]
    if not isinstance(engines_raw, list) or not engines_raw:
        raise ConfigError(path, "engines", "must be a list of engine names")
    for e in engines_raw:
        if e not in engines:
            raise ConfigError(path, "engines", f"unknown engine {e!r} (known: {', '.join(sorted(engines))})")

    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise ConfigError(path, "limits", "must be a table")
    for k, v in limits.items():
        if k not in LIMIT_KEYS:
            raise ConfigError(path, f"limits.{k}", f"unknown limit (known: {', '.join(sorted(LIMIT_KEYS))})")
        if k == "store":
            if v not in ("exact", "fingerprint"):
                raise ConfigError(path, "limits.store", f"must be \"exact\" or \"fingerprint\", got {v!r}")
        elif k == "symmetry":
            if not isinstance(v, bool):
                raise ConfigError(path, "limits.symmetry", f"must be true or false, got {v!r}")
        else:
            _positive(path, f"limits.{k}", v, allow_float=k in ("max_seconds", "query_timeout"))

    views = data.get("views", {})
    if not isinstance(views, dict) or not all(isinstance(v, str) for v in views.values()):
        raise ConfigError(path, "views", "must be a table of name = \"expression\"")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(path, "options", "must be a table")
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise ConfigError(path, "description", "must be a string")
    try:
        unfired = parse_coverage(data.get("coverage", {}))
    except CoverageDeclarationError as err:
        raise ConfigError(path, err.field, err.message) from None
    return Config(path, path.stem, spec, dict(consts), props, expect, list(engines_raw), dict(limits), desc,
                  dict(views), dict(options), unfired)
