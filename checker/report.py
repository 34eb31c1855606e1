"""Terminal output of a verification run (rich; plain text when not a terminal)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from checker.result import HOLDS, VIOLATED, PropertyResult
from checker.trace.text import render_trace
from checker.bundled import display_path
from checker.verify import FAIL, PASS, UNKNOWN, Outcome

STATUS_STYLE = {PASS: "green", FAIL: "bold red", UNKNOWN: "yellow"}
VERDICT_STYLE = {HOLDS: "green", VIOLATED: "red"}


def _fmt_bytes(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def _print_warnings(con: Console, out: Outcome) -> None:
    """An outcome's warnings, one line each (coverage, :mod:`checker.coverage`): a vacuous property
    first, in bold."""
    for w in out.warnings:
        style = "bold red" if " may hold vacuously" in w else "yellow"
        con.print(f"  [{style}]warning:[/] {escape(w)}", highlight=False)


def print_outcome(con: Console, out: Outcome, show_traces: bool = True, show_coverage: bool = False,
                  full_initial: bool = False) -> None:
    cfg = out.config
    expect = "holds" if not cfg.expect else "violates " + ", ".join(cfg.expect)
    src = getattr(cfg.spec, "source", None)  # a spec from a user's file or package (checker.spec_loader)
    origin = f" ({escape(src.ref)})" if src is not None and src.ref != cfg.spec.name else ""
    con.print(f"[bold]{escape(display_path(cfg.path))}[/]  spec={escape(cfg.spec.name)}{origin}  expect: {escape(expect)}")
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
        if s.spilled_bytes:
            line += f", {_fmt_bytes(s.spilled_bytes)} spilled to disk"
        if s.limit_hit:
            line += f"  [yellow]stopped: {s.limit_hit} limit[/]"
        con.print(line, highlight=False)
        if s.loop:
            con.print(f"    search loop: {escape(s.loop)}", highlight=False)
        if show_coverage and s.coverage:
            for key, n in s.coverage.items():
                con.print(f"    {n:>10,}  {escape(key)}", highlight=False)
    _print_warnings(con, out)
    for name, v in out.verdicts.items():
        style = VERDICT_STYLE.get(v.verdict, "yellow")
        extra = ""
        if v.trace is not None:
            extra = f" — {len(v.trace)} steps ({v.engine})" + (", replayed" if v.replayed else "")
            if v.more_traces:
                extra += (f"; {len(v.more_traces)} more of distinct causes: "
                          + ", ".join(f"{len(t)} steps" for t in v.more_traces))
        elif v.note:
            extra = f" — {v.note}"
        con.print(f"    [{style}]{v.verdict:<12}[/] {escape(name)}{escape(extra)}", highlight=False)
        if v.trace is not None and v.detail.get("found_at") and v.note:  # an every-N claim refuted (induct)
            con.print(f"                 {escape(v.note)}", highlight=False)
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
    for r in out.engine_results:  # counterexamples to induction (induct), in the kernel's terms
        for pr in r.properties:
            if pr.verdict != "holds" and pr.detail.get("cti_lines"):
                for ln in pr.detail["cti_lines"]:
                    con.print(f"  {escape(ln)}", highlight=False)
    if show_traces:
        for name, v in out.verdicts.items():
            if v.verdict == VIOLATED and v.trace is not None:
                doc = out.system.prop(name).doc
                head = f"  Counterexample: {name}" + (f" — {doc}" if doc else "")
                views = out.views or None if v.trace.system is out.system else None  # found at other constants
                con.print(escape(render_trace(v.trace, head, views, full_initial)), highlight=False)
                for k, tr in enumerate(v.more_traces, 2):
                    head = f"  Counterexample {k} of {name} (a distinct cause: {tr.cause})"
                    con.print(escape(render_trace(tr, head, out.views or None, full_initial)), highlight=False)
        for r in out.engine_results:
            if r.error_trace is not None:
                con.print(escape(render_trace(r.error_trace, f"  Modelling error: {r.error}")), highlight=False)
    for p in out.problems:
        con.print(f"  [red]✗ {escape(p)}[/]", highlight=False)
    con.print(f"  [{STATUS_STYLE[out.status]}]{out.status.upper()}[/] ({out.seconds:.2f} s)")
    con.print()


def print_summary(con: Console, outcomes: list[Outcome], error_files: int = 0, table: bool = True) -> None:
    """The closing count (and, with ``table``, one table row per configuration). Errors were printed
    as they were found; they are only counted here."""
    if table and outcomes:
        _summary_table(con, outcomes)
    n_pass = sum(o.status == PASS for o in outcomes)
    n_fail = sum(o.status == FAIL for o in outcomes)
    n_unk = sum(o.status == UNKNOWN for o in outcomes)
    secs = sum(o.seconds for o in outcomes)
    con.print(f"configurations: {n_pass} met their expectation, {n_fail} did not, {n_unk} inconclusive, "
              f"{error_files} with errors ({secs:.1f} s)", markup=False, highlight=False)


def _summary_table(con: Console, outcomes: list[Outcome]) -> None:
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
        table.add_row(escape(o.config.name), escape(o.config.spec.name),
                      escape("holds" if not o.config.expect else ",".join(o.config.expect)),
                      escape(props), f"{states:,}", f"{o.seconds:.2f}", f"[{STATUS_STYLE[o.status]}]{o.status}[/]")
    con.print(table)


def _trace_shape(v: PropertyResult) -> str:
    if v.trace is None:
        return v.engine
    kind = "lasso, " if v.trace.kind == "lasso" else ""
    return f"{kind}{len(v.trace)} steps, {v.engine}" + (", replayed" if v.replayed else "")


def compact_line(out: Outcome) -> str:
    """One plain line: status, configuration, spec, what was found, states, seconds."""
    states = max((r.stats.states for r in out.engine_results), default=0)
    held = [n for n, v in out.verdicts.items() if v.verdict == HOLDS]
    expected = [f"{n} ({_trace_shape(v)})" for n, v in out.verdicts.items()
                if v.verdict == VIOLATED and n in out.config.expect]
    unexpected = [n for n, v in out.verdicts.items() if v.verdict == VIOLATED and n not in out.config.expect]
    undecided = [n for n, v in out.verdicts.items() if v.verdict not in (HOLDS, VIOLATED)]
    parts = [f"{len(held)} hold"]
    if unexpected:
        parts.append("VIOLATED: " + ", ".join(unexpected))
    if expected:
        parts.append("violated as expected: " + ", ".join(expected))
    if undecided:
        parts.append("undecided: " + ", ".join(undecided))
    figures = f"{states:,} states, {out.seconds:.2f} s" if states else f"{out.seconds:.2f} s"
    return (f"{out.status.upper():<12} {display_path(out.config.path)}  [{out.config.spec.name}]  "
            f"{'; '.join(parts)}  ({figures})")


def print_compact(con: Console, out: Outcome, show_traces: bool = True) -> None:
    """One line per configuration; what needs attention below it: a failed configuration in full
    (unexpected violations with their traces), otherwise each warning (one line each, ``warning:``),
    and for an inconclusive one each undecided property's reason."""
    style = STATUS_STYLE[out.status]
    con.print(f"[{style}]{escape(compact_line(out))}[/]", highlight=False)
    if out.status == FAIL:  # in full, warnings included
        print_outcome(con, out, show_traces=show_traces)
        return
    _print_warnings(con, out)  # what needs attention even when the verdicts are as expected
    if out.status == UNKNOWN:
        for r in out.engine_results:
            if r.stats.limit_hit:
                why = ("stopped" if r.stats.limit_hit in ("interrupted", "memory")
                       else "stopped: a cluster worker was lost" if r.stats.limit_hit == "worker lost"
                       else f"stopped at its {r.stats.limit_hit} limit")
                con.print(f"    {escape(r.engine)}: {escape(why)} after "
                          f"{r.stats.states:,} states, depth {r.stats.depth}, {r.stats.seconds:.1f} s",
                          highlight=False)
        by_note: dict[tuple[str, str], list[str]] = {}  # one line per distinct reason
        for name, v in out.verdicts.items():
            if v.verdict not in (HOLDS, VIOLATED):
                by_note.setdefault((v.verdict, v.note), []).append(name)
        for (verdict, note), names in by_note.items():
            con.print(f"    [yellow]{verdict}[/] {escape(', '.join(names))}" + (f": {escape(note)}" if note else ""),
                      highlight=False)
