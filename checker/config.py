"""Configurations: a TOML file naming a spec, its constants, properties, limits and expected outcome.

::

    # what this checks and why (a comment at the top)
    spec = "napi_basic"                # a shipped/registered spec, a file "specs/mydriver.py" (relative to
                                       # this file), or a module "mypkg.napi_spec" (see checker.spec_loader)
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
    store = "exact"                    # or "fingerprint" (64-bit BLAKE2b fingerprints; collision odds reported),
                                       # or "compact" (exact; on the native C loop tree-compressed, ~10-20 bytes
                                       # a state, BFS levels and parents on disk; checker.explicit.native_tree)
    stop_at_first_violation = false    # true: stop at the first violation (the other properties: inconclusive)
    max_traces = 3                     # counterexamples of distinct causes per violated property (checker.cause)
    symmetry = true                    # explicit engine: one state per orbit of the spec's symmetry (safety only)
    workers = 2                        # explicit engine: threads/processes expanding large frontiers
    memory_mb = 6144                   # fingerprint store: memory for visited fingerprints before it spills
                                       # to disk (default: a quarter of the machine's, at most 8 GiB); compact
                                       # store: memory for its tables (default twice that), then inconclusive
    cluster = "local:4"                # explicit engine on Ray: "local:N", "auto", "HOST:PORT" (checker.cluster)
    [coverage]                         # steps left out on purpose, and why (checker.coverage)
    unfired = { "TIMER*:*" = "no watchdog timer in this configuration" }

Every mistake is reported as one :class:`ConfigError` naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.coverage import CoverageDeclarationError, parse_coverage
from checker.input_errors import (  # noqa: F401 - check_constant is part of this module's interface
    InputError,
    check_constant,
    did_you_mean,
    limit_problem,
    option_problems,
    parse_toml,
    read_text_file,
)
from checker.lang.system import SpecDef

TOP_KEYS = {"spec", "description", "properties", "expect", "engines", "constants", "limits", "views", "options",
            "coverage"}
LIMIT_KEYS = {"max_states", "max_depth", "max_seconds", "store", "query_timeout", "max_bound", "symmetry", "workers",
              "stop_at_first_violation", "max_traces", "cluster", "memory_mb"}


class ConfigError(Exception):
    """Configuration mistakes: ``path: field: message``, one line each (all of one file's at once)."""

    def __init__(self, path: str | Path, fieldname: str, message: str,
                 more: list[tuple[str, str]] | None = None) -> None:
        self.path = str(path)
        self.field = fieldname
        self.message = message
        self.problems: list[tuple[str, str]] = [(fieldname, message), *(more or [])]
        super().__init__("\n".join(f"{path}: {f}: {m}" if f else f"{path}: {m}" for f, m in self.problems))

    def lines(self) -> list[str]:
        """One line per problem."""
        return str(self).splitlines()


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


def find_configs(paths: list[Path], skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    """The .toml files named, and the configurations under the folders named, sorted.

    In a folder, a TOML file that is plainly not a configuration (it names no ``spec`` and none of
    a configuration's keys, e.g. a ``pyproject.toml``) is left out and recorded in ``skipped``."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for x in sorted(x for x in p.rglob("*.toml") if x.is_file()):
                why = _not_a_configuration(x)
                if why is None:
                    out.append(x)
                elif skipped is not None:
                    skipped.append((x, why))
        elif p.exists():
            out.append(p)
        else:
            raise ConfigError(p, "", "no such file or folder")
    return out


def _not_a_configuration(path: Path) -> str | None:
    """Why a TOML file found in a folder is not a configuration; None when it is (or may be: a broken one
    is reported, not skipped)."""
    try:
        data = parse_toml(read_text_file(path, "configuration"))
    except InputError:
        return None
    if "spec" in data or set(data) & (TOP_KEYS - {"description"}):
        return None
    return "no spec key: not a configuration"


def _resolve_spec(path: Path, ref: Any, specs: dict[str, SpecDef]) -> SpecDef:
    """The spec a configuration names: a shipped or registered name, a file relative to the configuration,
    or a module (see :mod:`checker.spec_loader`)."""
    from checker.spec_loader import SpecLoadError, resolve_spec

    if not isinstance(ref, str) or not ref:
        raise ConfigError(path, "spec", "missing: name the spec to check, e.g. spec = \"napi_basic\" "
                          "or spec = \"specs/mydriver.py\"" if ref is None or ref == ""
                          else f"must be a spec name or file (a string), got {ref!r}")
    try:
        return resolve_spec(ref, path.parent, specs)
    except SpecLoadError as err:
        if err.where:  # a mistake in the user's spec: point at it
            raise ConfigError(err.where, "", f"{err.message} ({err.doing or 'spec'} for {path})") from None
        raise ConfigError(path, "spec", str(err)) from None


def load_config(path: Path, specs: dict[str, SpecDef], engines: set[str], spec_override: SpecDef | None = None) -> Config:
    """Read and validate one configuration file; raises one ConfigError listing every mistake found.
    ``spec_override`` (``verify --spec``) replaces its ``spec``."""
    try:
        data = parse_toml(read_text_file(path, "configuration"))
    except InputError as err:
        raise ConfigError(path, err.field, err.message) from None
    problems: list[tuple[str, str]] = []

    def bad(fieldname: str, message: str) -> None:
        problems.append((fieldname, message))

    for key in data:
        if key not in TOP_KEYS:
            bad(key, f"unknown key ({did_you_mean(key, TOP_KEYS, 'keys')})")
    spec: SpecDef | None = spec_override
    if spec is None:
        try:
            spec = _resolve_spec(path, data.get("spec"), specs)
        except ConfigError as err:
            if err.path != str(path):  # a mistake inside the user's spec file: that file and line, alone
                raise
            bad(err.field, err.message)

    consts = data.get("constants", {})
    if not isinstance(consts, dict):
        bad("constants", "must be a table")
        consts = {}
    elif spec is not None:
        for k, v in consts.items():
            try:
                check_constant(spec, k, v)
            except KeyError as err:
                bad(f"constants.{k}", err.args[0])
            except ValueError as err:
                bad(f"constants.{k}", str(err))

    props = data.get("properties")
    if props is not None and (not isinstance(props, list) or not all(isinstance(p, str) for p in props) or not props):
        bad("properties", "must be a non-empty list of property names")
        props = None

    expect_raw = data.get("expect", "holds")
    expect: list[str] = []
    if isinstance(expect_raw, str):
        expect = [] if expect_raw == "holds" else [expect_raw]
    elif isinstance(expect_raw, list) and expect_raw and all(isinstance(x, str) for x in expect_raw):
        expect = list(expect_raw)
    else:
        bad("expect", "must be \"holds\", a property name, or a list of property names")

    engines_raw = data.get("engines", ["explicit"])
    if isinstance(engines_raw, str):
        engines_raw = [engines_raw]
    if not isinstance(engines_raw, list) or not engines_raw:
        bad("engines", "must be a list of engine names")
        engines_raw = ["explicit"]
    for e in engines_raw:
        if e not in engines:
            bad("engines", f"unknown engine {e!r} ({did_you_mean(str(e), engines, 'engines')})")

    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        bad("limits", "must be a table")
        limits = {}
    for k, v in limits.items():
        if k not in LIMIT_KEYS:
            bad(f"limits.{k}", f"unknown limit ({did_you_mean(k, LIMIT_KEYS, 'limits')})")
            continue
        why = limit_problem(k, v)
        if why:
            bad(f"limits.{k}", why)

    views = data.get("views", {})
    if not isinstance(views, dict) or not all(isinstance(v, str) for v in views.values()):
        bad("views", "must be a table of name = \"expression\"")
        views = {}
    options = data.get("options", {})
    if not isinstance(options, dict):
        bad("options", "must be a table")
        options = {}
    problems.extend((e.field, e.message) for e in option_problems(options))
    desc = data.get("description", "")
    if not isinstance(desc, str):
        bad("description", "must be a string")
    unfired: dict[str, str] = {}
    try:
        unfired = parse_coverage(data.get("coverage", {}))
    except CoverageDeclarationError as err:
        bad(err.field, err.message)
    if problems or spec is None:
        raise ConfigError(path, *problems[0], more=problems[1:])
    cfg = Config(path, path.stem, spec, dict(consts), props, expect, list(engines_raw), dict(limits),
                 desc if isinstance(desc, str) else "", dict(views), dict(options), unfired)
    from checker.config_semantics import semantic_problems  # builds the system: after the cheap checks

    from checker.spec_loader import SpecLoadError

    try:
        problems = semantic_problems(cfg)
    except SpecLoadError as err:  # a mistake in a user's spec: point at its file and line
        if err.where:
            raise ConfigError(err.where, "", f"{err.message} ({err.doing or 'spec'} for {path})") from None
        raise ConfigError(path, "spec", str(err)) from None
    if problems:
        raise ConfigError(path, *problems[0], more=problems[1:])
    return cfg
