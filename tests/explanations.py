"""Which kernel functions and steps a configuration's written explanation names, and which a trace shows.

The convention (checked by tests/test_explanations.py): a configuration explains itself in its
comment lines and its ``description``. A *name* there is a code-like word — one containing ``_``
or ``::`` (``napi_complete_done``, ``net_rx_action``, ``Vec::pop``, ``ns_push``; the word may sit
inside a backquoted code quote such as ```inner.napi_list.push(napi)```). A name *of the spec* is
one the configuration's System knows: a step label, an actor, or a word of a step's kernel-function
citation (``func=``). For a configuration that expects a violation, every name of the spec in its
explanation must occur in a counterexample it explains:

* a paragraph (a comment line starting ``# `` and its indented continuation lines) that begins
  with an expected property's name explains that property's trace;
* any other paragraph explains the counterexamples together (the name must be in one of them).

A paragraph that begins with a property the configuration expects to hold has no trace to check.
Names the spec does not know (another kernel's function, a constant) cannot be in any trace and
are not checked: the rule is about what the trace shows, not about spelling.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*")


def code_words(text: str) -> set[str]:
    """The code-like words of a text: those with ``_`` or ``::``, and each ``::`` segment of a path."""
    out: set[str] = set()
    for w in WORD.findall(text):
        if "::" in w:
            out.add(w)
            out.update(p for p in w.split("::") if "_" in p.strip("_"))
        elif "_" in w.strip("_"):
            out.add(w)
    return out


def step_words(actor: str, label: str, function: str | None) -> set[str]:
    """The names one step shows: its label, its actor and the words of its citation (file paths dropped)."""
    cited = re.sub(r"\S+\.(?:rs|c|h)\b", " ", function or "")  # a file path is not a function name
    return {label, actor} | code_words(f"{actor} {cited}") | set(WORD.findall(f"{actor} {cited}"))


def paragraphs(path: Path, description: str = "") -> list[str]:
    """The configuration's comment paragraphs (and its description as one more)."""
    paras: list[list[str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s.startswith("#"):
            continue
        body = s[1:]
        if body.startswith(" ") and not body.startswith("  ") and body.strip() or not paras:
            paras.append([body.strip()])
        else:
            paras[-1].append(body.strip())
    out = [" ".join(p) for p in paras]
    if description:
        out.append(description)
    return out


def leading_property(paragraph: str, properties: Iterable[str]) -> str | None:
    first = WORD.match(paragraph.strip())
    if first and first.group(0) in set(properties):
        return first.group(0)
    return None


def positions(system, pc_names) -> set[str]:  # type: ignore[no-untyped-def]
    """The names of the steps the actors stand at in a last state (what a stuck or waiting actor would run next).

    ``pc_names(actor)`` gives each instance's label. Only actors away from their first label count:
    one that has not begun an operation is not part of the story (else every actor and every first
    step would count as shown)."""
    out: set[str] = set()
    for a in system.actors:
        for i, label in enumerate(pc_names(a)):
            if label == a.labels.names[0]:
                continue
            who = a.actor_name(i)
            for t in system.transitions:
                if t.actor == who and t.label == label:
                    out |= step_words(t.actor, t.label, t.function)
    return out


def trace_words(trace) -> set[str]:  # type: ignore[no-untyped-def]
    """Every name a counterexample shows: its steps, and the steps its actors stand at in the last state."""
    system, last = trace.system, trace.states[-1]
    slots = {v.name: v.slot for v in system.vars}
    shown: set[str] = set()
    for s in trace.steps:
        shown |= step_words(s.actor, s.label, s.function)
    return shown | positions(system, lambda a: [a.labels.names[x] for x in last[slots[f"{a.name}.pc"]]])


def itf_words(system, itf: dict) -> set[str]:  # type: ignore[no-untyped-def]
    """:func:`trace_words` of a trace file written by ``verify --out`` (the trace the user was shown)."""
    shown: set[str] = set()
    metas = [st["#meta"] for st in itf["states"][1:]] + ([itf["#meta"]["loop_step"]] if "loop_step" in itf["#meta"]
                                                         else [])
    for m in metas:
        shown |= step_words(m["actor"], m["label"], m.get("function"))
    last = itf["states"][-1]
    return shown | positions(system, lambda a: list(last[f"{a.name}.pc"]))


def unexplained(path: Path, description: str, expect: list[str], properties: list[str],
                known: set[str], shown: dict[str, set[str]]) -> list[str]:
    """The names of the spec an explanation gives that its counterexamples do not show, as messages."""
    out = []
    for p in paragraphs(path, description):
        lead = leading_property(p, properties)
        if lead is not None and lead not in expect:
            continue  # explains why a property holds: no trace
        if lead is not None:
            seen, where = shown.get(lead, set()), f"{lead}'s trace does not show"
        else:
            seen, where = set().union(*[shown.get(e, set()) for e in expect]), "no counterexample shows"
        for w in sorted(code_words(p) & known - seen):
            out.append(f"{path}: the explanation names {w!r}, which {where}: {p[:80]}...")
    return out
