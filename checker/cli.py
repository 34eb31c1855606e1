"""The ``napi-check`` command.

Exit codes: 0 every configuration met its expectation; 1 some did not; 2 usage, configuration or
trace-file error; 3 inconclusive (a limit was reached before a verdict); 130 / 143 stopped by
SIGINT / SIGTERM (128 + the signal's number; see checker.interrupt).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console

from checker import __version__
from checker.config import Config, ConfigError, find_configs, load_config
from checker.engines import engine_names

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


def _safe_streams() -> None:
    """Never fail on a character the terminal cannot show (an ASCII-only locale): replace it."""
    for stream in (sys.stdout, sys.stderr):
        enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if enc not in ("utf8", "utf16", "utf32") and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def _console(stderr: bool = False) -> Console:
    """A console that does not wrap long lines in CI logs (160 columns when not a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=None if stream.isatty() else 160)


def _fail(message: str) -> None:
    """One plain line on stderr (never read as markup), exit 2."""
    _console(stderr=True).print(f"error: {message}", markup=False, highlight=False)
    sys.exit(EXIT_USAGE)


def _specs() -> dict:
    """The shipped specs (installed packages' entry points and user files are resolved on demand)."""
    from checker.spec_loader import builtin_specs

    return builtin_specs()


def _positive_int(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    if value is not None and value <= 0:
        raise click.BadParameter(f"must be positive, got {value}")
    if value is not None and value > 2**62:
        raise click.BadParameter(f"must be at most {2**62:,}, got {value}")
    return value


def _cluster_address(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        from checker.cluster.connect import cluster_problem

        why = cluster_problem(value)
        if why:
            raise click.BadParameter(why)
    return value


def _positive_float(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    from checker.input_errors import check_number

    why = None if value is None else check_number(value, whole=False)
    if why is None and value is not None and value > 366 * 24 * 3600:
        why = f"must be at most a year ({366 * 24 * 3600:,} s), got {value!r}"
    if why:
        raise click.BadParameter(why)
    return value


def _interval(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if isinstance(value, float) and (not math.isfinite(value) or value < 0):
        raise click.BadParameter(f"must be 0 (never) or a positive number of seconds, got {value!r}")
    return value


class _Main(click.Group):
    """The command group; remembers the arguments it was invoked with (for --out's command.txt), and
    turns what escapes a command into one line and exit 2 rather than a traceback."""

    invoked_with: list[str] = []

    def main(self, args=None, *rest, **kw):  # type: ignore[no-untyped-def, override]
        _Main.invoked_with = list(sys.argv[1:] if args is None else args)
        _safe_streams()
        if kw.get("standalone_mode", True) is False:
            return super().main(args, *rest, **kw)
        kw["standalone_mode"] = False
        try:
            super().main(args, *rest, **kw)
        except click.exceptions.Exit as done:  # --help, --version
            sys.exit(done.exit_code)
        except click.UsageError as err:  # one line naming the option, not click's three
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            message = " ".join(err.format_message().split())
            if isinstance(err, click.NoSuchOption) and err.possibilities:
                from checker.input_errors import nearest

                close = nearest(err.option_name, err.possibilities)
                message = f"no such option {err.option_name!r}" + (f" (did you mean {close!r}?)" if close else "")
            _fail(message + hint)
        except click.ClickException as err:
            _fail(" ".join(err.format_message().split()))
        except click.Abort:
            _console(stderr=True).print("aborted", markup=False)
            sys.exit(130)
        except MemoryError:
            _console(stderr=True).print("error: out of memory (lower max_states, or use store = \"compact\")",
                                        markup=False)
            sys.exit(EXIT_INCONCLUSIVE)
        sys.exit(EXIT_OK)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="napi-check")
def main() -> None:
    """Model checker for the kernel's NAPI packet-polling machinery."""


def _in_bundle(root: Path, p: Path) -> Path:
    """With --bundled, ``napi_basic`` or ``models/napi_basic/n2.toml`` name a part of the bundle."""
    if p.exists():
        return p
    rel = Path(*p.parts[1:]) if p.parts and p.parts[0] == "models" else p
    return root / rel if (root / rel).exists() else p


def _config_files(paths: tuple[Path, ...], bundled: bool, note: Console, verbose: bool) -> list[Path]:
    """The configuration files to verify: the paths given, the bundled ones (--bundled), or by default
    ./models — falling back to the bundled configurations, saying so, where there is none."""
    from checker.bundled import bundled_models

    targets = list(paths)
    if bundled or not paths:
        here = Path("models")
        if not bundled and here.is_dir():
            targets = [here]
        else:
            root = bundled_models()
            if root is None:
                _fail("this installation of napi-check has no bundled configurations; name configuration files or folders")
            if not bundled:
                note.print(f"no models/ folder here: verifying the configurations bundled with napi-check ({root})",
                           markup=False)
            targets = [_in_bundle(root, p) for p in targets] if targets else [root]
    skipped: list[tuple[Path, str]] = []
    try:
        files = find_configs(targets, skipped)
    except ConfigError as err:
        _fail(str(err))
    if verbose:
        for f, why in skipped:
            note.print(f"skipped {f}: {why}", markup=False)
    if not files:
        _fail(f"no configuration files (*.toml naming a spec) in {', '.join(map(str, targets))}")
    return files


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--bundled", is_flag=True, help="Verify the configurations bundled with napi-check, from any folder "
              "(all, or the PATHS given inside the bundle, e.g. napi_basic or linux/linux618.toml).")
@click.option("--engine", "engine", default=None, help="Engine(s) to use instead of the configurations' "
              "(comma-separated, or 'all').")
@click.option("--spec", "spec_ref", default=None, metavar="SPEC",
              help="Check this spec instead of the configurations' own: a spec file (relative to the working "
              "folder), a module of an installed package, or a registered spec name.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Write result.json, junit.xml, report.html, command.txt and every counterexample "
              "(<config>.<property>.itf.json, .mmd, .dot) into this folder (also when interrupted).")
@click.option("--raw-traces", is_flag=True, help="Show counterexamples as the engine found them, without "
              "searching for an equally short one with fewer actors and context switches.")
@click.option("--max-states", type=int, default=None, callback=_positive_int, help="Stop after this many distinct states.")
@click.option("--max-depth", type=int, default=None, callback=_positive_int, help="Explore at most this many steps deep.")
@click.option("--max-seconds", type=float, default=None, callback=_positive_float, help="Stop each engine after this long.")
@click.option("--store", type=click.Choice(["exact", "fingerprint", "compact"]), default=None,
              help="How visited states are kept: exact (default), fingerprint (64-bit hashes, lossy, spills to "
              "disk), or compact (exact, tree-compressed in memory with the BFS levels, parents and steps on disk: "
              "~4x fewer bytes a state on the native C loop; out of --memory-mb it stops inconclusive).")
@click.option("--memory-mb", type=int, default=None, callback=_positive_int,
              help="Fingerprint store: MiB of memory for visited fingerprints before they spill to disk "
              "(default: a quarter of this machine's memory, at most 8 GiB). Compact store: MiB for its tables "
              "(default: twice that).")
@click.option("--workers", type=click.IntRange(1, 1024), default=None,
              help="Explicit engine: threads (numpy loop) or processes (packed kernel) on large BFS levels (default 1).")
@click.option("--cluster", metavar="ADDRESS", default=None, callback=_cluster_address,
              help="Explicit engine on a Ray cluster: local:N (N workers on this machine), auto, or HOST:PORT of "
              "a running cluster (`ray start --head`). Needs: pip install 'napi-check[cluster]'.")
@click.option("--symmetry", is_flag=True, default=None,
              help="Explicit engine: symmetry reduction by the spec's declared symmetry (safety only).")
@click.option("--stop-at-first-violation", "stop_first", is_flag=True, default=None,
              help="Explicit engine: stop at the first violation found (the other properties are then inconclusive).")
@click.option("--max-traces", type=int, default=None, callback=_positive_int,
              help="Counterexamples of distinct causes shown per violated property (default 3; see docs).")
@click.option("--progress-every", "progress_every", type=float, default=60.0, show_default=True, callback=_interval,
              help="Off a terminal: print a progress line every this many seconds (0: never). "
              "On a terminal the status line is live.")
@click.option("--coverage", is_flag=True, help="Print how often each step fired.")
@click.option("--no-traces", is_flag=True, help="Do not print counterexample traces.")
@click.option("-v", "--verbose", is_flag=True, help="Every configuration in full (statistics, each property, "
              "traces of expected violations too), the summary table, and skipped files.")
@click.option("-q", "--quiet", is_flag=True, help="Only what needs attention and the closing count.")
@click.option("--full-initial", is_flag=True, help="Show every variable of a trace's initial state (default: "
              "shared state only, not program counters, actor locals and ghosts at their start values).")
def verify(
    paths: tuple[Path, ...],
    bundled: bool,
    engine: str | None,
    spec_ref: str | None,
    out_dir: Path | None,
    max_states: int | None,
    max_depth: int | None,
    max_seconds: float | None,
    store: str | None,
    memory_mb: int | None,
    workers: int | None,
    cluster: str | None,
    symmetry: bool | None,
    stop_first: bool | None,
    max_traces: int | None,
    progress_every: float,
    raw_traces: bool,
    coverage: bool,
    no_traces: bool,
    verbose: bool,
    full_initial: bool,
    quiet: bool,
) -> None:
    """Verify configurations (files or folders; default: models/, else the bundled ones).

    One line per configuration; a configuration that did not meet its expectation is shown in
    full, with its traces. -v shows every configuration in full."""
    from checker.cluster.connect import ClusterError
    from checker.input_errors import check_out_dir
    from checker.interrupt import Interrupted, exit_code, raise_pending, stop_on_signals
    from checker.interrupt_outcome import unfinished_outcome
    from checker.output import write_results
    from checker.progress import Reporter
    from checker.report import print_compact, print_outcome, print_summary
    from checker.trace.prefer import prefer_simple_outcome
    from checker.verify import FAIL, UNKNOWN, run_config

    con = _console()
    err_con = _console(stderr=True)
    known_engines = engine_names()
    engines: list[str] | None = None
    if engine:
        from checker.input_errors import did_you_mean

        engines = sorted(known_engines) if engine == "all" else [e.strip() for e in engine.split(",")]
        bad = [e for e in engines if e not in known_engines]
        if bad:
            _fail(f"--engine: unknown engine {bad[0]!r} ({did_you_mean(bad[0], known_engines, 'engines')}, or all)")
    if out_dir is not None:
        why = check_out_dir(out_dir)
        if why:
            _fail(f"--out {out_dir}: {why}")
    files = _config_files(paths, bundled, err_con, verbose)
    specs = _specs()
    spec_override = None
    if spec_ref is not None:
        from checker.spec_loader import SpecLoadError, resolve_spec

        try:
            spec_override = resolve_spec(spec_ref, Path.cwd(), specs)
        except SpecLoadError as err:
            _fail(str(err) if err.where else f"--spec: {err}")
    overrides = {"max_states": max_states, "max_depth": max_depth, "max_seconds": max_seconds, "store": store,
                 "workers": workers, "cluster": cluster, "symmetry": symmetry or None,
                 "stop_at_first_violation": stop_first or None, "max_traces": max_traces, "memory_mb": memory_mb}
    outcomes = []
    errors: list[str] = []
    stopped: Interrupted | None = None
    error_files = 0
    with stop_on_signals() as signals:
        cfg: Config | None = None
        reporter: Reporter | None = None
        try:
            for f in files:
                cfg, reporter = None, None
                try:
                    cfg = load_config(f, specs, known_engines, spec_override)
                    limits = {**cfg.limits, **{k: v for k, v in overrides.items() if v is not None}}
                    reporter = Reporter(err_con, cfg.name, limits, progress_every, on_report=lambda: raise_pending(signals))
                    with reporter.session():
                        outcome = run_config(cfg, engines, overrides, reporter)
                    raise_pending(signals)  # a signal whose exception a solver callback swallowed
                except ConfigError as err:
                    error_files += 1
                    for line in err.lines():
                        errors.append(line)
                        err_con.print(f"error: {line}", markup=False, highlight=False)
                    continue
                except ClusterError as err:  # an address nobody answers at: input the user must fix
                    _fail(f"{'--cluster' if cluster else f'{cfg.path if cfg else f}: limits.cluster'}: {err}")
                except (MemoryError, RuntimeError) as err:
                    if not (isinstance(err, MemoryError) or isinstance(err.__cause__, MemoryError)) or cfg is None:
                        raise
                    outcome = unfinished_outcome(cfg, reporter.last if reporter else None,
                                                 "out of memory: lower max_states, or use store = \"compact\" "
                                                 "(or a larger memory_mb)",
                                                 engines, reporter.elapsed() if reporter else 0.0)
                if not raw_traces:
                    prefer_simple_outcome(outcome)
                outcomes.append(outcome)
                cfg = None  # finished: an interrupt from here on loses nothing of it
                if verbose:
                    print_outcome(con, outcome, show_traces=not no_traces, show_coverage=coverage,
                                      full_initial=full_initial)
                elif not quiet or outcome.status != "pass" or outcome.warnings:  # a warning needs attention
                    print_compact(con, outcome, show_traces=not no_traces)
        except Interrupted as sig:
            stopped = sig
            where = reporter.line() if reporter is not None and cfg is not None else "between configurations"
            err_con.print(f"\n{sig.signame}: stopped: {where}", markup=False, highlight=False)
            if cfg is not None:
                outcomes.append(unfinished_outcome(cfg, reporter.last if reporter else None,
                                                   f"interrupted by {sig.signame}", engines,
                                                   reporter.elapsed() if reporter else 0.0))
                print_compact(con, outcomes[-1])
        print_summary(con, outcomes, error_files, table=verbose)
        if stopped is not None:
            code = exit_code(stopped.signum)
        elif errors:
            code = EXIT_USAGE
        elif any(o.status == FAIL for o in outcomes):
            code = EXIT_VIOLATION
        elif any(o.status == UNKNOWN for o in outcomes):
            code = EXIT_INCONCLUSIVE
        else:
            code = EXIT_OK
        if out_dir is not None:
            try:
                write_results(out_dir, outcomes, errors, code, ["napi-check", *_Main.invoked_with])
            except OSError as err:
                _fail(f"--out {out_dir}: cannot write: {err.strerror or err}")
            except Interrupted as sig:
                err_con.print(f"{sig.signame} while writing {out_dir}/: its files may be incomplete", markup=False)
                code = exit_code(sig.signum)
            if not quiet:
                con.print(f"results written to {out_dir}/ (result.json, junit.xml, report.html)", markup=False)
    if stopped is not None:
        err_con.print(f"stopped by {stopped.signame}: exit {code} (verdicts of unfinished configurations are "
                      "inconclusive)", markup=False)
    sys.exit(code)


@main.command("list")
@click.argument("names", nargs=-1)
def list_cmd(names: tuple[str, ...]) -> None:
    """Specs, and the bundled configurations. NAMES: a spec (its constants, properties — safety and
    temporal —, versions and bundled configurations) or a folder or file of configurations."""
    from checker.input_errors import did_you_mean
    from checker.spec_listing import print_configurations, print_spec, print_specs

    from checker.spec_loader import all_specs

    con = _console()
    broken: dict[str, str] = {}
    specs = all_specs(broken)  # shipped, and installed packages' entry points
    if not names:
        print_specs(con, specs, broken)
        return
    for name in names:
        if name in specs:
            print_spec(con, specs[name], specs)
        elif Path(name).exists():
            print_configurations(con, [Path(name)], specs)
        else:
            _fail(f"list: {name!r} is neither a spec nor a file or folder ({did_you_mean(name, specs, 'specs')})")


def _trace_specs(trace: Path, spec_file: Path | None) -> dict:
    """The specs to replay ``trace`` with: the shipped ones, and the one the trace records (a user's file,
    module or entry point, see checker.spec_loader). Warns when that spec changed since the trace was
    written; a spec that is gone is one line and exit 2. Anything wrong with the file itself is left
    to the caller to report."""
    import json

    from checker.spec_loader import SpecLoadError, entry_points, spec_for_trace

    specs = _specs()
    if not trace.is_file():
        return specs  # missing, a folder or a FIFO (reading it would block)
    try:
        meta = json.loads(trace.read_text(encoding="utf-8"))["#meta"]
    except Exception:  # unreadable, not JSON, nested too deep, no #meta: not for us to judge
        return specs
    if not isinstance(meta, dict) or not isinstance(meta.get("spec"), str):
        return specs
    if spec_file is None and not isinstance(meta.get("spec_source"), dict) and (
            meta["spec"] in specs or meta["spec"] not in entry_points()):
        return specs  # a shipped spec, or one nobody provides (the caller says "unknown spec")
    try:
        spec, warning = spec_for_trace(meta, trace, specs, spec_file)
    except SpecLoadError as err:
        _fail(str(err) if err.where else f"{trace}: {err}")
    except (TypeError, AttributeError, KeyError):
        _fail(f"{trace}: #meta.spec_source: malformed (kind, path, absolute, module, sha256 must be strings)")
    if warning:
        _console(stderr=True).print(f"warning: {trace}: {warning}", markup=False)
    return {**specs, meta["spec"]: spec}


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--promela", "promela", is_flag=True, required=True,
              help="Write the configuration as a Promela model for SPIN (the only format so far).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="File to write (default: stdout).")
def export(config: Path, promela: bool, output: Path | None) -> None:
    """Write a configuration's model, derived from the spec's IR, for another tool (SPIN)."""
    from checker.export.promela import Unsupported, to_promela
    from checker.verify import instantiate

    err_con = _console(stderr=True)
    try:
        cfg = load_config(config, _specs(), engine_names())
        system, _ = instantiate(cfg)
        names = cfg.properties or [p.name for p in system.properties]
        for n in names:
            if n not in {p.name for p in system.properties + system.liveness}:
                raise ConfigError(config, "properties", f"spec {cfg.spec.name!r} has no property {n!r}")
        model = to_promela(system, [p for p in system.properties if p.name in names])
    except ConfigError as err:
        err_con.print(f"error: {err}", markup=False)
        sys.exit(EXIT_USAGE)
    except Unsupported as err:
        err_con.print(f"error: {config}: cannot be written as Promela: {err}", markup=False)
        sys.exit(EXIT_USAGE)
    if output is None:
        click.echo(model.text, nl=False)
        return
    output.write_text(model.text, encoding="utf-8")
    err_con.print(f"{output}: {len(system.transitions)} steps, {len(model.properties)} safety properties "
                  f"(SPIN stores the model's states + 1)", markup=False)


@main.command()
@click.argument("trace", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
              help="How to show the trace: terminal view (default), Mermaid sequence diagram, or Graphviz DOT.")
@click.option("--full-initial", is_flag=True, help="Show every variable of the initial state.")
@click.option("--spec", "spec_file", type=click.Path(path_type=Path), default=None,
              help="The spec file the trace was written against, when it moved since.")
def replay(trace: Path, fmt: str, full_initial: bool, spec_file: Path | None) -> None:
    """Re-execute a saved trace (ITF JSON) on its spec; exit 0 if it is a valid run ending in its violation,
    1 if it is not, 2 if the file is not a trace napi-check can read (a corrupt trace).

    A trace of a user's spec records the spec's file (or module) and the sha256 of its source: a spec
    file that is gone is an error (exit 2; name its new place with --spec); one that changed since is
    replayed as it is now, after a warning.
    """
    from checker.spec_loader import SpecLoadError
    from checker.trace.corrupt import CorruptTrace, check_shape, load_checked
    from checker.trace.itf import read_itf
    from checker.trace.replay import replay as do_replay
    from checker.trace.text import render_trace
    from checker.trace.views import ViewError, compile_views

    con = _console()
    err_con = _console(stderr=True)
    try:
        check_shape(trace, _specs())  # before anything reads it: a FIFO, bad bytes, wrong types
        tr, compiled = load_checked(trace, _trace_specs(trace, spec_file))
    except CorruptTrace as err:
        _fail(f"{trace}: corrupt trace: {err}")
    except SpecLoadError as err:  # the user's spec fails to build: its file and line
        _fail(str(err) if err.where else f"{trace}: {err}")
    try:
        views = compile_views(read_itf(trace).views, compiled)
    except (ViewError, ValueError) as err:
        _fail(f"{trace}: views: {err}")
    res = do_replay(tr, compiled)
    if fmt == "text":
        con.print(render_trace(tr, f"{trace}: {tr.property} ({tr.kind}), {len(tr)} steps", views or None,
                               full_initial),
                  markup=False, highlight=False)
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
        out.print(f"VALID: {res.message}", markup=False, highlight=False)
        sys.exit(EXIT_OK)
    out.print(f"INVALID: {res.message}", markup=False, highlight=False)
    sys.exit(EXIT_VIOLATION)


if __name__ == "__main__":
    main()
