"""Graphviz DOT views: a trace as a chain of states, and a small configuration's whole state graph
with the counterexample path highlighted.

The trace view is built from the terminal view's rows (what changed at each step). The state
graph is explored with the compiled semantics (``CompiledSystem.successors``) into a networkx
``DiGraph`` and written as DOT; it is capped (``max_states``) because a drawing of more than a
few hundred states helps nobody. Render with ``dot -Tsvg file.dot -o file.svg``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import networkx as nx

from checker.lang.pycompile import CompiledSystem, State, StepError, flat_values
from checker.result import Trace
from checker.trace.itf import describe, verdict_line
from checker.trace.text import step_rows, wrap_items

if TYPE_CHECKING:
    from checker.trace.views import View

DEFAULT_GRAPH_STATES = 300
BAD_FILL = "#ffd6d6"
PATH_COLOUR = "#d62728"


def q(s: str) -> str:
    """A DOT double-quoted string (newlines become left-justified line breaks)."""
    multi = "\n" in s
    body = s.rstrip("\n").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l")
    return f'"{body}\\l"' if multi else f'"{body}"'


def _attrs(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={q(str(v))}" for k, v in d.items())


def trace_to_dot(trace: Trace, views: list[View] | None = None, title: str | None = None) -> str:
    """The trace as a top-to-bottom chain: one box per state (what changed), one edge per step."""
    rows = step_rows(trace, views)
    g = ["digraph trace {",
         f"  graph [{_attrs({'label': title or describe(trace), 'labelloc': 't', 'rankdir': 'TB', 'fontname': 'Helvetica'})}];",
         '  node [shape=box, style="rounded,filled", fillcolor="#f7f7f7", fontname="Helvetica", fontsize=10];',
         '  edge [fontname="Helvetica", fontsize=9];']
    last = len(trace.states) - 1
    for k, r in enumerate(rows):
        text = f"state {k}\n" + "\n".join(wrap_items([x for x in r["changes"].split("; " if k else ", ") if x], 48))
        if r.get("views"):
            text += "\n▸ " + r["views"]
        attrs: dict[str, Any] = {"label": text + "\n"}
        if k == last and trace.kind in ("safety", "deadlock"):
            attrs.update(fillcolor=BAD_FILL, color=PATH_COLOUR, penwidth=2)
            attrs["label"] = text + "\n" + verdict_line(trace) + "\n"
        g.append(f"  s{k} [{_attrs(attrs)}];")
    for k, (t, r) in enumerate(zip(trace.steps, rows[1:]), 1):
        step = r["step"].replace("loop starts ↻ ", "")
        label = f"{k}. {t.actor}: {step}" + "\n" + t.function
        g.append(f"  s{k - 1} -> s{k} [{_attrs({'label': label})}];")
    if trace.loop is not None:
        back = {"label": f"↻ state {last} = state {trace.loop}: repeats", "style": "dashed", "color": PATH_COLOUR}
        g.append(f"  s{last} -> s{trace.loop} [{_attrs(back)}];")
    if trace.failing_step is not None:
        ft = trace.failing_step
        label = f"✗ {ft.actor}: {ft.label} fails" + "\n" + trace.message + "\n"
        g.append(f"  fail [{_attrs({'label': label, 'shape': 'octagon', 'fillcolor': BAD_FILL})}];")
        g.append(f"  s{last} -> fail [{_attrs({'label': ft.function, 'color': PATH_COLOUR})}];")
    g.append("}")
    return "\n".join(g) + "\n"


def state_graph(compiled: CompiledSystem, max_states: int = DEFAULT_GRAPH_STATES) -> nx.DiGraph | None:
    """Every reachable state (node: state tuple, attr ``index``) and step (edge attrs ``tid``, ``actor``,
    ``label``), or None when there are more than ``max_states`` states or a step fails."""
    system = compiled.system
    init = system.init_state()
    g: nx.DiGraph = nx.DiGraph()
    g.add_node(init, index=0)
    todo = deque([init])  # breadth-first, so state numbers grow with depth
    while todo:
        s = todo.popleft()
        try:
            succ = compiled.successors(s)
        except StepError:
            return None
        for tid, t in succ:
            if t not in g:
                if g.number_of_nodes() >= max_states:
                    return None
                g.add_node(t, index=g.number_of_nodes())
                todo.append(t)
            tr = system.transitions[tid]
            g.add_edge(s, t, tid=tid, actor=tr.actor, label=tr.label)
    return g


def state_graph_to_dot(compiled: CompiledSystem, trace: Trace | None = None,
                       max_states: int = DEFAULT_GRAPH_STATES, bad: set[State] | None = None) -> str | None:
    """The whole state graph as DOT with ``trace``'s path in red; None when over ``max_states``."""
    g = state_graph(compiled, max_states)
    if g is None:
        return None
    system = compiled.system
    path_nodes = set(trace.states) if trace is not None else set()
    path_edges = set(zip(trace.states, trace.states[1:])) if trace is not None else set()
    if trace is not None and trace.loop is not None:
        path_edges.add((trace.states[-1], trace.states[trace.loop]))
    title = f"{system.spec_name}: {g.number_of_nodes()} states, {g.number_of_edges()} steps"
    if trace is not None:
        title += f"; red: {describe(trace)}"
    out = ["digraph states {",
           f"  graph [{_attrs({'label': title, 'labelloc': 't', 'fontname': 'Helvetica', 'overlap': 'false'})}];",
           '  node [shape=circle, style=filled, fillcolor="#f0f0f0", fontname="Helvetica", fontsize=9, '
           'width=0.3, fixedsize=false];',
           '  edge [fontname="Helvetica", fontsize=7, color="#999999", arrowsize=0.5];']
    init = system.init_state()
    for s, data in g.nodes(data=True):
        k = data["index"]
        tip = "\n".join(f"{a}={b}" for a, b in flat_values(system, s).items())
        attrs: dict[str, Any] = {"label": str(k), "tooltip": tip}
        if s == init:
            attrs["shape"] = "doublecircle"
        if bad is not None and s in bad:
            attrs["fillcolor"] = BAD_FILL
        if s in path_nodes:
            attrs.update(color=PATH_COLOUR, penwidth=2)
        if trace is not None and s == trace.states[-1] and trace.kind in ("safety", "deadlock"):
            attrs.update(fillcolor=PATH_COLOUR, fontcolor="white")
        out.append(f"  n{k} [{_attrs(attrs)}];")
    for a, b, data in g.edges(data=True):
        attrs = {"tooltip": f"{data['actor']}: {data['label']}"}
        if (a, b) in path_edges:
            attrs.update(color=PATH_COLOUR, penwidth=2.5, label=f"{data['actor']}: {data['label']}",
                         fontcolor=PATH_COLOUR)
        out.append(f"  n{g.nodes[a]['index']} -> n{g.nodes[b]['index']} [{_attrs(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"
