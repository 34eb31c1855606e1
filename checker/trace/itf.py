"""Traces as ITF JSON (the Informal Trace Format of Apalache and Quint).

Layout: ``#meta`` (format, tool, spec, constants, property, kind, engine), ``vars``
(the spec's variable names), ``states`` (each with its own ``#meta``: index, and for every
state after the first the step that produced it: actor, label, kernel function,
parameters and the step key used for replay) and, for lassos, ``loop`` (the index
of the state the last step returns to). Values: booleans as JSON booleans, integers as
``{"#bigint": "n"}``, enums as their name, flag words as ``{"#set": [bit names]}``, arrays
and sequences as lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker import __version__
from checker.lang.system import System
from checker.result import Trace

FORMAT = "ITF"
FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def state_to_json(system: System, state: tuple) -> dict[str, Any]:
    return {v.name: v.typ.to_json(state[v.slot]) for v in system.vars}


def state_from_json(system: System, data: dict[str, Any]) -> tuple:
    missing = [v.name for v in system.vars if v.name not in data]
    if missing:
        raise ValueError(f"state lacks variables {', '.join(missing)}")
    return tuple(v.typ.from_json(data[v.name]) for v in system.vars)


def trace_to_itf(trace: Trace, extra_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    system = trace.system
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format-description": FORMAT_DESCRIPTION,
        "source": f"napi-check {__version__}",
        "spec": system.spec_name,
        "constants": system.constants,
        "property": trace.property,
        "kind": trace.kind,
        "engine": trace.engine,
        "length": len(trace.steps),
    }
    if trace.failing_step is not None:
        meta["failing_step"] = {"key": trace.failing_step.key, "function": trace.failing_step.function,
                                "message": trace.message}
    meta.update(extra_meta or {})
    states = []
    for k, s in enumerate(trace.states):
        st = state_to_json(system, s)
        m: dict[str, Any] = {"index": k}
        if k > 0:
            t = trace.steps[k - 1]
            m.update(actor=t.actor, label=t.label, function=t.function, params=t.params, step=t.key)
        st["#meta"] = m
        states.append(st)
    out: dict[str, Any] = {"#meta": meta, "vars": [v.name for v in system.vars], "states": states}
    if trace.loop is not None:
        out["loop"] = trace.loop
    return out


def write_itf(trace: Trace, path: Path, extra_meta: dict[str, Any] | None = None) -> None:
    path.write_text(json.dumps(trace_to_itf(trace, extra_meta), indent=1) + "\n", encoding="utf-8")


@dataclass
class TraceFile:
    """A trace as read from disk, before it is bound to a system."""

    spec: str
    constants: dict[str, Any]
    property: str
    kind: str
    engine: str
    states: list[dict[str, Any]]
    step_keys: list[str]
    loop: int | None
    failing_step: str | None


def read_itf(path: Path) -> TraceFile:
    """Parse an ITF file written by napi-check; raises ValueError naming what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err}") from None
    if not isinstance(data, dict) or "states" not in data or "#meta" not in data:
        raise ValueError("not an ITF trace (needs #meta and states)")
    meta = data["#meta"]
    for key in ("spec", "constants", "property"):
        if key not in meta:
            raise ValueError(f"#meta lacks {key!r}: not written by napi-check?")
    states = data["states"]
    if not states:
        raise ValueError("the trace has no states")
    keys = []
    for k, st in enumerate(states[1:], 1):
        m = st.get("#meta", {})
        if "step" not in m:
            raise ValueError(f"state {k} does not name the step that produced it (#meta.step)")
        keys.append(m["step"])
    fs = meta.get("failing_step")
    return TraceFile(meta["spec"], meta["constants"], meta["property"], meta.get("kind", "safety"),
                     meta.get("engine", "?"), [{k: v for k, v in st.items() if k != "#meta"} for st in states],
                     keys, data.get("loop"), fs["key"] if fs else None)
