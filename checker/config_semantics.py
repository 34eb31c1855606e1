"""The checks of a configuration that need its system built: property and expectation names, the
temporal properties and fairness rules of ``[options]``, and ``[views]`` — so that every mistake
is reported before any engine runs, all of one file's at once."""

from __future__ import annotations

from typing import Any

from checker.input_errors import did_you_mean, nearest
from checker.lang.system import System

Config = Any  # checker.config.Config; not imported: checker.config calls this module (no import cycle)


def select_properties(cfg: Config, system: System) -> list[str]:
    """The properties a run checks: the configuration's ``properties``, else every property the spec
    declares — safety and temporal — and the temporal ones of ``[options.liveness]`` (already declared
    on ``system``)."""
    if cfg.properties:
        return list(cfg.properties)
    return [p.name for p in system.properties + system.liveness]


def semantic_problems(cfg: Config) -> list[tuple[str, str]]:
    """(field, message) for each mistake found by building the configuration's system; a user's spec
    that fails to build raises its SpecLoadError."""
    from checker.lang.expr import ModelError

    from checker.spec_loader import SpecLoadError

    try:
        system = cfg.spec.instantiate(cfg.constants)
    except SpecLoadError:
        raise  # a mistake in a user's spec file: the caller points at that file and line
    except (ModelError, ValueError, KeyError, TypeError) as err:
        return [("constants", f"spec {cfg.spec.name!r} rejects these constants: {err}")]
    except (RecursionError, MemoryError) as err:
        return [("constants", f"spec {cfg.spec.name!r} cannot be built with these constants ({type(err).__name__})")]
    problems: list[tuple[str, str]] = []
    try:
        from checker.liveness.config import add_config_properties

        add_config_properties(cfg.options, system)
    except ValueError as err:
        problems.append(("options.liveness", str(err)))
    names = [p.name for p in system.properties + system.liveness]
    for p in cfg.properties or []:
        if p not in names:
            hint = did_you_mean(p, names, "properties")
            problems.append(("properties", f"spec {cfg.spec.name!r} has no property {p!r} ({hint})"))
    selected = select_properties(cfg, system)
    for p in cfg.expect:
        if p not in selected:
            close = nearest(p, selected)
            hint = f"; did you mean {close!r}?" if close else ""
            problems.append(("expect", f"{p!r} is not among the checked properties ({', '.join(selected)}{hint})"))
    if cfg.options.get("fairness") is not None:
        from checker.liveness.fairness import config_rules, fairness_groups

        try:
            fairness_groups(system, config_rules(cfg.options["fairness"]))
        except ValueError as err:
            msg = str(err)
            fieldname, _, why = msg.partition(": ") if msg.startswith("options.fairness") else ("", "", msg)
            problems.append((fieldname or "options.fairness", why))
    if cfg.views:
        from checker.trace.views import ViewError, parse_view

        for name, src in cfg.views.items():
            try:
                parse_view(src, system)
            except ViewError as err:
                problems.append((f"views.{name}", str(err)))
            except (RecursionError, MemoryError):
                problems.append((f"views.{name}", "expression nested too deeply"))
    return problems
