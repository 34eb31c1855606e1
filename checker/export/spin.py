"""The ``spin`` engine: the configuration exported to Promela, verified by SPIN, read back.

An independent oracle for the explicit engine on the real specs: SPIN explores the exported
model (:mod:`checker.export.promela`) breadth-first (``pan`` built with ``-DBFS -DSAFETY
-DNOREDUCE``, run with ``-c0`` so it goes on past errors and reports every violated property),
and this engine reports its state count (``states, stored`` minus ``atomic steps``
-- pan's "nominal states" -- minus ``STATE_OFFSET``) and a verdict per safety property. As in the explicit engine, violating
states are expanded; a state that violates an invariant and in which a step raises is pruned
(pan reports ``assertion violated (x_prune==0)``, counted here, not an error), and properties
not violated are then inconclusive. Each violated property gets SPIN's own shortest trace: ``pan`` is
rebuilt with ``-DONLY=k`` (only property ``k`` asserted), stops at its first violation, and
``spin -t -p`` replays the trail; its ``d_step`` branches are mapped back to the spec's steps
and re-executed on the compiled semantics (verify replays them again before showing them).

Temporal properties are not exported (inconclusive here). Without ``spin`` or a C compiler on
the PATH every property is inconclusive ("spin not installed"), which is not an error.
Options (``[options]`` of a configuration, all optional): ``spin_hash_bits`` (pan's ``-w``,
default 22), ``spin_memory_mb`` (``-DMEMLIM``, default 8192), ``spin_cc_opt`` (the C compiler's
optimisation flag, default ``-O2``; ``-O0`` builds faster for small models).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.engines import EngineInput
from checker.export.promela import STATE_OFFSET, PromelaModel, Unsupported, to_promela
from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import Property
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult, PropertyResult, Stats, Trace

SAFETY = ("invariant", "transition", "deadlock")
_TAG = re.compile(r"assertion violated \(.*?\(\((\d+)==\1\)&&")
_SITE = re.compile(r"assertion violated \((\d+)==0\)")
_PRUNED = re.compile(r"assertion violated \(x_prune==0\)")  # NOTE_PRUNE: a pruned state, not an error
_STEP = re.compile(r"^\s*(\d+):\s+proc\s+\d+\s+\(\S+\)\s+\S+?:(\d+)\s")


def tools() -> tuple[str | None, str | None]:
    """The spin and C compiler executables, or None for each that is missing."""
    cc = os.environ.get("CC") or next((c for c in ("gcc", "cc", "clang") if shutil.which(c)), None)
    return shutil.which("spin"), (shutil.which(cc) if cc else None)


@dataclass
class PanRun:
    """What one run of pan reported."""

    stored: int | None
    tags: set[int] = field(default_factory=set)  # properties whose assertion failed
    pruned: int = 0  # states pruned: they violate an invariant and a step raises in them
    sites: list[int] = field(default_factory=list)  # modelling-error sites, in the order reported
    complete: bool = True
    note: str = ""
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    depth: int = 0
    transitions: int = 0
    output: str = ""


class Pan:
    """One exported model in a working folder: build pan (with ``-DONLY=only``) and run it."""

    def __init__(self, model: PromelaModel, work: Path, spin: str, cc: str, options: dict) -> None:
        self.model = model
        self.work = work
        self.spin = spin
        self.cc = cc
        self.hash_bits = int(options.get("spin_hash_bits", 22))
        self.memory_mb = int(options.get("spin_memory_mb", 8192))
        self.opt = str(options.get("spin_cc_opt", "-O2"))
        (work / "model.pml").write_text(model.text)

    def build(self, only: int | None = None) -> Path:
        d = self.work / ("all" if only is None else f"only{only}")
        d.mkdir(exist_ok=True)
        shutil.copy(self.work / "model.pml", d / "model.pml")
        defs = [] if only is None else [f"-DONLY={only}"]
        # -o2: keep write-only variables (ghosts read only by temporal properties) in the state
        # vector; SPIN would otherwise drop them and merge states the explicit engine tells apart
        _run([self.spin, "-o2", *defs, "-a", "model.pml"], d)
        vec = max(1024, 2 * self.model.vector_bytes)
        _run([self.cc, self.opt, "-DBFS", "-DSAFETY", "-DNOREDUCE", f"-DVECTORSZ={vec}", f"-DMEMLIM={self.memory_mb}",
              "-o", "pan", "pan.c"], d)
        return d

    def run(self, d: Path, every_error: bool, timeout: float | None) -> PanRun:
        args = ["./pan", f"-w{self.hash_bits}"] + (["-c0"] if every_error else [])
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            return PanRun(None, complete=False, note=f"SPIN stopped at the time limit ({timeout:g} s)",
                          seconds=time.perf_counter() - t0, output=out)
        wall = time.perf_counter() - t0
        m = re.search(r"(\d+) states, stored", out)
        am = re.search(r"(\d+) atomic steps", out)  # states stored inside atomic sequences: not model states
        r = PanRun(int(m.group(1)) - (int(am.group(1)) if am else 0) if m else None, seconds=wall, output=out)
        r.tags = {int(x) for x in _TAG.findall(out)}
        r.pruned = len(_PRUNED.findall(out))
        for x in _SITE.findall(out):
            if int(x) not in r.sites:
                r.sites.append(int(x))
        tm = re.search(r"(\d+) transitions \(= stored\+matched\)", out)
        r.transitions = int(tm.group(1)) if tm else 0
        dm = re.search(r"depth reached (\d+)", out)
        r.depth = int(dm.group(1)) if dm else 0
        t = re.search(r"pan: elapsed time ([\d.e+-]+) seconds", out)
        if t and float(t.group(1)) > 0:
            r.seconds = float(t.group(1))
        if m is None or "out of memory" in out or "aborting" in out.lower():
            r.complete = False
            r.note = "SPIN did not finish: " + (out.strip().splitlines() or ["no output"])[-1]
        return r

    def trail_steps(self, d: Path, only: int | None) -> list[int]:
        """The line of the model where each step of pan's trail starts, in order."""
        defs = [] if only is None else [f"-DONLY={only}"]
        out = _run([self.spin, *defs, "-t", "-p", "model.pml"], d).stdout
        steps: dict[int, int] = {}
        for line in out.splitlines():
            m = _STEP.match(line)
            if m:
                steps.setdefault(int(m.group(1)), int(m.group(2)))
        return [steps[k] for k in sorted(steps)]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return out


def _trace(compiled: CompiledSystem, model: PromelaModel, lines: list[int], prop: str, kind: str) -> Trace | None:
    """pan's trail as a trace of the spec (None if it does not map onto the spec's steps)."""
    system = compiled.system
    states = [system.init_state()]
    steps = []
    failing = None
    for ln in lines:
        b = model.branch_at(ln)
        if b is None:
            continue  # the initial d_step
        if b.kind == "deadlock":
            break
        assert b.tid is not None
        t = system.transitions[b.tid]
        try:
            nxt = compiled.step(states[-1], b.tid)
        except StepError:
            failing = t
            break
        if nxt is None or b.kind == "error":
            return None
        states.append(nxt)
        steps.append(t)
    tr = Trace(system, states, steps, prop, kind, engine="spin")
    if kind == "error":
        if failing is None:
            return None
        tr.failing_step = failing
    return tr


def run(inp: EngineInput) -> EngineResult:
    t0 = time.perf_counter()
    safety = [p for p in inp.properties if p.kind in SAFETY]
    others = [p for p in inp.properties if p.kind not in SAFETY]
    spin, cc = tools()

    def undecided(note: str, ps: list[Property]) -> list[PropertyResult]:
        return [PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="spin", note=note) for p in ps]

    live_note = "the spin engine checks safety properties only (use the explicit engine)"
    if spin is None or cc is None:
        missing = "spin" if spin is None else "a C compiler (gcc, cc or clang)"
        return EngineResult("spin", undecided(f"inconclusive: {missing} not installed", safety)
                            + undecided(live_note, others), Stats(seconds=time.perf_counter() - t0))
    try:
        model = to_promela(inp.system, safety)
    except Unsupported as err:
        return EngineResult("spin", undecided(f"not exported to Promela: {err}", safety) + undecided(live_note, others),
                            Stats(seconds=time.perf_counter() - t0))
    timeout = inp.limits.get("max_seconds")
    with tempfile.TemporaryDirectory(prefix="napi-spin-") as tmp:
        pan = Pan(model, Path(tmp), spin, cc, inp.options)
        try:
            built = pan.build()
            t_built = time.perf_counter()
            main = pan.run(built, every_error=True, timeout=timeout)
        except RuntimeError as err:
            return EngineResult("spin", [PropertyResult(p.name, p.kind, ERROR, engine="spin", note=str(err)[:500])
                                         for p in safety] + undecided(live_note, others),
                                Stats(seconds=time.perf_counter() - t0), error=f"spin engine: {err}"[:2000])
        stats = Stats(states=(main.stored - STATE_OFFSET) if main.stored is not None else 0,
                      transitions=max(main.transitions - STATE_OFFSET, 0),
                      depth=max(main.depth - STATE_OFFSET, 0), seconds=main.seconds)
        stats.exhausted = main.complete and not main.sites
        if not main.complete:
            stats.limit_hit = "time" if "time limit" in main.note else "memory"
        result = EngineResult("spin", [], stats)
        if main.sites:
            site = model.sites[main.sites[0]]
            where = inp.system.transitions[site.tid].key if site.tid is not None else "an invariant"
            result.error = f"modelling error (SPIN) in step {where}: {site.what}"
            lines = _trail(pan, 0, timeout)
            if lines is not None:
                result.error_trace = _trace(inp.compiled, model, lines, "modelling error", "error")
        for k, p in enumerate(safety, start=1):
            if k in main.tags:
                lines = _trail(pan, k, timeout)
                kind = "deadlock" if p.kind == "deadlock" else "safety"
                tr = _trace(inp.compiled, model, lines, p.name, kind) if lines is not None else None
                if tr is None:
                    result.properties.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="spin",
                                                            note="SPIN reports a violation, but its trail does not "
                                                                 "map onto the spec's steps"))
                else:
                    result.properties.append(PropertyResult(p.name, p.kind, VIOLATED, tr, engine="spin"))
            elif main.complete and not main.sites and main.pruned:
                result.properties.append(PropertyResult(
                    p.name, p.kind, INCONCLUSIVE, engine="spin",
                    note="not fully examined: past a violation of an invariant a step raises, so the search "
                         "could not go on there (SPIN, as the explicit engine)"))
            elif main.complete and not main.sites:
                result.properties.append(PropertyResult(
                    p.name, p.kind, HOLDS, engine="spin",
                    note=f"SPIN BFS: {stats.states:,} states (+{STATE_OFFSET} of its own), pan {main.seconds:.2f} s, "
                         f"export and build {t_built - t0:.1f} s"))
            else:
                why = main.note or "a modelling error stopped the check"
                result.properties.append(PropertyResult(p.name, p.kind, INCONCLUSIVE, engine="spin", note=why))
        result.properties += undecided(live_note, others)
    return result  # stats.seconds: pan's search (the build is in the notes)


def _trail(pan: Pan, only: int, timeout: float | None) -> list[int] | None:
    """Rebuild pan keeping only property ``only``'s assertions (0: none, so the first error is a
    modelling error), run it to its first error, and read the trail's steps."""
    d = pan.build(only)
    r = pan.run(d, every_error=False, timeout=timeout)
    if not (d / "model.pml.trail").exists():
        return None
    if only and only not in r.tags:
        return None
    return pan.trail_steps(d, only)


__all__ = ["run", "tools"]
