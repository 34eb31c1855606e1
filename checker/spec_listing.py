"""What ``napi-check list`` shows, derived from the specs themselves: each spec is built (cheap: no
state is explored) with its default constants and with each switch turned on, and its declared
properties — safety and temporal — are read off the built systems, so the listing cannot drift
from the specs the way a hand-kept list does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from checker.lang.system import Constant, SpecDef, System

VERSION_NAMES = ("version", "era", "release", "kernel")  # constants that choose a release of the code modelled


@dataclass
class PropertyInfo:
    name: str
    kind: str
    temporal: bool
    doc: str
    only_with: list[str] = field(default_factory=list)  # switches that add it ("disable = true"); [] = by default


def _build(spec: SpecDef, values: dict) -> System | None:
    try:
        return spec.instantiate(values)
    except Exception:  # noqa: BLE001 - a combination the spec refuses: nothing to list from it
        return None


def spec_properties(spec: SpecDef) -> list[PropertyInfo]:
    """Every property the spec declares, by default or once one of its boolean switches is on."""
    found: dict[str, PropertyInfo] = {}
    variants: list[tuple[str | None, dict]] = [(None, {})]
    variants += [(f"{c.name} = true", {c.name: True}) for c in spec.constants if c.kind is bool and c.default is False]
    for label, values in variants:
        system = _build(spec, values)
        if system is None:
            continue
        for p in system.properties + system.liveness:
            info = found.get(p.name)
            if info is None:
                info = found[p.name] = PropertyInfo(p.name, p.kind, p in system.liveness, p.doc,
                                                    [label] if label else [])
            elif label is None:
                info.only_with = []
            elif info.only_with:
                info.only_with.append(label)
    return list(found.values())


def _range(c: Constant) -> str:
    if c.choices:
        return " | ".join(c.choices)
    if c.min is not None or c.max is not None:
        return f"{'' if c.min is None else c.min}..{'' if c.max is None else c.max}"
    return ""


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def bundled_configurations(spec_name: str | None = None) -> list[tuple[Path, str]]:
    """(path, spec name) of the bundled configurations (of one spec)."""
    from checker.bundled import bundled_models
    from checker.input_errors import InputError, parse_toml, read_text_file

    root = bundled_models()
    if root is None:
        return []
    out = []
    for f in sorted(root.rglob("*.toml")):
        try:
            name = parse_toml(read_text_file(f)).get("spec")
        except InputError:
            continue
        if isinstance(name, str) and (spec_name is None or name == spec_name):
            out.append((f, name))
    return out


def print_specs(con: Console, specs: dict[str, SpecDef], broken: dict[str, str] | None = None) -> None:
    """Every spec in a few lines (and those of installed packages that fail to load, with why), then
    where the bundled configurations are."""
    from checker.bundled import bundled_models

    for name, spec in sorted(specs.items()):
        props = spec_properties(spec)
        safety = [p.name for p in props if not p.temporal]
        temporal = [p.name for p in props if p.temporal]
        origin = getattr(getattr(spec, "source", None), "module", "")
        con.print(f"{name} — {_first_line(spec.doc)}" + (f" (from {origin})" if origin else ""), markup=False,
                  highlight=False)
        con.print(f"    constants: {', '.join(c.name for c in spec.constants)}", markup=False, highlight=False)
        con.print(f"    safety: {', '.join(safety) or '-'}", markup=False, highlight=False)
        con.print(f"    temporal: {', '.join(temporal) or '-'}", markup=False, highlight=False)
        n = len(bundled_configurations(name))
        if n:
            con.print(f"    {n} bundled configuration(s)", markup=False, highlight=False)
    for name, why in sorted((broken or {}).items()):
        con.print(f"{name} — cannot load: {why}", markup=False, highlight=False)
    root = bundled_models()
    con.print(f"\n`napi-check list SPEC` for one spec in full; bundled configurations: {root or 'none'}"
              " (`napi-check verify --bundled`)", markup=False, highlight=False)


def print_spec(con: Console, spec: SpecDef, specs: dict[str, SpecDef]) -> None:
    """One spec in full: constants, versions, properties (safety, temporal), bundled configurations."""
    from checker.bundled import display_path

    out = lambda text: con.print(text, markup=False, highlight=False)  # noqa: E731
    out(f"{spec.name} — {_first_line(spec.doc)}")
    versions = [c for c in spec.constants if c.name.lower() in VERSION_NAMES and c.choices]
    others = [c for c in spec.constants if c not in versions]
    if versions:
        out("  versions:")
        for c in versions:
            out(f"    {c.name} = {' | '.join(c.choices or ())} (default {c.default!r}) {c.doc}")
    out("  constants:")
    for c in others:
        rng = _range(c)
        out(f"    {c.name} = {c.default!r} ({c.kind.__name__}{' ' + rng if rng else ''}) {c.doc}")
    props = spec_properties(spec)
    for title, temporal in (("safety properties", False), ("temporal properties (checked by default)", True)):
        chosen = [p for p in props if p.temporal == temporal]
        out(f"  {title}:" + ("" if chosen else " none"))
        for p in chosen:
            extra = f" [only with {' or '.join(p.only_with)}]" if p.only_with else ""
            out(f"    {p.name} ({p.kind}){extra}" + (f" — {_first_line(p.doc)}" if p.doc else ""))
    configs = bundled_configurations(spec.name)
    out(f"  bundled configurations ({len(configs)}):")
    for f, _ in configs:
        out(f"    {display_path(f)}")


def print_configurations(con: Console, paths: list[Path], specs: dict[str, SpecDef]) -> None:
    """The configurations under ``paths``: spec and expectation, or the first mistake in one."""
    from checker.config import ConfigError, find_configs, load_config
    from checker.engines import engine_names

    try:
        files = find_configs(paths)
    except ConfigError as err:
        con.print(f"error: {err}", markup=False)
        return
    for f in files:
        try:
            cfg = load_config(f, specs, engine_names())
        except ConfigError as err:
            con.print(f"    {f}  {err.lines()[0].split(': ', 1)[-1]}", markup=False, highlight=False)
            continue
        exp = "holds" if not cfg.expect else "violates " + ", ".join(cfg.expect)
        con.print(f"    {f}  ({cfg.spec.name}; {exp})", markup=False, highlight=False)
