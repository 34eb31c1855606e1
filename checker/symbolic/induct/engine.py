"""``--engine induct``: inductive invariants inferred from explicitly reached states.

0. **Symbolic constants.** The spec's data bounds (RING, WEIGHT, BUDGET, ...) become Z3
   integers above their declared minimum when the spec uses them uniformly (:mod:`.symbolic`),
   so that one proof covers every value; otherwise, or for what that proof misses, the
   configuration's values.
1. **Mine.** The explicit engine explores the configuration (up to ``options.induct_states``
   states, default 500,000: a cut-short exploration still gives candidates, since nothing is
   claimed from them until Z3 has proved them), and with symbolic constants two more
   instances. A violation it finds is reported with its replayed trace. Atoms are read off the
   IR's types (:mod:`.atoms`); every clause of up to three literals true on every reached state
   is a candidate (:mod:`.mine`).
2. **Houdini** (:mod:`.houdini`) over the grounded Z3 translation keeps the largest inductive
   subset of the candidates together with the properties themselves (a property is a
   candidate like any other).
3. **Strengthen.** A property Houdini had to drop is given to Spacer with the Houdini
   invariant conjoined to every rule body (:class:`checker.symbolic.pdr.Spacer`), so Spacer
   only learns the lemmas the mined clauses lack.
4. **Minimise and check.** Unsat cores shrink the invariant to the clauses the proved
   properties need; a fresh solver then checks ``Init ⇒ J``, ``J ∧ T ⇒ J'`` per step and
   ``J ⇒ P`` (:func:`checker.symbolic.invariant_check.check_invariant`), and the invariant,
   compiled to Python, is evaluated on every state the mining run reached. Only then is a
   property reported as holding, with the invariant printed in the spec's names.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import z3

from checker.engines import EngineInput
from checker.explicit.bfs import Limits, explore
from checker.lang.expr import ModelError
from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import Property, System
from checker.result import ERROR, HOLDS, INCONCLUSIVE, VIOLATED, EngineResult
from checker.symbolic.bmc import Outcome
from checker.symbolic.engine import _deadline, _query_ms, assemble
from checker.symbolic.induct.atoms import Atom, atoms_of, guard_atoms
from checker.symbolic.induct.houdini import Houdini, Timeout
from checker.symbolic.induct.mine import Clause, ClauseEvaluator, atom_columns, mine
from checker.symbolic.induct.concrete import compile_clauses
from checker.symbolic.induct.cti import cti_lines
from checker.symbolic.induct.readable import clause_line
from checker.symbolic.induct.strengthen import MAX_CLAUSES, Blocker
from checker.symbolic.induct.subterms import property_atoms as subterm_atoms
from checker.symbolic.induct.symbolic import (
    DATA_BOUNDS, Symbolic, SymbolicEncoder, concretise, make_symbolic, rename, symbolic_properties,
)
from checker.symbolic.invariant_check import check_invariant, conjuncts, show
from checker.symbolic.on_reached import CHECKED, CONCRETE
from checker.symbolic.problem import ERROR as ERROR_TARGET
from checker.symbolic.problem import SAFETY_KINDS, Problem, Target
from checker.symbolic.translate import SState, concrete_flat

ENGINE = "induct"
#: states explored forward from each counterexample to induction (``induct_forward``)
FORWARD = 2000
#: with more candidates than this, Houdini asks step by step (``options.induct_per_step_above``)
PER_STEP_ABOVE = 5000
#: the share of the engine's remaining time Spacer may take
SPACER_SHARE = 0.5
#: the share of the engine's remaining time the minimisation's second pass may take
MINIMISE_SHARE = 0.5
#: constants that count instances: never symbolic, named first in a claim
COUNTS = ("N", "CPUS")
#: states a mining run explores at most (``options.induct_states``)
MINE_STATES = 500_000


def clause_term(atoms: list[Atom], x: SState, cl: Clause) -> z3.BoolRef:
    lits = [atoms[i].term(x) if pol else z3.Not(atoms[i].term(x)) for i, pol in cl]
    return lits[0] if len(lits) == 1 else z3.Or(*lits)


def _state_target(prob: Problem, tg: Target, x: SState) -> z3.BoolRef:
    return z3.Not(prob.bad(tg, x))


@dataclass
class Instance:
    """One explicit mining run: a concrete System, its reached states and their flat values."""

    system: System
    compiled: CompiledSystem
    states: list[tuple]
    values: np.ndarray
    consts: list[int]  # the symbolic constants' values in this instance ([] when concrete)


class Setting:
    """What a proof is about: the Problem (concrete, or over symbolic constants), its state ``x``,
    the atoms, and how atoms read on a concrete instance or a solver model."""

    def __init__(self, system: System, props: list[Property], sym: Symbolic | None = None,
                 property_atoms: bool = True, guards: bool = True, cone: bool = False) -> None:
        self.sym = sym
        if sym is None:
            self.prob = Problem(system, props)
        else:
            self.prob = Problem(sym.system, symbolic_properties(sym, props), SymbolicEncoder(sym))
        self.x = self.prob.enc.state("")
        self.atoms = atoms_of(self.prob.system, self.x)
        if property_atoms:  # the properties' own predicates (held, quiescent, on a list) as atoms
            own = [tg.prop.expr for tg in self.prob.targets if tg.kind == "invariant" and tg.prop is not None]
            self.atoms += subterm_atoms(own, self.prob.enc, self.x)
        if guards:  # what the steps branch on (``rc == budget``) where the ranges do not say it
            self.atoms += guard_atoms(self.prob.enc, self.x, self.atoms)
        if cone:  # only the variables that can change what the properties read (induct.cone)
            from checker.symbolic.induct.cone import in_cone

            self.atoms = in_cone(self.prob.system, props, self.atoms)
        self._evaluators: dict[tuple[int, ...], ClauseEvaluator] = {}

    def problem(self, props: list[Property]) -> Problem:
        """A fresh Problem over the same setting, for the independent check."""
        if self.sym is None:
            return Problem(self.prob.system, props)
        return Problem(self.sym.system, props, SymbolicEncoder(self.sym))

    def atoms_at(self, consts: list[int]) -> list[Atom]:
        return self.atoms if self.sym is None else concretise(self.atoms, consts)

    def text(self, t: str) -> str:
        return t if self.sym is None else rename(t, self.sym.names)

    def evaluator(self, clauses: list[Clause]) -> Callable[[z3.ModelRef | None, np.ndarray], np.ndarray]:
        """Clauses on flat rows; with symbolic constants, the atoms read at the model's values."""

        def ev(m: z3.ModelRef | None, rows: np.ndarray) -> np.ndarray:
            key: tuple[int, ...] = ()
            if self.sym is not None and m is not None:
                key = tuple(m.eval(z3.Int(n), model_completion=True).as_long() for n in self.sym.names)
            if key not in self._evaluators:
                self._evaluators[key] = ClauseEvaluator(self.atoms_at(list(key)), clauses)
            return self._evaluators[key](rows)

        return ev

    def claim(self, system: System) -> str:
        """For which parameters a proof holds, in words: the instance counts, every value of the
        symbolic constants (or the configuration's values), then the other constants that differ
        from the spec's defaults ("for N = 2, CPUS = 2, every RING ≥ 1, WEIGHT ≥ 1, BUDGET ≥ 1
        (with busy_poll, DEFER = 1)")."""
        return claim_text(system, self.sym)


def claim_text(system: System, sym: Symbolic | None) -> str:
    consts = dict(system.constants)
    spec = system.spec_def
    counts = [f"{k} = {consts[k]}" for k in COUNTS if k in consts]
    if sym is not None:
        data = ["every " + sym.claim()]
        taken = set(sym.names)
    else:
        data = [f"{k} = {consts[k]}" for k in DATA_BOUNDS if k in consts]
        taken = set(DATA_BOUNDS)
    rest = []
    for k, v in consts.items():
        c = spec.constant(k) if spec is not None else None
        if k in COUNTS or k in taken or (c is not None and c.default == v):
            continue
        rest.append(k if v is True else f"{k} = {v}")
    main = ", ".join(counts + data)
    if not main and not rest:  # a system without constants: nothing to say
        return ""
    return f"for {main}" + (f" (with {', '.join(rest)})" if rest else "")


class Run:
    """One run of the engine on one configuration."""

    def __init__(self, inp: EngineInput) -> None:
        self.inp = inp
        self.t0 = time.perf_counter()
        self.cpu0 = time.process_time()
        self.deadline = _deadline(inp, self.t0)
        self.props = [p for p in inp.properties if p.kind in SAFETY_KINDS]
        self.prob = Problem(inp.system, self.props)
        self.stats: dict[str, Any] = {}
        self._lap = self.cpu0
        #: the every-N pass's outcomes, and why it did not prove the others (``induct_instances``)
        self.all_n_results: dict[str, Outcome] = {}
        self.not_all_n: dict[str, str] = {}

    def lap(self, phase: str) -> None:
        """Record the CPU seconds of ``phase`` (since the previous lap) in the statistics."""
        now = time.process_time()
        self.stats[f"cpu_{phase}"] = round(self.stats.get(f"cpu_{phase}", 0) + now - self._lap, 2)
        self._lap = now
        if os.environ.get("NAPI_INDUCT_DEBUG"):
            print(f"[induct] {phase}: {self.stats}", flush=True)

    def limit(self, key: str, default: Any) -> Any:
        return self.inp.options.get(key, self.inp.limits.get(key, default))

    # 1. mining
    def explore(self, compiled: CompiledSystem, share: float = 3) -> EngineResult:
        secs = None
        if self.deadline != float("inf"):
            secs = max(0.5, (self.deadline - time.perf_counter()) / share)
        lim = Limits(int(self.limit("induct_states", MINE_STATES)), None, secs)
        props = [compiled.system.prop(p.name) for p in self.props]
        return explore(compiled, props, lim, "exact", self.inp.progress if compiled is self.inp.compiled else None)

    def instance(self, res: EngineResult, system: System, compiled: CompiledSystem, consts: list[int]) -> Instance:
        states = list(res.reached()) if res.reached is not None else []
        values = np.array([concrete_flat(system, s) for s in states], dtype=np.int64).reshape(len(states), -1)
        return Instance(system, compiled, states, values, consts)

    def run(self) -> EngineResult:
        res = self.explore(self.inp.compiled)
        self.stats["states"] = res.stats.states
        self.stats["explored_fully"] = res.stats.limit_hit is None
        outcomes: dict[str, Outcome] = {}
        for pr in res.properties:
            if pr.verdict == VIOLATED and pr.trace is not None:
                pr.trace.engine = ENGINE
                outcomes[pr.name] = Outcome(VIOLATED, pr.trace, note="found while mining (explicit search)")
        if res.error is not None:
            out = EngineResult(ENGINE, [], res.stats, res.error, res.error_trace)
            for pr in res.properties:
                pr.engine = ENGINE
                if pr.verdict != VIOLATED:
                    pr.verdict, pr.note = ERROR, res.error
                out.properties.append(pr)
            return out
        open_ = [tg for tg in self.prob.targets if tg.name not in outcomes]
        if len(open_) > 1 or (open_ and open_[0].name != ERROR_TARGET):
            try:
                outcomes.update(self.prove_all(res, open_))
            except Timeout:
                # what the every-N pass decided (a proof, or a violation found from its counterexample
                # to induction) stands; the rest is cut short, with why it was not proved for every N
                outcomes.update(self.all_n_results)
                for tg in open_:
                    why = self.not_all_n.get(tg.name)
                    outcomes.setdefault(tg.name, Outcome(INCONCLUSIVE, note="time limit reached" + (
                        f"; not proved for every {self.inp.options['induct_instances']}: {why}" if why else "")))
        out = assemble(ENGINE, self.inp, outcomes, self.t0)
        out.stats.states = res.stats.states
        out.stats.transitions = res.stats.transitions
        return out

    def prove_all(self, res: EngineResult, targets: list[Target]) -> dict[str, Outcome]:
        """Symbolic data bounds first (when the spec has them and uses them uniformly), then the
        configuration's own values for whatever that did not prove."""
        system = self.inp.system
        base = self.instance(res, system, self.inp.compiled, [])
        results: dict[str, Outcome] = {}
        not_all_n: dict[str, str] = {}
        if self.inp.options.get("induct_instances"):  # every number of instances (induct.param)
            results, not_all_n = self.every_n(targets)
            self.all_n_results, self.not_all_n = dict(results), not_all_n  # kept if the fixed-N pass times out
            targets = [tg for tg in targets if tg.name not in results]
            if not targets:  # all proved for every N: a fixed-N pass would only risk the time limit
                return results
            if time.perf_counter() > self.deadline:
                # the every-N pass used the time up: a fixed-N pass would mine and build its solvers
                # before its first deadline check (busy poll every N, --max-seconds 240: 11.5 min wall)
                return results | {tg.name: Outcome(INCONCLUSIVE, note=not_all_n.get(
                                      tg.name, "time limit reached in the every-N pass")) for tg in targets}
        sym = self.symbolic()
        refused = ""
        sym_failed: dict[str, str] = {}  # why the symbolic pass did not prove a property
        if sym is not None:
            refused = "; ".join(f"{k} stays concrete: {v}" for k, v in sym.refused.items())
            instances = [replace(base, consts=[int(system.constants[n]) for n in sym.names])]
            for consts in self.mining_values(sym):
                inst = self.mine_instance(sym, consts)
                if inst is not None:
                    instances.append(inst)
            try:
                setting = Setting(system, self.props, sym, self.property_atoms(), self.guard_atoms(), self.cone())
            except ValueError as err:  # a constant used non-linearly
                setting = None
                refused = str(err)
            if setting is not None:
                names = {tg.name for tg in targets}
                sym_targets = [tg for tg in setting.prob.targets if tg.name in names]
                try:
                    got = self.prove(setting, instances, sym_targets)
                except ValueError as err:  # a numeral near a sentinel that is not RING + k
                    got, refused = {}, str(err)
                results.update({k: o for k, o in got.items() if o.verdict == HOLDS})
                sym_failed = {k: o.note.split(";")[0] for k, o in got.items() if o.verdict != HOLDS and o.note}
        elif self.inp.options.get("induct_symbolic"):
            refused = "no data bound of this spec can be made symbolic"
        left = [tg for tg in targets if tg.name not in results]
        if left and (len(left) > 1 or left[0].name != ERROR_TARGET):
            got = self.prove(Setting(system, self.props, None, self.property_atoms(), self.guard_atoms(), self.cone()),
                             [base], left)
            for name, o in got.items():
                why = "; ".join(w for w in (sym_failed.get(name, ""), refused) if w)
                if why and o.verdict == HOLDS:
                    o.note += f"; for the configuration's constants only ({why})"
            results.update(got)
        for name, why in not_all_n.items():  # proved (or not) at this N only: say why not for every N
            if name in results:
                results[name].note += f"; not proved for every {self.inp.options['induct_instances']}: {why}"
        return results

    def every_n(self, targets: list[Target]) -> tuple[dict[str, Outcome], dict[str, str]]:
        from checker.symbolic.induct.param import every_n

        names = [tg.name for tg in targets if tg.prop is not None]
        got, why = every_n(self.inp, self.props, names, self.deadline, _query_ms(self.inp))
        self.lap("all_n")
        return got, why

    def property_atoms(self) -> bool:
        return bool(self.limit("induct_property_atoms", True))

    def guard_atoms(self) -> bool:
        return bool(self.limit("induct_guard_atoms", True))

    def cone(self) -> bool:
        return bool(self.limit("induct_cone", False))

    def symbolic(self) -> Symbolic | None:
        want = self.limit("induct_symbolic", "auto")
        spec = self.inp.system.spec_def
        if spec is None or want is False or want == []:
            return None
        names = list(DATA_BOUNDS) if want in ("auto", True) else [str(n) for n in want]
        names = [n for n in names if n in self.inp.system.constants]
        return make_symbolic(spec, self.inp.system.constants, names, ordered=True) if names else None

    def mining_values(self, sym: Symbolic) -> list[list[int]]:
        """Other values mined at: every symbolic constant at its lower bound, and every one at one
        above the configuration's value (two more explicit runs, whatever the number of constants)."""
        base = [int(self.inp.system.constants[n]) for n in sym.names]
        out = [sym.admit(list(sym.lows)), [b + 1 for b in base]]
        return [v for k, v in enumerate(out) if v != base and v not in out[:k]]

    def mine_instance(self, sym: Symbolic, consts: list[int]) -> Instance | None:
        assert self.inp.system.spec_def is not None
        vals = dict(self.inp.system.constants)
        vals.update(dict(zip(sym.names, consts)))
        system = self.inp.system.spec_def.instantiate(vals)
        compiled = CompiledSystem.build(system)
        res = self.explore(compiled, share=8)
        if res.error is not None or any(pr.verdict == VIOLATED for pr in res.properties):
            return None  # a violation at other values: the symbolic proof would fail anyway
        return self.instance(res, system, compiled, consts)

    # 2-4
    def prove(self, setting: Setting, instances: list[Instance], targets: list[Target]) -> dict[str, Outcome]:
        prob, x = setting.prob, setting.x
        atoms = setting.atoms
        cols = np.concatenate([atom_columns(setting.atoms_at(i.consts), i.values) for i in instances], axis=1)
        mined = mine(atoms, np.zeros((0, 0)), max_len=int(self.limit("induct_literals", 3)), cols=cols)
        clauses = mined.clauses
        self.stats.update(atoms=len(atoms), candidates=len(clauses), mined_states=int(cols.shape[1]))
        state_targets = [tg for tg in targets if not tg.edge]
        terms = [clause_term(atoms, x, c) for c in clauses] + [_state_target(prob, tg, x) for tg in state_targets]
        if setting.sym is not None:
            enc = prob.enc
            assert isinstance(enc, SymbolicEncoder)
            terms = [enc.subst(t, x) for t in terms]
        self.lap("mine")
        nc_all = len(clauses)
        ev = setting.evaluator(clauses)
        forward = None
        if setting.sym is None and int(self.limit("induct_forward", FORWARD)) > 0:
            forward = self.forward_fn(prob, x, lambda rows: ev(None, rows), state_targets)
        depends = None
        if len(terms) > int(self.limit("induct_per_step_above", PER_STEP_ABOVE)):
            depends = np.ones((len(terms), len(x.flat)), dtype=bool)  # properties: read everything
            depends[:nc_all] = False
            for k, cl in enumerate(clauses):
                for i, _ in cl:
                    depends[k, list(atoms[i].reads())] = True
        h = Houdini(prob, x, terms, ev, self.deadline, forward, depends, watch_from=nc_all)
        blocker = self.blocker(setting, h, cols)
        if blocker is not None and os.environ.get("NAPI_INDUCT_DEBUG"):  # for its diagnosis of a CTI not blocked
            blocker.rows = np.concatenate([i.values for i in instances], axis=0)
        live = h.run()
        terms = h.pre  # with the strengthening clauses added after the properties
        self.lap("houdini")
        nc = len(clauses)
        added = dict(blocker.added) if blocker is not None else {}
        if blocker is not None:
            self.stats.update(block_cpu=round(blocker.cpu, 2), block_calls=blocker.calls, blocked=h.blocked,
                              block_failed=blocker.failed, block_clauses=len(added), block_mirrored=blocker.mirrored,
                              block_kept=int(sum(live[i] for i in added)))
        proved = [tg for k, tg in enumerate(state_targets) if live[nc + k]]
        dropped = [tg for k, tg in enumerate(state_targets) if not live[nc + k]]
        edge = [tg for tg in targets if tg.edge]
        self.stats.update(houdini_calls=h.calls, houdini_rounds=len(h.rounds), houdini_kept=int(live[:nc].sum()))
        results: dict[str, Outcome] = {}
        # a property Houdini dropped: Spacer with the Houdini invariant in every rule body
        spacer_inv = None
        if dropped or edge:
            spacer_inv, spacer_note = self.strengthen(prob, dropped + edge, [terms[i] for i in np.nonzero(live)[0]])
            if spacer_inv is None:
                claim = setting.claim(self.inp.system)
                for tg in dropped + edge:
                    detail = self.cti_detail(setting, h, nc, state_targets, tg)
                    note = f"not proved{' ' + claim if claim else ''}: {spacer_note}"
                    if detail.get("cti"):
                        key = detail["cti"]["transition"]
                        t = next(t for t in setting.prob.system.transitions if t.key == key)
                        note += f"; counterexample to induction at {key} [{t.function}] (its trace: -v)"
                    if blocker is not None and blocker.failed:
                        note += (f"; no wider clause over the atoms excludes it ({blocker.failed} CTI(s) not blocked: "
                                 "its atoms match a reached or initial state, or generalising it ran out of budget)")
                    results[tg.name] = Outcome(INCONCLUSIVE, note=note, detail=detail)
            else:
                proved += dropped + edge
        self.lap("spacer")
        if not proved:
            return results
        if any(tg.name == ERROR_TARGET for tg in targets) and not any(tg.name == ERROR_TARGET for tg in proved):
            for tg in proved:
                results[tg.name] = Outcome(INCONCLUSIVE, note="absence of modelling errors not shown")
            return results
        # minimise (unsat cores) over the Houdini invariant, unless Spacer's lemmas were needed
        roots = [nc + k for k, tg in enumerate(state_targets) if tg in proved]
        minimize = bool(self.limit("induct_minimize", True))
        lemmas: list[z3.BoolRef] = []
        if spacer_inv is None:
            support = h.support(roots, minimize, self.minimise_share())
        else:
            support, lemmas = self.support_with_lemmas(prob, x, terms, live, nc, state_targets, dropped, spacer_inv,
                                                       minimize and not edge)
        self.lap("minimise")
        # mined clauses, then strengthening clauses (blocked counterexamples to induction)
        keep = [i for i in support if i < nc] + [i for i in support if i in added]
        kept = [clauses[i] if i < nc else added[i] for i in keep]
        n_blocked = sum(1 for i in keep if i in added)
        # the properties are conjuncts of the invariant too (each is a candidate Houdini kept)
        inv_terms = [terms[i] for i in support] + lemmas
        inv = z3.And(*inv_terms) if inv_terms else z3.BoolVal(True)
        lines = [setting.text(clause_line(atoms, cl)) + ("    (CTI blocked)" if i in added else "")
                 for i, cl in zip(keep, kept)]
        types = dict(zip(x.names, x.types))
        lines += [setting.text(show(lm, types)) + "    (Spacer)" for lm in lemmas]
        # independent check on fresh solvers, for the proved properties only
        check_prob = setting.problem([tg.prop for tg in proved if tg.prop is not None])
        ok, why = check_invariant(check_prob, x, inv, check_prob.targets, _query_ms(self.inp))
        if not ok:
            for tg in proved:
                results[tg.name] = Outcome(INCONCLUSIVE, note=f"the inferred invariant failed the independent check: {why}")
            return results
        self.lap("check")
        detail: dict[str, Any] = {"invariant": lines, "clauses": len(keep)}
        on_reached = ""
        checked = 0
        for inst in instances:  # the invariant on every state the mining runs reached
            concrete = compile_clauses(inst.system, setting.atoms_at(inst.consts), kept, lines[: len(keep)])
            if inst.system is self.inp.system:
                detail[CONCRETE] = concrete
            bad = next((s for s in inst.states if not concrete.holds(s)), None)
            if bad is not None:  # the mining run reached it: an engine is wrong
                for tg in proved:
                    results[tg.name] = Outcome(ERROR, note="the inferred invariant is false on a reached state")
                return results
            checked += len(inst.states)
        on_reached = f"; holds on all {checked:,} states the mining runs reached"
        detail[CHECKED] = checked
        self.lap("on_reached")
        cpu = time.process_time() - self.cpu0
        self.stats["cpu_seconds"] = round(cpu, 2)
        detail["stats"] = dict(self.stats)
        if os.environ.get("NAPI_INDUCT_DEBUG"):
            print(f"[induct] {self.stats}")
        how = "Houdini" + (" + CTI blocking" if n_blocked else "") + (" + Spacer" if spacer_inv is not None else "")
        claim = setting.claim(self.inp.system)
        if setting.sym is not None:
            detail["parameters"] = claim
        mined_from = f"mined from {checked:,} reached states ({len(clauses):,} candidates"
        mined_from += f"; {n_blocked} of them blocking counterexamples to induction)" if n_blocked else ")"
        note = (f"proved{' ' + claim if claim else ''} by {how}: an inductive invariant of {len(keep)} clause(s) "
                f"{mined_from}, independently checked "
                f"(Init ⇒ J, J ∧ T ⇒ J', J ⇒ P){on_reached}; {cpu:.1f} s CPU")
        for tg in proved:
            results[tg.name] = Outcome(HOLDS, note=note, detail=detail)
        return results

    def minimise_share(self) -> float:
        """Seconds the second minimisation pass may take: a share of what is left, so that a
        deadline leaves time for the independent check (past it, the first closure is kept)."""
        left = self.deadline - time.perf_counter()
        return left if left == float("inf") else max(0.0, left * MINIMISE_SHARE)

    def blocker(self, setting: Setting, h: Houdini, cols: np.ndarray) -> Blocker | None:
        """Strengthening for the properties Houdini would drop (``options.induct_generalise``, default
        true): their counterexamples to induction blocked by generalised clauses (:mod:`.strengthen`)."""
        if not self.limit("induct_generalise", True):
            return None
        atoms, x, enc = setting.atoms, setting.x, setting.prob.enc

        def term(cl: Clause) -> z3.BoolRef:
            t = clause_term(atoms, x, cl)
            return enc.subst(t, x) if isinstance(enc, SymbolicEncoder) else t

        def reads(cl: Clause) -> np.ndarray:
            row = np.zeros(len(x.flat), dtype=bool)
            for i, _ in cl:
                row[list(atoms[i].reads())] = True
            return row

        b = Blocker(h, len(atoms), term, cols, reads, int(self.limit("induct_block_clauses", MAX_CLAUSES)),
                    self.deadline)
        h.block = b.block
        h.block_late = bool(self.limit("induct_block_late", False))
        count = self.limit("induct_mirror", False)
        if count:  # mirror images of every blocking clause under a swap of two instances (induct.mirror)
            from checker.symbolic.induct.mirror import mirror_for

            b.mirror = mirror_for(setting.prob.system, list(x.names), atoms, "N" if count is True else str(count))
        return b

    def forward_fn(self, prob: Problem, x: SState, evaluate: Callable[[np.ndarray], np.ndarray],
                   state_targets: list[Target]) -> Callable[[z3.ModelRef], np.ndarray]:
        """Candidates on the states reachable from a counterexample's pre-state (explicit successors,
        breadth-first, at most ``induct_forward`` states): clauses vectorised, invariant properties
        compiled; the other targets (errors, deadlocks) count as true there (never dropping is safe)."""
        system, compiled, enc = self.inp.system, self.inp.compiled, prob.enc
        cap = int(self.limit("induct_forward", FORWARD))
        checks = [compiled.state_fn(tg.prop.expr) if tg.kind == "invariant" and tg.prop is not None else None
                  for tg in state_targets]

        def successors(s: tuple) -> list[tuple[int, tuple]]:
            try:
                return list(compiled.successors(s))
            except (StepError, ModelError):
                pass
            out = []
            for t in system.transitions:  # one at a time: a step that raises here is left out
                try:
                    v = compiled.step(s, t.index)
                except (StepError, ModelError):
                    continue
                if v is not None:
                    out.append((t.index, v))
            return out

        def forward(m: z3.ModelRef) -> tuple[np.ndarray, Callable[[int], list[tuple[int, tuple]]]]:
            start = enc.decode(m, x)
            parent: dict[tuple, tuple[tuple, int] | None] = {start: None}
            frontier = [start]
            while frontier and len(parent) < cap:
                nxt = []
                for s in frontier:
                    for tid, v in successors(s):
                        if v not in parent and len(parent) < cap:
                            parent[v] = (s, tid)
                            nxt.append(v)
                frontier = nxt
            states = list(parent)
            rows = np.array([concrete_flat(system, s) for s in states], dtype=np.int64)
            props = np.ones((len(checks), len(states)), dtype=bool)
            for k, f in enumerate(checks):
                if f is not None:
                    for j, s in enumerate(states):
                        try:
                            props[k, j] = bool(f(s))
                        except (ArithmeticError, IndexError, TypeError, ValueError):
                            props[k, j] = False  # raising in the property: false, as in the explicit engine

            def path(j: int) -> list[tuple[int, tuple]]:
                out = []
                s = states[j]
                while parent[s] is not None:
                    prev, tid = parent[s]  # type: ignore[misc]
                    out.append((tid, s))
                    s = prev
                return out[::-1]

            return np.concatenate([evaluate(rows), props]), path

        return forward

    def support_with_lemmas(self, prob: Problem, x: SState, terms: list[z3.BoolRef], live: np.ndarray, nc: int,
                            state_targets: list[Target], dropped: list[Target], cover: z3.BoolRef,
                            minimize: bool) -> tuple[list[int], list[z3.BoolRef]]:
        """After Spacer: the live candidates and Spacer's lemmas are inductive together and imply the
        dropped properties; the same unsat-core closure as :meth:`Houdini.support` shrinks both.
        Returns (indices into ``terms`` kept, lemmas kept)."""
        lemmas = [c for c in conjuncts(z3.simplify(cover)) if not z3.is_true(c)]
        live_idx = [int(i) for i in np.nonzero(live)[0]]
        if not minimize:
            return live_idx, [z3.And(*lemmas)] if lemmas else []
        dropped_idx = [nc + state_targets.index(tg) for tg in dropped]
        pool = live_idx + dropped_idx
        terms2 = [terms[i] for i in pool] + lemmas
        h2 = Houdini(prob, x, terms2, lambda m, rows: np.zeros((0, len(rows)), dtype=bool), self.deadline)
        roots = [k for k, i in enumerate(pool) if i >= nc]
        kept = h2.support(roots, True, self.minimise_share())
        return ([pool[k] for k in kept if k < len(pool)], [lemmas[k - len(pool)] for k in kept if k >= len(pool)])

    def strengthen(self, prob: Problem, targets: list[Target], known: list[z3.BoolRef]) -> tuple[z3.BoolRef | None, str]:
        """Spacer on ``targets`` with the Houdini invariant assumed; (its own lemmas, inductive together
        with ``known``, or None; note)."""
        from checker.symbolic.pdr import Spacer

        if not self.limit("induct_strengthen", True):
            return None, "not implied by the mined invariant (Spacer not asked: induct_strengthen = false)"
        left = self.deadline - time.perf_counter()
        # at most half of what is left: the properties Houdini proved still need their
        # minimisation and independent check when Spacer gives up
        timeout = _query_ms(self.inp) if left == float("inf") else max(1, int(left * SPACER_SHARE * 1000))
        assume = z3.And(*known) if known else None
        sp = Spacer(prob, targets, timeout, restrict=False, assume=assume)
        try:
            r = sp.query()
        except z3.Z3Exception as err:
            return None, f"not implied by the mined invariant, and Spacer gave up: {err}"
        if r == z3.unsat:
            return sp.invariant(), ""
        if r == z3.sat:
            return None, "not implied by the mined invariant; Spacer reports a reachable violation (run --engine bmc)"
        return None, f"not implied by the mined invariant, and Spacer gave up: {sp.fp.reason_unknown()}"

    def cti_detail(self, setting: Setting, h: Houdini, nc: int, state_targets: list[Target],
                   tg: Target) -> dict[str, Any]:
        """The counterexample to induction that made Houdini drop ``tg``, in the spec's names: the
        step (context, kernel function), the pre-state and what changed, and as a trace from the
        pre-state to the state that breaks ``tg`` (:mod:`.cti`)."""
        from checker.lang.pycompile import flat_values

        if tg not in state_targets:
            return {}
        k = nc + state_targets.index(tg)
        m = h.ctis.get(k)
        if m is None:
            return {}
        prob, x = setting.prob, setting.x
        system, enc = prob.system, prob.enc
        consts: dict[str, int] = {}
        if setting.sym is not None and self.inp.system.spec_def is not None:
            consts = {n: m.eval(z3.Int(n), model_completion=True).as_long() for n in setting.sym.names}
            system = self.inp.system.spec_def.instantiate({**self.inp.system.constants, **consts})
        tid = m.eval(h.tid, model_completion=True).as_long()
        pre_t, post_t = enc.decode(m, x), enc.decode(m, h.x2)
        path = h.cti_paths.get(k)
        if path is None:
            path = [(tid, post_t)]
        pre = flat_values(system, pre_t)
        post = flat_values(system, post_t)
        out: dict[str, Any] = {"cti": {"transition": system.transitions[tid].key, "invariant": tg.name,
                                       "pre_state": pre,
                                       "changed": {a: v for a, v in post.items() if pre.get(a) != v}}}
        if consts:
            out["cti"]["constants"] = consts
        out["cti_lines"] = cti_lines(system, tg.name, pre_t, path, consts)
        return out


def run_induct(inp: EngineInput) -> EngineResult:
    return Run(inp).run()
