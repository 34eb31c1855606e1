"""Terminal output of a verification run (rich; plain text when not a terminal)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from checker.result import HOLDS, VIOLATED
from checker.trace.text import render_trace
from checker.verify import FAIL, PASS, UNKNOWN, Outcome

STATUS_STYLE = {PASS: "green", FAIL: "bold red", UNKNOWN: "yellow"}
VERDICT_STYLE = {HOLDS: "green", VIOLATED: "red"}


def _fmt_bytes(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def print_outcome(con: Console, out: Outcome, show_traces: bool = True, show_coverage: bool = False,
                  full_initial: bool = False) -> None:
    cfg = out.config
    expect = "holds" if not cfg.expect else "violates " + ", ".join(cfg.expect)
    con.print(f"[bold]{escape(str(cfg.path))}[/]  spec={cfg.spec.name}  expect: {expect}")
    consts = ", ".join(f"{k}={v}" for k, v in out.system.constants.items())
    con.print(f"  constants: {escape(consts)}", highlight=False)
    for r in out.engine_results:
        s = r.stats
        if s.states or r.engine == "explicit":
            line = f"  {r.engine}: {s.states:,} states, {s.transitions:,} transitions, depth {s.depth}, {s.seconds:.2f} s"
        else:  # a symbolic engine enumerates nothing: say how deep it unrolled
            line = f"  {r.engine}: symbolic, unrolled to depth {s.depth}, {s.seconds:.2f} s"
        if s.seconds > 0 and s.states:
            line += f" ({s.states_per_second:,.0f} states/s)"
        if s.peak_rss_bytes:
            line += f", peak RSS {_fmt_bytes(s.peak_rss_bytes)}"
        if s.store == "fingerprint":
            line += f", fingerprint collision probability {s.collision_probability:.1e}"
        if s.limit_hit:
            line += f"  [yellow]stopped: {s.limit_hit} limit[/]"
        con.print(line, highlight=False)
        if show_coverage and s.coverage:
            for key, n in s.coverage.items():
                con.print(f"    {n:>10,}  {escape(key)}", highlight=False)
    for w in out.warnings:  # coverage (checker.coverage): a vacuous property first, in bold
        style = "bold red" if " may hold vacuously" in w else "yellow"
        con.print(f"  [{style}]warning:[/] {escape(w)}", highlight=False)
    for name, v in out.verdicts.items():
        style = VERDICT_STYLE.get(v.verdict, "yellow")
        extra = ""
        if v.trace is not None:
            extra = f" — {len(v.trace)} steps ({v.engine})" + (", replayed" if v.replayed else "")
        elif v.note:
            extra = f" — {v.note}"
        con.print(f"    [{style}]{v.verdict:<12}[/] {escape(name)}{escape(extra)}", highlight=False)
        if len(out.engine_results) > 1:  # each engine's own verdict, side by side
            each = [f"{r.engine}: {pr.verdict}" + (f" ({len(pr.trace)} steps)" if pr.trace is not None else "")
                    for r in out.engine_results for pr in r.properties if pr.name == name]
            con.print(f"                 {escape(' · '.join(each))}", highlight=False)
    for r in out.engine_results:  # inductive invariants (pdr), once per engine and invariant
        shown: list[list[str]] = []
        for pr in r.properties:
            lines = pr.detail.get("invariant") if pr.verdict == "holds" else None
            if lines and lines not in shown:
                shown.append(lines)
                names = ", ".join(x.name for x in r.properties if x.detail.get("invariant") == lines)
                con.print(f"  {r.engine}: inductive invariant proving {escape(names)} (independently checked):",
                          highlight=False)
                for ln in lines:
                    con.print(f"      {escape(ln)}", highlight=False)
    if show_traces:
        for name, v in out.verdicts.items():
            if v.verdict == VIOLATED and v.trace is not None:
                doc = out.system.prop(name).doc
                head = f"  Counterexample: {name}" + (f" — {doc}" if doc else "")
                con.print(escape(render_trace(v.trace, head, out.views or None, full_initial)), highlight=False)
        for r in out.engine_results:
            if r.error_trace is not None:
                con.print(escape(render_trace(r.error_trace, f"  Modelling error: {r.error}")), highlight=False)
    for p in out.problems:
        con.print(f"  [red]✗ {escape(p)}[/]", highlight=False)
    con.print(f"  [{STATUS_STYLE[out.status]}]{out.status.upper()}[/] ({out.seconds:.2f} s)")
    con.print()


def print_summary(con: Console, outcomes: list[Outcome], errors: list[str]) -> None:
    table = Table(title="napi-check verdicts", show_lines=False)
    table.add_column("configuration")
    table.add_column("spec")
    table.add_column("expect")
    table.add_column("verdicts")
    table.add_column("states", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("result")
    for o in outcomes:
        bad = [n for n, v in o.verdicts.items() if v.verdict == VIOLATED]
        unknown = [n for n, v in o.verdicts.items() if v.verdict not in (HOLDS, VIOLATED)]
        props = f"{len(o.verdicts) - len(bad) - len(unknown)} hold"
        if bad:
            props += "; violated: " + ", ".join(bad)
        if unknown:
            props += "; undecided: " + ", ".join(unknown)
        states = max((r.stats.states for r in o.engine_results), default=0)
        table.add_row(o.config.name, o.config.spec.name, "holds" if not o.config.expect else ",".join(o.config.expect),
                      props, f"{states:,}", f"{o.seconds:.2f}", f"[{STATUS_STYLE[o.status]}]{o.status}[/]")
    con.print(table)
    for e in errors:
        con.print(f"[red]error:[/] {escape(e)}", highlight=False)
    n_pass = sum(o.status == PASS for o in outcomes)
    n_fail = sum(o.status == FAIL for o in outcomes)
    n_unk = sum(o.status == UNKNOWN for o in outcomes)
    con.print(f"configurations: {n_pass} met their expectation, {n_fail} did not, {n_unk} inconclusive, "
              f"{len(errors)} with errors")
