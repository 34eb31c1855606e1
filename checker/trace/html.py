"""The self-contained HTML report of a run: opens offline, no JavaScript, no external resources.

Built from the result.json document (so every number on the page is the number in the file)
and, per counterexample, the views derived from its trace: the SVG sequence diagram, the
terminal-view rows and the Mermaid source. Numbers carry ``data-key`` attributes
(``<configuration>.<field>`` / ``<configuration>.<property>.<field>`` / ``summary.<field>``) so
tests and scripts can read them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from checker.trace.junit import FAILURE, PASSED, case_outcome


@dataclass
class TraceView:
    """One counterexample, rendered: what the report shows for it."""

    config: str
    property: str
    title: str
    svg: str
    rows: list[dict[str, str]]
    mermaid: str
    files: dict[str, str] = field(default_factory=dict)  # kind (itf, mermaid, dot, state_graph) -> file name
    why: list[str] = field(default_factory=list)  # why the last state is bad: headline, then clause lines


CSS = """
body{font-family:system-ui,-apple-system,"DejaVu Sans",Helvetica,Arial,sans-serif;margin:1.5em;color:#222}
h1{margin-bottom:0.2em} .meta{color:#555;font-size:0.9em} code,pre{font-family:"DejaVu Sans Mono",monospace}
table{border-collapse:collapse;margin:0.6em 0 1.2em} th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;
vertical-align:top;font-size:0.92em} th{background:#f0f0f0} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass,.holds{color:#1a7f37;font-weight:bold} .fail,.violated{color:#b00020;font-weight:bold}
.inconclusive,.error{color:#9a6700;font-weight:bold} .expected{color:#555;font-weight:normal}
section.config{border-top:2px solid #ddd;margin-top:1.5em} section.trace{margin:1em 0 2em}
.svgbox{overflow-x:auto;border:1px solid #ddd;padding:4px;background:white} pre{background:#f7f7f7;padding:8px;
overflow-x:auto;font-size:0.85em} details{margin:0.5em 0} summary{cursor:pointer;color:#0645ad}
.why{border-left:4px solid #b00020;background:#fff5f5;padding:4px 10px;margin:0.6em 0} .why pre{background:none}
"""


def _num(key: str, value: Any, fmt: str = "{:,}") -> str:
    shown = fmt.format(value) if value is not None else "—"
    return f'<td class="num" data-key="{escape(key)}" data-value="{escape(str(value))}">{shown}</td>'


def _cell(text: str, cls: str = "", key: str = "") -> str:
    attrs = (f' class="{cls}"' if cls else "") + (f' data-key="{escape(key)}"' if key else "")
    return f"<td{attrs}>{escape(text)}</td>"


def summary_counts(doc: dict[str, Any]) -> dict[str, int]:
    """Counts shown at the top of the report (also written to result.json as ``summary``)."""
    cfgs = doc["configurations"]
    props = [p for c in cfgs for p in c["properties"].values()]
    return {
        "configurations": len(cfgs),
        "passed": sum(c["status"] == "pass" for c in cfgs),
        "failed": sum(c["status"] == "fail" for c in cfgs),
        "inconclusive": sum(c["status"] == "inconclusive" for c in cfgs),
        "configuration_errors": len(doc.get("errors", [])),
        "properties": len(props),
        "violations": sum(p["verdict"] == "violated" for p in props),
        "unexpected": sum(case_outcome(p)[0] not in (PASSED,) for p in props),
    }


def _verdict_summary(cfg: dict[str, Any]) -> str:
    ps = cfg["properties"]
    bad = [n for n, p in ps.items() if p["verdict"] == "violated"]
    unk = [n for n, p in ps.items() if p["verdict"] not in ("holds", "violated")]
    s = f"{len(ps) - len(bad) - len(unk)} hold"
    if bad:
        s += "; violated: " + ", ".join(bad)
    if unk:
        s += "; undecided: " + ", ".join(unk)
    return s


def _max_states(cfg: dict[str, Any]) -> int:
    return max((e["states"] for e in cfg["engines"]), default=0)


def render_report(doc: dict[str, Any], traces: list[TraceView]) -> str:
    """The whole report as one HTML document."""
    counts = summary_counts(doc)
    h: list[str] = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                    '<meta name="viewport" content="width=device-width, initial-scale=1">',
                    "<title>napi-check report</title>", f"<style>{CSS}</style></head><body>",
                    "<h1>napi-check report</h1>",
                    f'<p class="meta">{escape(doc["tool"])} · generated {escape(doc.get("generated", ""))} · '
                    f'exit code <span data-key="exit_code">{doc["exit_code"]}</span><br>'
                    f'<code>{escape(doc.get("command_line", ""))}</code></p>']
    h.append('<table id="summary"><tr>' + "".join(f"<th>{escape(k.replace('_', ' '))}</th>" for k in counts) + "</tr><tr>"
             + "".join(_num(f"summary.{k}", v) for k, v in counts.items()) + "</tr></table>")
    problems = []
    for c in doc["configurations"]:
        for pname, p in c["properties"].items():
            kind, msg = case_outcome(p)
            if kind != PASSED:
                target = f"trace-{c['name']}-{pname}" if "trace" in p else f"cfg-{c['name']}"
                problems.append(f'<li><a href="#{escape(target)}">{escape(c["name"])}: {escape(pname)}</a> — '
                                f'{escape(msg)}</li>')
    problems += [f"<li>configuration error: {escape(e)}</li>" for e in doc.get("errors", [])]
    if problems:
        h.append('<h2 class="fail">Needs attention</h2><ul id="attention">' + "".join(problems) + "</ul>")
    h.append('<h2>Verdicts</h2><table id="verdicts"><tr><th>configuration</th><th>spec</th><th>expect</th>'
             "<th>verdicts</th><th>states</th><th>transitions</th><th>seconds</th><th>result</th></tr>")
    for c in doc["configurations"]:
        n = c["name"]
        trans = max((e["transitions"] for e in c["engines"]), default=0)
        h.append(f'<tr><td><a href="#cfg-{escape(n)}">{escape(n)}</a></td>{_cell(c["spec"])}'
                 f'{_cell(c["expect"] if isinstance(c["expect"], str) else ", ".join(c["expect"]))}'
                 f'{_cell(_verdict_summary(c))}{_num(n + ".states", _max_states(c))}{_num(n + ".transitions", trans)}'
                 f'{_num(n + ".seconds", c["seconds"], "{:.2f}")}{_cell(c["status"], c["status"], n + ".status")}</tr>')
    h.append("</table>")
    by_cfg: dict[str, list[TraceView]] = {}
    for t in traces:
        by_cfg.setdefault(t.config, []).append(t)
    for c in doc["configurations"]:
        h.extend(_config_section(c, by_cfg.get(c["name"], [])))
    h.append("</body></html>")
    return "\n".join(h) + "\n"


def _config_section(c: dict[str, Any], traces: list[TraceView]) -> list[str]:
    n = c["name"]
    out = [f'<section class="config" id="cfg-{escape(n)}"><h2>{escape(n)} '
           f'<span class="{c["status"]}">{escape(c["status"].upper())}</span></h2>',
           f'<p class="meta"><code>{escape(c["configuration"])}</code> · spec <b>{escape(c["spec"])}</b> · constants '
           + escape(", ".join(f"{k}={v}" for k, v in c["constants"].items())) + "</p>"]
    if c.get("description"):
        out.append(f"<p>{escape(c['description'])}</p>")
    for p in c["problems"]:
        out.append(f'<p class="fail">✗ {escape(p)}</p>')
    for w in c.get("warnings", []):
        out.append(f'<p class="inconclusive warning">⚠ {escape(w)}</p>')
    out.append("<table><tr><th>engine</th><th>states</th><th>transitions</th><th>depth</th><th>seconds</th>"
               "<th>states/s</th><th>stopped</th></tr>")
    for e in c["engines"]:
        k = f"{n}.engine.{e['engine']}"
        out.append(f"<tr>{_cell(e['engine'])}{_num(k + '.states', e['states'])}{_num(k + '.transitions', e['transitions'])}"
                   f"{_num(k + '.depth', e['depth'])}{_num(k + '.seconds', e['seconds'], '{:.3f}')}"
                   f"{_num(k + '.states_per_second', e['states_per_second'], '{:,.0f}')}"
                   f"{_cell(e.get('limit_hit') or e.get('error') or '')}</tr>")
    out.append("</table>")
    out.append("<table><tr><th>property</th><th>expected</th><th>verdict</th><th>engine</th><th>trace steps</th>"
               "<th>replayed</th><th>result</th><th>note</th></tr>")
    for pname, p in c["properties"].items():
        k = f"{n}.{pname}"
        kind, msg = case_outcome(p)
        res = "pass" if kind == PASSED else ("fail" if kind == FAILURE else kind)
        link = f'<a href="#trace-{escape(n)}-{escape(pname)}">{escape(pname)}</a>' if "trace" in p else escape(pname)
        doc = f' title="{escape(p["doc"])}"' if p.get("doc") else ""
        out.append(f"<tr><td{doc}>{link}</td>{_cell(p['expected'], 'expected')}"
                   f"{_cell(p['verdict'], p['verdict'], k + '.verdict')}"
                   f"{_cell(p.get('engine', ''))}{_num(k + '.trace_length', p.get('trace_length'))}"
                   f"{_cell({True: 'yes', False: 'NO', None: ''}[p.get('replayed')])}"
                   f"{_cell(res, 'pass' if res == 'pass' else 'fail', k + '.result')}{_cell(msg or p.get('note', ''))}</tr>")
    out.append("</table>")
    for t in traces:
        out.extend(_trace_section(t))
    out.append("</section>")
    return out


def _trace_section(t: TraceView) -> list[str]:
    out = [f'<section class="trace" id="trace-{escape(t.config)}-{escape(t.property)}">',
           f"<h3>Counterexample: {escape(t.property)}</h3><p>{escape(t.title)}</p>"]
    if t.why:
        out.append(f'<div class="why"><p><b>Why the last state is bad:</b> <span class="why-headline">'
                   f'{escape(t.why[0].removeprefix("why: "))}</span></p>'
                   + (f"<pre>{escape(chr(10).join(t.why[1:]))}</pre>" if len(t.why) > 1 else "") + "</div>")
    out.append(f'<div class="svgbox">{t.svg}</div>')
    if t.files:
        out.append("<p>Files: " + " · ".join(f'<a href="{escape(f)}">{escape(f)}</a> ({escape(k)})'
                                                for k, f in t.files.items()) + "</p>")
    has_views = any(r.get("views") for r in t.rows)
    out.append("<details><summary>steps as a table</summary><table><tr><th>#</th><th>actor</th><th>step</th>"
               "<th>kernel function</th><th>changed</th>" + ("<th>views</th>" if has_views else "") + "</tr>")
    for r in t.rows:
        out.append(f"<tr>{_cell(r['n'])}{_cell(r['actor'])}{_cell(r['step'])}{_cell(r['function'])}"
                   f"{_cell(r['changes'])}" + (_cell(r.get("views", "")) if has_views else "") + "</tr>")
    out.append("</table></details>")
    if t.rows and t.rows[0].get("hidden"):
        out.append("<details class=\"initial\"><summary>the whole initial state (program counters, actor locals, "
                   f"ghost counters)</summary><p><code>{escape(t.rows[0].get('full', ''))}</code></p></details>")
    out.append(f"<details><summary>Mermaid source (paste into Markdown)</summary><pre>```mermaid\n{escape(t.mermaid)}```"
               "</pre></details>")
    out.append("</section>")
    return out
