"""IC3/PDR through Z3's Spacer (``z3.Fixedpoint``, engine ``spacer``).

The Horn clauses, over one relation ``Inv`` of the flattened state::

    Inv(init)
    Inv(post_t(x))  :- Inv(x), pre(x), enabled_t(x)       one rule per transition t
    Err             :- Inv(x), wf(x), bad(x)               state targets
    Err             :- Inv(x), pre(x), enabled_t(x), ¬Q(x, post_t(x))   transition properties

where ``pre`` is only the type constraint ``wf`` while every target is open (see
:class:`Spacer`); every body assuming the types changes no reachable state and halves
Spacer's time on napi_basic (bench/README.md).

Polarity: ``query(Err)`` is **unsat when the targets are safe** and sat when a bad state is
reachable. On unsat the cover of ``Inv`` is the inductive invariant; it is checked
independently (:mod:`checker.symbolic.invariant_check`) before a proof is claimed. On sat the
counterexample is found again by BMC, so that it is the shortest and replays like every other.
The invariant is also compiled to Python (``detail["concrete_invariant"]``) so that
:mod:`checker.verify` can evaluate it on every state the explicit engine reached.

All open targets are asked together (one proof covers every property); when Spacer finds a
violation, BMC finds the first ones with shortest traces and Spacer is asked about the rest.
"""

from __future__ import annotations

import os
import time
from typing import Any

import z3

from checker.lang.pycompile import CompiledSystem
from checker.result import HOLDS, INCONCLUSIVE, VIOLATED
from checker.symbolic.bmc import Bmc, Outcome
from checker.symbolic.invariant_check import check_invariant, compile_invariant, show_invariant
from checker.symbolic.on_reached import CONCRETE
from checker.symbolic.problem import SEED, Problem, Target, timeout_ms
from checker.symbolic.reason import in_words
from checker.symbolic.translate import SState


_DEBUG = bool(os.environ.get("NAPI_PDR_DEBUG"))


class Spacer:
    """One Fixedpoint instance asking whether any of ``targets`` is reachable."""

    def __init__(self, prob: Problem, targets: list[Target], timeout: int, restrict: bool = True,
                 assume: z3.BoolRef | None = None) -> None:
        """``assume``: a known inductive invariant over ``enc.state("")`` (the induct engine's Houdini
        result), conjoined to every rule body so that Spacer only learns what it lacks."""
        self.prob = prob
        enc = prob.enc
        self.x: SState = enc.state("")
        fp = z3.Fixedpoint()
        fp.set(engine="spacer")
        fp.set("xform.slice", False)
        fp.set("xform.inline_linear", False)
        fp.set("xform.inline_eager", False)
        fp.set("spacer.random_seed", SEED)
        fp.set("spacer.eq_prop", False)  # measured: about 1.3x faster on napi_basic, never slower
        fp.set("timeout", timeout)
        self.fp = fp
        sorts = [c.sort() for c in self.x.flat]
        self.inv = z3.Function("Inv", *sorts, z3.BoolSort())
        self.err = z3.Function("Err", z3.BoolSort())
        fp.register_relation(self.inv, self.err)
        fp.declare_var(*self.x.flat)
        fp.rule(self.inv(*enc.init_values()))
        # For all targets at once the restriction to expanded states changes nothing (a path through
        # an unexpanded state meets a bad state first) and only makes Spacer's job harder.
        # Every body assumes the types (wf, part of pre): it changes no reachable state (the initial
        # state is well-formed and a step that would leave a type raises instead), spares Spacer
        # learning the ranges, and the independent check conjoins wf anyway. Measured on napi_basic
        # N=1 RING=1024 WEIGHT=64: query 2.9 s -> 1.4 s with the simplified bodies and eq_prop off.
        wf = enc.wf(self.x)
        if assume is not None:
            wf = z3.And(wf, assume)
        pre = z3.simplify(prob.pre(self.x)) if restrict else wf
        if restrict and assume is not None:
            pre = z3.And(pre, assume)
        inv_x = self.inv(*self.x.flat)
        for t in prob.system.transitions:
            sem = enc.sem(t, self.x)
            enabled = z3.simplify(sem.enabled)
            if z3.is_false(enabled):
                continue
            fp.rule(self.inv(*[z3.simplify(v) for v in enc.post_flat(t, self.x)]), [inv_x, pre, enabled])
        for tg in targets:
            if tg.edge:
                for t in prob.system.transitions:
                    sem = enc.sem(t, self.x)
                    post = SState("'", sem.post, [], [], [])
                    fp.rule(self.err(), [inv_x, pre, z3.simplify(prob.bad_step(tg, self.x, sem, post))])
            else:
                fp.rule(self.err(), [inv_x, wf, z3.simplify(prob.bad(tg, self.x))])

    def query(self) -> z3.CheckSatResult:
        return self.fp.query(self.err())

    def invariant(self) -> z3.BoolRef:
        """The inductive invariant after an unsat query, over the state variables ``x``."""
        cover = self.fp.get_cover_delta(-1, self.inv)
        return z3.substitute_vars(cover, *self.x.flat)


def spacer_ms(limits: dict[str, Any], deadline: float) -> int:
    """The Spacer query's timeout. Spacer's one query is the whole proof, so with ``max_seconds``
    it gets every second left of the engine's time (a user asking for 120 s gets 120 s, not the
    60 s default of ``query_timeout``); without, ``query_timeout``."""
    if deadline == float("inf"):
        return timeout_ms(limits)
    return max(1, int((deadline - time.perf_counter()) * 1000))


def _prove(prob: Problem, targets: list[Target], limits: dict[str, Any], restrict: bool,
           deadline: float) -> tuple[str, str, dict]:
    """Ask Spacer about ``targets`` together: (verdict, note, detail). The query's timeout is
    :func:`spacer_ms`."""
    timeout = spacer_ms(limits, deadline)
    sp = Spacer(prob, targets, timeout, restrict=restrict)
    t0 = time.perf_counter()
    try:
        r = sp.query()
    except z3.Z3Exception as err:  # a timeout surfaces as "canceled"
        return INCONCLUSIVE, f"inconclusive: Spacer stopped: {in_words(err)}", {}
    secs = time.perf_counter() - t0
    print(f"[pdr] {[t.name for t in targets]}: {r} in {secs:.2f} s") if _DEBUG else None
    if r == z3.unknown:
        return INCONCLUSIVE, f"inconclusive: Spacer stopped: {in_words(sp.fp.reason_unknown())}", {}
    if r == z3.sat:
        return VIOLATED, "", {}
    inv = sp.invariant()
    ok, why = check_invariant(prob, sp.x, inv, targets, timeout_ms(limits))
    if not ok:
        return INCONCLUSIVE, f"Spacer's invariant failed the independent check: {why}", {}
    lines = show_invariant(prob, sp.x, inv)
    detail: dict[str, Any] = {"invariant": lines, "spacer_seconds": round(secs, 3)}
    try:  # for the check on every state the explicit engine reaches (checker.symbolic.on_reached)
        detail[CONCRETE] = compile_invariant(prob, sp.x, inv)
    except ValueError as err:
        detail[CONCRETE + "_error"] = str(err)
    note = (f"proved by Spacer with an inductive invariant of {len(lines)} conjunct(s), independently checked "
            "(Init ⇒ Inv, Inv ∧ T ⇒ Inv', Inv ⇒ P)")
    return HOLDS, note, detail


def _still_open(prob: Problem, open_: list[Target], decided: dict[str, Outcome]) -> list[Target]:
    """The targets still to decide; the PRUNED one only while some property is not violated (it
    can make only those inconclusive)."""
    left = [tg for tg in open_ if tg.name not in decided]
    if all(decided.get(tg.name) is not None and decided[tg.name].verdict == VIOLATED
           for tg in prob.targets if tg.prop is not None):
        left = [tg for tg in left if tg.kind != "pruned"]
    return left


def run_pdr(prob: Problem, compiled: CompiledSystem, limits: dict[str, Any], deadline: float) -> dict[str, Outcome]:
    """Spacer on the open targets together; while it finds a violation, BMC (incremental, one solver
    for the whole run) finds the shortest traces of the targets violated first, and Spacer is asked
    again about the rest (now restricted to states from which the explicit engine would go on)."""
    results: dict[str, Outcome] = {}
    open_ = list(prob.targets)
    bound = int(limits.get("max_bound", 200))
    restrict = False  # with every target open the restriction changes nothing (see Spacer)
    # A short BMC probe first: Spacer is slow to find counterexamples that BMC finds in seconds.
    # At most a quarter of the engine's time, so that a tight max_seconds still leaves Spacer most of it.
    now = time.perf_counter()
    probe_end = now + min(float(limits.get("bmc_probe_seconds", 2.0)), (deadline - now) / 4)
    bmc = Bmc(prob, compiled, open_, timeout_ms(limits), engine="pdr", deadline=deadline)
    while bmc.open and not bmc.stopped and bmc.checked < bound and time.perf_counter() < probe_end:
        for name, o in bmc.advance().items():
            if o.verdict == VIOLATED:
                results[name] = o
    open_ = _still_open(prob, open_, results)
    restrict = len(open_) < len(prob.targets)
    while open_ and not bmc.stopped:
        if time.perf_counter() > deadline:
            for tg in open_:
                results[tg.name] = Outcome(INCONCLUSIVE, note="time limit reached")
            break
        verdict, note, detail = _prove(prob, open_, limits, restrict, deadline)
        if verdict != VIOLATED:
            for tg in open_:
                results[tg.name] = Outcome(verdict, note=note, detail=detail)
            break
        found: dict[str, Outcome] = {}
        while not found and bmc.open and bmc.checked < bound and time.perf_counter() < deadline:
            found = bmc.advance()
        if not found:
            for tg in open_:
                results[tg.name] = Outcome(INCONCLUSIVE, note=f"Spacer says a violation is reachable, but BMC "
                                                              f"found no trace within {bmc.checked} steps")
            break
        for name, o in found.items():
            if o.verdict == VIOLATED:
                o.note = "Spacer: reachable; " + o.note
            results[name] = o
        open_ = _still_open(prob, open_, {**results, **found})
        if bmc.stopped:  # a modelling error ends the run, as in the explicit engine
            break
        restrict = True
    return results
