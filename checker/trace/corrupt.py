"""Checking a trace file before ``replay`` trusts it: everything the file says — JSON types, spec,
constants (within the spec's declared ranges), step keys, variable values (within their types) — is
checked, so that a damaged or hand-made file is reported as a corrupt trace (exit 2) rather than
crashing, hanging on absurd constants, or reading as an "INVALID" run.

``INVALID`` is kept for what replay is for: a well-formed trace of the spec that is not a run
ending in the violation it claims.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.input_errors import InputError, check_constant, did_you_mean, parse_json, read_text_file
from checker.lang.pycompile import CompiledSystem
from checker.lang.system import SpecDef, System
from checker.result import Trace

KINDS = ("safety", "deadlock", "lasso", "bound", "error")


class CorruptTrace(Exception):
    """The file is not a trace napi-check can replay; the message says where and why."""


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise CorruptTrace(f"{where}: {what}")


def check_shape(path: Path, specs: dict[str, SpecDef]) -> dict[str, Any]:
    """The parsed file, after checking its JSON types and constants; raises CorruptTrace."""
    try:
        data = parse_json(read_text_file(path, "trace file"))
    except InputError as err:
        raise CorruptTrace(err.message) from None
    _need(isinstance(data, dict), "top level", "must be a JSON object with #meta and states")
    meta = data.get("#meta")
    _need(isinstance(meta, dict), "#meta", "missing or not an object")
    _need(isinstance(meta.get("spec"), str), "#meta.spec", "must name the spec (a string)")
    _need(isinstance(meta.get("property"), str), "#meta.property", "must name the property (a string)")
    consts = meta.get("constants")
    _need(isinstance(consts, dict), "#meta.constants", "must be an object of constant values")
    kind = meta.get("kind", "safety")
    _need(kind in KINDS, "#meta.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    spec = specs.get(meta["spec"])
    if spec is not None:
        for name, value in consts.items():
            if isinstance(value, dict) and "#bigint" in value:
                _need(isinstance(value["#bigint"], str) and value["#bigint"].lstrip("-").isdigit(),
                      f"#meta.constants.{name}", "a #bigint must hold decimal digits")
                value = int(value["#bigint"])
            try:
                check_constant(spec, name, value)
            except KeyError:
                known = [c.name for c in spec.constants]
                raise CorruptTrace(f"#meta.constants.{name}: spec {spec.name!r} has no such constant "
                                   f"({did_you_mean(name, known, 'constants')})") from None
            except ValueError as err:
                raise CorruptTrace(f"#meta.constants.{name}: {err}") from None
    states = data.get("states")
    _need(isinstance(states, list) and len(states) > 0, "states", "must be a non-empty list")
    system = _system(spec, consts)
    for k, st in enumerate(states):
        _need(isinstance(st, dict), f"states[{k}]", "must be an object")
        m = st.get("#meta", {})
        _need(isinstance(m, dict), f"states[{k}].#meta", "must be an object")
        if k:
            _need(isinstance(m.get("step"), str), f"states[{k}].#meta.step", "must name the step (a string)")
        if system is not None:
            _check_state(system, k, st)
    loop = data.get("loop")
    _need(loop is None or (isinstance(loop, int) and not isinstance(loop, bool) and 0 <= loop < len(states)),
          "loop", f"must be the index of a state of the trace, got {loop!r}")
    for key in ("loop_step", "failing_step"):
        v = meta.get(key)
        _need(v is None or (isinstance(v, dict) and isinstance(v.get("step" if key == "loop_step" else "key"), str)),
              f"#meta.{key}", "must be an object naming a step")
    views = meta.get("views")
    _need(views is None or (isinstance(views, dict) and all(isinstance(v, str) for v in views.values())),
          "#meta.views", "must be an object of name -> expression")
    options = meta.get("options")
    _need(options is None or isinstance(options, dict), "#meta.options", "must be an object")
    return data


def _system(spec: SpecDef | None, consts: dict[str, Any]) -> System | None:
    """The trace's system, when its spec is known and its constants valid (checked above)."""
    if spec is None:
        return None
    values = {k: int(v["#bigint"]) if isinstance(v, dict) else v for k, v in consts.items()}
    try:
        return spec.instantiate(values)
    except Exception as err:  # noqa: BLE001 - the spec refuses this combination of constants
        raise CorruptTrace(f"#meta.constants: spec {spec.name!r} rejects them: {err}") from None


def _check_state(system: System, k: int, st: dict[str, Any]) -> None:
    for v in system.vars:
        _need(v.name in st, f"states[{k}]", f"lacks variable {v.name!r}")
        try:
            value = v.typ.from_json(st[v.name])
        except Exception as err:  # noqa: BLE001 - any failure to read a value is the file's fault
            raise CorruptTrace(f"states[{k}].{v.name}: not a value of its type {v.typ} ({err})") from None
        _need(v.typ.contains(value), f"states[{k}].{v.name}", f"{value!r} is not a value of its type {v.typ}")


def check_values(tr: Trace) -> None:
    """Every state's every variable within its type; raises CorruptTrace naming the first that is not."""
    for k, st in enumerate(tr.states):
        for v in tr.system.vars:
            value = st[v.slot]
            if not v.typ.contains(value):
                raise CorruptTrace(f"states[{k}].{v.name}: {value!r} is not a value of its type {v.typ}")


def load_checked(path: Path, specs: dict[str, SpecDef]) -> tuple[Trace, CompiledSystem]:
    """``replay.load_trace`` behind the checks above; any failure is a CorruptTrace, except a user's
    spec that cannot be loaded (SpecLoadError, raised as it is)."""
    from checker.lang.expr import ModelError
    from checker.trace.replay import load_trace

    from checker.spec_loader import SpecLoadError

    check_shape(path, specs)
    try:
        tr, compiled = load_trace(path, specs)
    except SpecLoadError:
        raise  # the user's spec cannot be found or built: not the trace's fault; the caller says where
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, ModelError) as err:
        raise CorruptTrace(str(err) if not isinstance(err, KeyError) else f"missing or unknown {err}") from None
    except (RecursionError, MemoryError) as err:
        raise CorruptTrace(f"cannot be read back ({type(err).__name__})") from None
    check_values(tr)
    return tr, compiled
