"""The ``napi-check`` command.

Exit codes: 0 every configuration met its expectation; 1 some did not; 2 usage or
configuration error; 3 inconclusive (a limit was reached before a verdict).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from checker import __version__
from checker.config import Config, ConfigError, find_configs, load_config
from checker.engines import engine_names

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


def _console(stderr: bool = False) -> Console:
    """A console that does not wrap long lines in CI logs (160 columns when not a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def _specs() -> dict:
    from spec import registry

    return registry()


def _positive_int(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and value <= 0:
        raise click.BadParameter(f"must be positive, got {value}")
    return value


def _positive_float(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise click.BadParameter(f"must be positive, got {value}")
    return value


class _Main(click.Group):
    """The command group; remembers the arguments it was invoked with (for --out's command.txt)."""

    invoked_with: list[str] = []

    def main(self, args=None, *rest, **kw):  # type: ignore[no-untyped-def, override]
        _Main.invoked_with = list(sys.argv[1:] if args is None else args)
        return super().main(args, *rest, **kw)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="napi-check")
def main() -> None:
    """Model checker for the kernel's NAPI packet-polling machinery."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--engine", "engine", default=None, help="Engine(s) to use instead of the configurations' "
              "(comma-separated, or 'all').")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Write result.json, junit.xml, report.html, command.txt and every counterexample "
              "(<config>.<property>.itf.json, .mmd, .dot) into this folder.")
@click.option("--raw-traces", is_flag=True, help="Show counterexamples as the engine found them, without "
              "searching for an equally short one with fewer actors and context switches.")
@click.option("--max-states", type=int, default=None, callback=_positive_int, help="Stop after this many distinct states.")
@click.option("--max-depth", type=int, default=None, callback=_positive_int, help="Explore at most this many steps deep.")
@click.option("--max-seconds", type=float, default=None, callback=_positive_float, help="Stop each engine after this long.")
@click.option("--store", type=click.Choice(["exact", "fingerprint"]), default=None, help="How visited states are kept.")
@click.option("--workers", type=int, default=None, callback=_positive_int,
              help="Explicit engine: threads (numpy loop) or processes (packed kernel) on large BFS levels (default 1).")
@click.option("--symmetry", is_flag=True, default=None,
              help="Explicit engine: symmetry reduction by the spec's declared symmetry (safety only).")
@click.option("--coverage", is_flag=True, help="Print how often each step fired.")
@click.option("--no-traces", is_flag=True, help="Do not print counterexample traces.")
@click.option("--full-initial", is_flag=True, help="Show every variable of a trace's initial state (default: "
              "shared state only, not program counters, actor locals and ghosts at their start values).")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary table.")
def verify(
    paths: tuple[Path, ...],
    engine: str | None,
    out_dir: Path | None,
    max_states: int | None,
    max_depth: int | None,
    max_seconds: float | None,
    store: str | None,
    workers: int | None,
    symmetry: bool | None,
    raw_traces: bool,
    coverage: bool,
    no_traces: bool,
    full_initial: bool,
    quiet: bool,
) -> None:
    """Verify configurations (files or folders; default: models/)."""
    from checker.output import write_results
    from checker.report import print_outcome, print_summary
    from checker.trace.prefer import prefer_simple_outcome
    from checker.verify import FAIL, UNKNOWN, run_config

    con = _console()
    err_con = _console(stderr=True)
    known_engines = engine_names()
    engines: list[str] | None = None
    if engine:
        engines = sorted(known_engines) if engine == "all" else [e.strip() for e in engine.split(",")]
        bad = [e for e in engines if e not in known_engines]
        if bad:
            err_con.print(f"error: --engine: unknown engine {bad[0]!r} (known: {', '.join(sorted(known_engines))}, all)")
            sys.exit(EXIT_USAGE)
    try:
        files = find_configs(list(paths) or [Path("models")])
    except ConfigError as err:
        err_con.print(f"error: {err}")
        sys.exit(EXIT_USAGE)
    if not files:
        err_con.print(f"error: no configuration files (*.toml) in {', '.join(map(str, paths or ['models']))}")
        sys.exit(EXIT_USAGE)
    specs = _specs()
    overrides = {"max_states": max_states, "max_depth": max_depth, "max_seconds": max_seconds, "store": store,
                 "workers": workers, "symmetry": symmetry or None}
    outcomes = []
    errors: list[str] = []
    for f in files:
        try:
            cfg: Config = load_config(f, specs, known_engines)
            outcome = _run_with_progress(err_con, cfg, engines, overrides, run_config)
        except ConfigError as err:
            errors.append(str(err))
            err_con.print(f"error: {err}")
            continue
        if not raw_traces:
            prefer_simple_outcome(outcome)
        outcomes.append(outcome)
        if not quiet:
            print_outcome(con, outcome, show_traces=not no_traces, show_coverage=coverage, full_initial=full_initial)
    print_summary(con, outcomes, errors)
    if errors:
        code = EXIT_USAGE
    elif any(o.status == FAIL for o in outcomes):
        code = EXIT_VIOLATION
    elif any(o.status == UNKNOWN for o in outcomes):
        code = EXIT_INCONCLUSIVE
    else:
        code = EXIT_OK
    if out_dir is not None:
        write_results(out_dir, outcomes, errors, code, ["napi-check", *_Main.invoked_with])
        if not quiet:
            con.print(f"results written to {out_dir}/ (result.json, junit.xml, report.html)", markup=False)
    sys.exit(code)


def _run_with_progress(con: Console, cfg: Config, engines, overrides, run_config):  # type: ignore[no-untyped-def]
    """Run one configuration, with a live status line when stderr is a terminal."""
    if not con.is_terminal:
        return run_config(cfg, engines, overrides, None)
    with con.status(f"{cfg.name}: building ...") as status:
        def progress(p) -> None:  # type: ignore[no-untyped-def]
            rate = p.states / p.seconds if p.seconds else 0
            status.update(f"{cfg.name}: {p.states:,} states, {p.transitions:,} transitions, depth {p.depth}, "
                          f"frontier {p.frontier:,}, {rate:,.0f} states/s, {p.seconds:.0f} s")
        return run_config(cfg, engines, overrides, progress)


@main.command("list")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def list_cmd(paths: tuple[Path, ...]) -> None:
    """Specs with their constants and properties, and the bundled configurations."""
    con = _console()
    for name, spec in sorted(_specs().items()):
        con.print(f"[bold]{name}[/] — {spec.doc}")
        for c in spec.constants:
            rng = ""
            if c.min is not None or c.max is not None:
                rng = f" [{'' if c.min is None else c.min}..{'' if c.max is None else c.max}]"
            if c.choices:
                rng = f" {{{', '.join(c.choices)}}}"
            con.print(f"    {c.name} = {c.default!r} ({c.kind.__name__}{rng}) {c.doc}")
        if spec.properties:
            con.print(f"    properties: {', '.join(spec.properties)}")
    try:
        files = find_configs(list(paths) or [Path("models")])
    except ConfigError:
        files = []
    if files:
        con.print("\n[bold]configurations[/]")
        specs = _specs()
        for f in files:
            try:
                cfg = load_config(f, specs, engine_names())
                exp = "holds" if not cfg.expect else "violates " + ", ".join(cfg.expect)
                con.print(f"    {f}  ({cfg.spec.name}; {exp})")
            except ConfigError as err:
                con.print(f"    {f}  [red]{err.field}: {err.message}[/]")


@main.command()
@click.argument("trace", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
              help="How to show the trace: terminal view (default), Mermaid sequence diagram, or Graphviz DOT.")
@click.option("--full-initial", is_flag=True, help="Show every variable of the initial state.")
def replay(trace: Path, fmt: str, full_initial: bool) -> None:
    """Re-execute a saved trace (ITF JSON) on its spec; exit 0 if it is a valid run ending in its violation."""
    from checker.trace.itf import read_itf
    from checker.trace.replay import load_trace
    from checker.trace.replay import replay as do_replay
    from checker.trace.text import render_trace
    from checker.trace.views import ViewError, compile_views

    con = Console(highlight=False)
    err_con = Console(stderr=True, highlight=False)
    try:
        tr, compiled = load_trace(trace, _specs())
        views = compile_views(read_itf(trace).views, compiled)
    except (OSError, ValueError, KeyError) as err:
        where = "views: " if isinstance(err, ViewError) else ""
        err_con.print(f"error: {trace}: {where}{err}", markup=False)
        sys.exit(EXIT_USAGE)
    res = do_replay(tr, compiled)
    if fmt == "text":
        con.print(render_trace(tr, f"{trace}: {tr.property} ({tr.kind}), {len(tr)} steps", views or None, full_initial),
                  markup=False)
    else:
        from checker.trace.dot import trace_to_dot
        from checker.trace.mermaid import trace_to_mermaid

        try:
            doc = compiled.system.prop(tr.property).doc
        except KeyError:
            doc = ""
        text = trace_to_mermaid(tr, views or None, doc=doc) if fmt == "mermaid" else trace_to_dot(tr, views or None)
        click.echo(text, nl=False)
    out = con if fmt == "text" else err_con
    if res.ok:
        out.print(f"VALID: {res.message}", markup=False)
        sys.exit(EXIT_OK)
    out.print(f"INVALID: {res.message}", markup=False)
    sys.exit(EXIT_VIOLATION)


if __name__ == "__main__":
    main()
