"""What ``--out DIR`` writes: the machine-readable results of a run and every view of every trace.

* ``result.json`` — schema-versioned (``schema_version``); per configuration the verdicts,
  statistics per engine, seeds, the views; tool version, command line, exit code, summary.
* ``junit.xml`` — one test case per configuration × property (:mod:`checker.trace.junit`).
* ``report.html`` — one self-contained page (:mod:`checker.trace.html`).
* per counterexample ``<config>.<property>.itf.json`` (the canonical trace, replayable with
  ``napi-check replay``), ``.mmd`` (Mermaid), ``.dot`` (Graphviz) and, for configurations of at
  most :data:`GRAPH_STATES` states, ``.graph.dot`` (the state graph with the path in red).
* ``command.txt`` — the exact command line.

Schema: ``schema_version`` changes only when a field is removed or changes meaning; fields are
added within a version (readers ignore what they do not know). Version 1 has, besides the
first fields (configurations with verdicts, engines' statistics, traces, errors, exit code):
``tool_version``, ``python``, ``generated``, ``command_line``, ``cwd``, ``summary``, ``files``; per
configuration ``description``, ``engines_requested``, ``limits``, ``seeds`` (the configuration's
``*seed*`` options; the explicit engine is deterministic and has none), ``views``; per property
``expected``, ``met``, ``doc``, ``seconds``, ``files``, ``actors``, ``context_switches``, ``more_traces``
(further counterexamples of distinct causes: ``trace_length``, ``cause``, ``trace``, ``files``); per
configuration of a spec from outside the shipped package ``spec_source`` (as in the ITF files' ``#meta``).
An engine's ``limit_hit`` is ``"states"``, ``"depth"``, ``"time"``, or — for a configuration whose run did
not finish — ``"interrupted"`` (SIGINT/SIGTERM; ``exit_code`` 130/143) or ``"memory"``, with the figures
last reported and every property ``inconclusive``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from checker import __version__
from checker.result import VIOLATED, Trace
from checker.trace.dot import state_graph_to_dot, trace_to_dot
from checker.trace.html import TraceView, render_report, summary_counts
from checker.trace.itf import describe, write_itf
from checker.trace.junit import junit_xml
from checker.trace.mermaid import trace_to_mermaid
from checker.trace.prefer import shape
from checker.trace.svg import trace_to_svg
from checker.trace.text import render_trace, step_rows, trace_why, why_lines
from checker.verify import Outcome

SCHEMA_VERSION = 1
GRAPH_STATES = 300  # draw the whole state graph only up to this many states


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def base_name(config: str, prop: str) -> str:
    """The common stem of a counterexample's files: ``<config>.<property>``."""
    return f"{_safe(config)}.{_safe(prop)}"


def _write_trace_files(o: Outcome, prop: str, trace: Trace, out_dir: Path | None, doc: str) -> tuple[TraceView, str]:
    """Write the ITF/Mermaid/DOT files of one trace; return its report view and terminal text."""
    # a counterexample found at other constants (induct.cti_reach: an every-N claim refuted at N = 3)
    # is on a system of its own: the configuration's views and state graph are not about it
    own = trace.system is o.system
    views = (o.views or None) if own else None
    title = f"{o.config.name}: {describe(trace)}"
    mermaid = trace_to_mermaid(trace, views, title=title, doc=doc)
    files: dict[str, str] = {}
    if out_dir is not None:
        stem = base_name(o.config.name, prop)
        files["itf"] = f"{stem}.itf.json"
        meta: dict[str, Any] = {"configuration": str(o.config.path)}
        if o.config.options:
            meta["options"] = o.config.options  # what the configuration adds to the spec (e.g. temporal properties)
        write_itf(trace, out_dir / files["itf"], meta, views)
        files["mermaid"] = f"{stem}.mmd"
        (out_dir / files["mermaid"]).write_text(mermaid, encoding="utf-8")
        files["dot"] = f"{stem}.dot"
        (out_dir / files["dot"]).write_text(trace_to_dot(trace, views, title), encoding="utf-8")
        graph = state_graph_to_dot(o.compiled, trace, GRAPH_STATES) if own else None
        if graph is not None:
            files["state_graph"] = f"{stem}.graph.dot"
            (out_dir / files["state_graph"]).write_text(graph, encoding="utf-8")
    head = f"{o.config.name}: {prop} — {describe(trace)}" + (f"\n{doc}" if doc else "")
    text = render_trace(trace, head, views)
    tv = TraceView(o.config.name, prop, title, trace_to_svg(trace, views, title), step_rows(trace, views), mermaid,
                   files, why_lines(trace))
    return tv, text


def outcome_json(o: Outcome, out_dir: Path | None, sink: list[TraceView] | None = None,
                 texts: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """One configuration's entry of result.json; writes its trace files when ``out_dir`` is given."""
    props = {}
    for name, v in o.verdicts.items():
        expected = VIOLATED if name in o.config.expect else "holds"
        entry: dict[str, Any] = {"verdict": v.verdict, "engine": v.engine, "kind": v.kind, "expected": expected,
                                 "met": v.verdict == expected, "seconds": round(v.seconds, 4)}
        try:
            entry["doc"] = o.system.prop(name).doc
        except KeyError:
            pass
        if v.note:
            entry["note"] = v.note
        if v.trace is not None:
            entry["trace_length"] = len(v.trace)
            entry["replayed"] = v.replayed
            entry["actors"], entry["context_switches"] = shape(v.trace)
            why = trace_why(v.trace)
            if why is not None:
                entry["why"] = why.to_json()
            tv, text = _write_trace_files(o, name, v.trace, out_dir, entry.get("doc", ""))
            if tv.files:
                entry["trace"] = tv.files["itf"]
                entry["files"] = tv.files
            if sink is not None:
                sink.append(tv)
            if v.more_traces:  # further counterexamples of distinct causes: <config>.<property>.<k>.* files
                entry["more_traces"] = []
                for k, tr in enumerate(v.more_traces, 2):
                    tv2, text2 = _write_trace_files(o, f"{name}.{k}", tr, out_dir, f"{entry.get('doc', '')}\n"
                                                    f"distinct cause: {tr.cause}".strip())
                    more: dict[str, Any] = {"trace_length": len(tr), "cause": tr.cause}
                    if tv2.files:
                        more["trace"] = tv2.files["itf"]
                        more["files"] = tv2.files
                    entry["more_traces"].append(more)
                    if sink is not None:
                        sink.append(tv2)
                    text += "\n" + text2
            if texts is not None:
                texts[(o.config.name, name)] = text
        if v.detail.get("seed") is not None:
            entry["seed"] = v.detail["seed"]
        props[name] = entry
    engines = []
    for r in o.engine_results:
        s = r.stats
        engines.append({
            "engine": r.engine, "states": s.states, "transitions": s.transitions, "depth": s.depth,
            "seconds": round(s.seconds, 4), "states_per_second": round(s.states_per_second, 1),
            "peak_rss_bytes": s.peak_rss_bytes, "limit_hit": s.limit_hit, "store": s.store,
            "collision_probability": s.collision_probability, "spilled_bytes": s.spilled_bytes,
            "coverage": s.coverage, "error": r.error,
        })
        if r.error_trace is not None:
            tv, text = _write_trace_files(o, f"{r.engine}.modelling_error", r.error_trace, out_dir, r.error or "")
            if tv.files:
                engines[-1]["error_trace"] = tv.files["itf"]
            if sink is not None:
                sink.append(tv)
            if texts is not None:
                texts[(o.config.name, "(run)")] = text
    seeds = {k: v for k, v in o.config.options.items() if "seed" in k.lower()}
    source = getattr(o.system, "spec_source", None)  # a spec from a user's file or package (checker.spec_loader)
    extra = {"spec_source": source.to_json(out_dir.resolve() if out_dir is not None else None)} if source else {}
    return {
        "configuration": str(o.config.path), "name": o.config.name, "spec": o.config.spec.name,
        "constants": o.system.constants, "expect": o.config.expect or "holds", "status": o.status,
        "problems": o.problems, "warnings": o.warnings, "seconds": round(o.seconds, 4), "properties": props,
        "engines": engines,
        "description": o.config.description, "engines_requested": list(o.config.engines),
        "limits": dict(o.config.limits), "seeds": seeds, "views": dict(o.config.views), **extra,
    }


def build_results(outcomes: list[Outcome], errors: list[str], exit_code: int, argv: list[str] | None = None,
                  out_dir: Path | None = None) -> tuple[dict[str, Any], list[TraceView], dict[tuple[str, str], str]]:
    """The result.json document, the report's trace views and the traces' terminal text."""
    argv = list(sys.argv if argv is None else argv)
    views: list[TraceView] = []
    texts: dict[tuple[str, str], str] = {}
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": f"napi-check {__version__}",
        "tool_version": __version__,
        "python": platform.python_version(),
        "generated": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": argv,
        "command_line": shlex.join(argv),
        "cwd": os.getcwd(),
        "exit_code": exit_code,
        "configurations": [outcome_json(o, out_dir, views, texts) for o in outcomes],
        "errors": errors,
    }
    doc["summary"] = summary_counts(doc)
    return doc, views, texts


def write_results(out_dir: Path, outcomes: list[Outcome], errors: list[str], exit_code: int,
                  argv: list[str] | None = None) -> dict[str, Any]:
    """Write every file of ``--out DIR``; returns the result.json document."""
    out_dir.mkdir(parents=True, exist_ok=True)
    doc, views, texts = build_results(outcomes, errors, exit_code, argv, out_dir)
    doc["files"] = {"result": "result.json", "junit": "junit.xml", "report": "report.html", "command": "command.txt"}
    (out_dir / "result.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    (out_dir / "junit.xml").write_text(junit_xml(doc, texts), encoding="utf-8")
    (out_dir / "report.html").write_text(render_report(doc, views), encoding="utf-8")
    (out_dir / "command.txt").write_text(doc["command_line"] + "\n", encoding="utf-8")
    return doc
