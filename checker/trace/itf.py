"""Traces as ITF JSON (the Informal Trace Format of Apalache and Quint).

Layout: ``#meta`` (format, tool, spec, constants, property, kind, engine), ``vars``
(the spec's variable names), ``states`` (each with its own ``#meta``: index, and for every
state after the first the step that produced it: actor, label, kernel function,
parameters and the step key used for replay) and, for lassos, ``loop`` (the index
of the state the last step returns to). Values: booleans as JSON booleans, integers as
``{"#bigint": "n"}``, enums as their name, flag words as ``{"#set": [bit names]}``, arrays
and sequences as lists.

Only the spec's variables are keys of a state, so any ITF reader (Apalache, Quint, itf-py,
the ITF trace viewer) sees a plain trace. Everything napi-check adds lives in ``#meta``:
the top-level ``#meta`` also has ``description`` (one line), ``actors`` (in order of first
appearance), ``views`` (name -> expression source, see :mod:`checker.trace.views`), for a spec from
outside the shipped package ``spec_source`` (kind ``file``/``module``/``entry_point``; ``path`` relative to
the trace file and ``absolute``, or ``module``; ``sha256`` of its source and the user ``files`` hashed:
see :mod:`checker.spec_loader`), and each
state's ``#meta`` has ``views`` (name -> value, in ITF form) when the configuration defines
views. Readers of the files napi-check writes need nothing beyond ``#meta.spec``,
``#meta.constants``, ``#meta.property`` and each state's ``#meta.step``.

Lassos follow ADR-015: ``loop`` is the index of the state that starts the loop, which ends in the
last state and continues with ``states[loop]``. napi-check's own lasso traces end with a copy of
``states[loop]``; the file leaves that copy out and records the step that returns to it in
``#meta.loop_step`` (actor, label, function, params, step key), and :func:`read_itf` puts it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker import __version__
from checker.lang.system import System
from checker.result import Trace
from checker.trace.text import trace_why

if TYPE_CHECKING:
    from checker.trace.views import View

FORMAT = "ITF"
FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


def state_to_json(system: System, state: tuple) -> dict[str, Any]:
    return {v.name: v.typ.to_json(state[v.slot]) for v in system.vars}


def state_from_json(system: System, data: dict[str, Any]) -> tuple:
    missing = [v.name for v in system.vars if v.name not in data]
    if missing:
        raise ValueError(f"state lacks variables {', '.join(missing)}")
    return tuple(v.typ.from_json(data[v.name]) for v in system.vars)


def trace_actors(trace: Trace) -> list[str]:
    """The actors taking steps in a trace, in order of first appearance."""
    out: list[str] = []
    for t in trace.steps + ([trace.failing_step] if trace.failing_step is not None else []):
        if t.actor not in out:
            out.append(t.actor)
    return out


def describe(trace: Trace) -> str:
    """One line: what the trace shows."""
    what = {"safety": "violates", "deadlock": "ends in a deadlock violating", "lasso": "loops forever violating",
            "error": "ends in a modelling error", "bound": "witnesses the bound of"}.get(trace.kind, trace.kind)
    tail = "" if trace.kind == "error" else f" {trace.property}"
    return f"{len(trace.steps)}-step run of {trace.system.spec_name} that {what}{tail}"


def verdict_line(trace: Trace) -> str:
    """What went wrong, for the end of a diagram: ``✗ <property> ...``."""
    if trace.kind == "error":
        return "✗ modelling error" + (f": {trace.message}" if trace.message else "")
    if trace.kind == "deadlock":
        return f"✗ {trace.property}: no step is enabled in the last state"
    if trace.kind == "lasso":
        if trace.loop is not None and trace.loop == len(trace.states) - 1:
            return f"✗ {trace.property} violated: the run stops here for ever"
        return f"✗ {trace.property} violated: the loop repeats forever"
    if trace.kind == "safety":
        return f"✗ {trace.property} violated in the last state"
    return f"✗ {trace.property}" + (f": {trace.message}" if trace.message else f" ({trace.kind})")


def trace_to_itf(trace: Trace, extra_meta: dict[str, Any] | None = None,
                 views: list[View] | None = None, trace_dir: Path | None = None) -> dict[str, Any]:
    """The trace as an ITF document (a dict ready for ``json.dumps``); ``trace_dir`` is the folder the
    file goes to (a user spec's file is recorded relative to it as well as absolute)."""
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
        "description": describe(trace),
        "actors": trace_actors(trace),
    }
    source = getattr(system, "spec_source", None)  # set by checker.spec_loader for specs from outside the package
    if source is not None:
        meta["spec_source"] = source.to_json(trace_dir)
    if views:
        meta["views"] = {v.name: v.source for v in views}
    if trace.failing_step is not None:
        meta["failing_step"] = {"key": trace.failing_step.key, "function": trace.failing_step.function,
                                "message": trace.message}
    why = trace_why(trace)
    if why is not None:
        meta["why"] = why.to_json()
    meta.update(extra_meta or {})
    # ADR-015: the loop runs from states[loop] to the LAST state, which is followed by states[loop]
    # again. A lasso Trace ends with a copy of states[loop]; drop the copy and keep the step that
    # closes the loop in #meta.loop_step, from which read_itf restores it.
    shown = trace.states
    if _closes_loop(trace):
        t = trace.steps[-1]
        shown = trace.states[:-1]
        meta["loop_step"] = {"actor": t.actor, "label": t.label, "function": t.function, "params": t.params,
                             "step": t.key}
    states = []
    for k, s in enumerate(shown):
        st = state_to_json(system, s)
        m: dict[str, Any] = {"index": k}
        if k > 0:
            t = trace.steps[k - 1]
            m.update(actor=t.actor, label=t.label, function=t.function, params=t.params, step=t.key)
        if views:
            m["views"] = {v.name: _view_json(v, s) for v in views}
        st["#meta"] = m
        states.append(st)
    out: dict[str, Any] = {"#meta": meta, "vars": [v.name for v in system.vars], "states": states}
    if trace.loop is not None:
        out["loop"] = trace.loop
    return out


def _closes_loop(trace: Trace) -> bool:
    loop = trace.loop
    return loop is not None and 0 <= loop < len(trace.states) - 1 and trace.states[-1] == trace.states[loop]


def _view_json(view: View, state: tuple) -> Any:
    try:
        return view.to_json(state)
    except (IndexError, TypeError, ValueError, ZeroDivisionError):
        return {"#unserializable": "undefined in this state"}


def write_itf(trace: Trace, path: Path, extra_meta: dict[str, Any] | None = None,
              views: list[View] | None = None) -> None:
    doc = trace_to_itf(trace, extra_meta, views, path.resolve().parent)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


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
    views: dict[str, str] = field(default_factory=dict)  # name -> expression source
    meta: dict[str, Any] = field(default_factory=dict)  # the whole top-level #meta


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
    loop = data.get("loop")
    closing = meta.get("loop_step")
    if closing is not None and loop is not None:
        if not isinstance(loop, int) or not 0 <= loop < len(states) or "step" not in closing:
            raise ValueError("#meta.loop_step needs a loop index inside the trace and a step key")
        states = states + [states[loop]]  # the step that closes the loop returns to states[loop]
        keys.append(closing["step"])
    fs = meta.get("failing_step")
    return TraceFile(meta["spec"], meta["constants"], meta["property"], meta.get("kind", "safety"),
                     meta.get("engine", "?"), [{k: v for k, v in st.items() if k != "#meta"} for st in states],
                     keys, loop, fs["key"] if fs else None, dict(meta.get("views") or {}), dict(meta))
