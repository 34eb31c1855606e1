"""Is an every-N counterexample to induction reachable? A real bug, or an invariant language too weak.

The every-N pass (:mod:`.param`) drops a property on a *counterexample to induction* (CTI): a Z3
model of the instance-sort translation (:mod:`.param_tr`) in which a pre-state satisfies every kept
clause and one step template leads to a state falsifying the property. Houdini never asks whether
that pre-state is reachable. This module asks, on the executable semantics, at one small size:

0. **Ask again, small.** (:meth:`.param.AllN._smaller`) Z3's first model often has RING in the
   thousands and lists holding instances it does not name; the same question is asked again with
   the constants near their least values, the lists short and holding only the named instances,
   loosening step by step: the CTI this module grounds (and the one printed) is that model.
1. **Ground.** The instances the CTI is about are the distinct values the model gives to the
   step's instance parameters and head choices, the instance-valued state (``softirq.cur[0]``), the
   distinguished instances (the busy poller's target) and the instances the property fails for:
   ``E``. (The other constants of the verification condition's universe, ``first`` and a second
   witness the property does not use, only stand for "some other instance": like every instance
   outside ``E`` they are left free, so ``M`` stays the size the step and the property need.) A list
   abstracted to counts and a length whose length exceeds the counts of ``E`` holds entries of
   instances outside ``E``: ``M = |E| + (the largest such excess)`` instances (if the counts of
   ``E`` alone exceed the length, no list of any size has them: the pre-state cannot be grounded at
   any N). The spec is built at N = M with the constants at the model's values (RING = 3 ...).
2. **Name.** Every one-to-one map of ``E`` onto ``0..M-1`` that sends each distinguished instance
   to its grounded number and agrees with the model's placements (``irq_cpu(i) == c`` under the
   grounded rule) is a way the CTI can sit in the grounded system; all of them are tried at once.
3. **Agree.** A grounded state *agrees* with the CTI's pre-state under a map ``g`` when every
   variable that is not per instance has the model's value (instance-valued ones through ``g``),
   every per-instance variable has the model's value at ``g(e)`` for each ``e`` in ``E`` (pairs of
   ``E`` for a relation), and every list has the model's length and, for each ``e``, the model's
   count of ``e``. Not compared: instances outside ``E`` (see 1), the order of a
   list (``before``, which the counts abstraction keeps only as a relation) and per-instance values
   that name an instance outside ``E``. Leaving these out only lets more states agree, so "no
   reachable state agrees" stays a sound statement; a reported violation does not rest on
   agreement at all (it is replayed).
4. **Search.** The explicit explorer runs the grounded configuration, checking the property and
   "no state agrees with the pre-state" (an invariant built in the IR), under a state cap and the
   run's deadline. Then:

   * a state agrees and one of its steps breaks the property, or the property fails anywhere:
     the run is a counterexample at N = M (preferring the trace through the CTI's pre-state and
     its own step); it is replayed (:func:`checker.trace.replay.replay`) before it is reported;
   * the search ended with no state agreeing: the pre-state is unreachable at N = M with these
     constants — the invariant language was too weak to exclude it, not a bug in the spec; since
     the CTI leaves other instances free, N = M + 1 is then searched too (within the spec's bound
     on N and the time left), and its answer said as well;
   * a state agrees but no step from it breaks the property, and the search ended with the
     property holding: the pre-state is reachable, and only the abstraction (e.g. a pop from the
     counts may take any queued instance, not the head) lets the CTI's step break the property;
   * the search was cut short: said so, and nothing more.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import z3

from checker.explicit.bfs import Limits, explore
from checker.lang import And, Not, Or
from checker.lang.expr import Expr, ModelError
from checker.lang.family import InstId
from checker.lang.pycompile import CompiledSystem, StepError
from checker.lang.system import Property, System, Transition
from checker.lang.types import Array, Flags, Type
from checker.result import HOLDS, VIOLATED, Trace
from checker.symbolic.induct.param_tr import FArr, Flg, PSeq, PTr

#: the largest grounded size searched
MAX_N = 5
#: states the grounded search explores at most (``options.induct_cti_states``)
STATES = 3_000_000
#: seconds it takes at most, within the run's deadline
SECONDS = 120.0
#: ways of naming the CTI's instances in the grounded system tried at once, at most
MAX_MAPS = 720
#: the name of the search's extra invariant
PRE = "the counterexample's pre-state is not reached"


@dataclass
class CTIModel:
    """A counterexample to induction of the every-N pass, as Houdini found it."""

    prop: str
    step: Transition  # the step template
    model: Any  # z3.ModelRef
    pre: dict[int, Any]  # the pre-state's terms, by slot
    ivs: dict[Any, Any]  # the step's instance parameters: ivar key -> Inst term
    heads: list[Any]  # the head choices the step made
    witnesses: list[Any]  # the property's instances it fails for
    universe: list[Any]


@dataclass
class Reach:
    """What the grounded search said of a CTI."""

    verdict: str  # violation | unreachable | reachable | unknown | ungroundable
    text: str
    trace: Trace | None = None
    n: int | None = None
    constants: dict[str, Any] = field(default_factory=dict)
    states: int = 0
    cpu: float = 0.0


class Grounding:
    """One CTI read off its model (the instances E, the constants, the lists' excess)."""

    def __init__(self, tr: PTr, cti: CTIModel) -> None:
        self.tr = tr
        self.cti = cti
        m = cti.model
        self.ev = lambda t: m.eval(t, model_completion=True)
        self.sym = {n: self.ev(c).as_long() for n, c in zip(tr.sym_names, tr.sym)}
        # the instances the CTI speaks of, in a stable order (the step's own first)
        terms = [*cti.ivs.values(), *cti.heads, *tr.insts_of(cti.pre), *tr.named.values(), *cti.witnesses]
        self.elems: list[str] = []
        self.rep: dict[str, Any] = {}
        for t in terms:
            e = str(self.ev(t))
            if e not in self.rep:
                self.elems.append(e)
                self.rep[e] = t
        self.excess = 0
        self.why = ""
        for name, s in self._seqs():
            length = self.ev(s.length).as_long()
            counted = sum(self.ev(s.cnt[self.rep[e]]).as_long() for e in self.elems)
            if counted > length:  # distinct instances' entries of a real list add up to at most its length
                self.why = (f"its counts of {name} over the instances it names add up to {counted}, more than "
                            f"the list's length {length}: no list holds that, so it is no state of the spec at "
                            f"any N (the counts abstraction allows it; the invariant language does not exclude it)")
            self.excess = max(self.excess, length - counted)

    def _seqs(self) -> list[tuple[str, PSeq]]:
        out = []
        for var in self.tr.system.vars:
            v = self.cti.pre[var.slot]
            if isinstance(v, PSeq):
                out.append((var.name, v))
            elif isinstance(v, list):
                out.extend((f"{var.name}[{k}]", x) for k, x in enumerate(v) if isinstance(x, PSeq))
        return out

    @property
    def size(self) -> int:
        return len(self.elems) + self.excess

    def maps(self, system: System, n: int) -> list[dict[str, int]]:
        """Every one-to-one map of the CTI's instances onto ``0..n-1`` that sends each distinguished
        instance to its grounded number and keeps the model's placements."""
        fixed: dict[str, int] = {}
        for fam in system.families:
            for name, gid in fam.grounded_named.items():
                if name in self.tr.named:
                    e = str(self.ev(self.tr.named[name]))
                    if fixed.setdefault(e, gid) != gid:
                        return []  # two distinguished instances the model merges, grounded apart
        places: list[tuple[str, Any, int]] = []
        for fam in system.families:
            for name, pl in fam.placements.items():
                if name in self.tr.places:
                    places.extend((e, pl.rule, self.ev(self.tr.places[name](self.rep[e])).as_long())
                                  for e in self.elems)
        out = []
        for ids in itertools.permutations(range(n), len(self.elems)):
            g = dict(zip(self.elems, ids))
            if all(g[e] == gid for e, gid in fixed.items()) and all(rule(g[e]) == c for e, rule, c in places):
                out.append(g)
                if len(out) > MAX_MAPS:
                    break
        return out

    # ---- agreement with the pre-state (see the module docstring)
    def agree(self, system: System, g: dict[str, int]) -> list[Expr]:
        conds: list[Expr] = []
        for var in self.tr.system.vars:
            try:
                gv = system.var_named(var.name)
            except KeyError:
                continue
            v = self.cti.pre[var.slot]
            e = gv.expr
            if isinstance(v, FArr) and isinstance(v.elem, Array):  # a relation over the instances
                for a, b in itertools.product(self.elems, repeat=2):
                    if a != b:
                        conds += self._scalar(e[g[a]][g[b]], v.elem.elem, [c[self.rep[a]][self.rep[b]] for c in v.comps], g)
            elif isinstance(v, FArr):
                for a in self.elems:
                    conds += self._scalar(e[g[a]], v.elem, [c[self.rep[a]] for c in v.comps], g)
            elif isinstance(v, PSeq):
                conds += self._seq(e, v, g)
            elif isinstance(v, list):
                elem = var.typ.elem  # type: ignore[attr-defined]
                for k, x in enumerate(v):
                    if isinstance(x, PSeq):
                        conds += self._seq(e[k], x, g)
                    else:
                        conds += self._scalar(e[k], elem, x.bits if isinstance(x, Flg) else [x], g)
            else:
                conds += self._scalar(e, var.typ, v.bits if isinstance(v, Flg) else [v], g)
        return conds

    def _seq(self, e: Expr, s: PSeq, g: dict[str, int]) -> list[Expr]:
        out = [e.len() == self.ev(s.length).as_long()]
        out += [e.count(g[a]) == self.ev(s.cnt[self.rep[a]]).as_long() for a in self.elems]
        return out

    def _scalar(self, e: Expr, typ: Type, comps: list[Any], g: dict[str, int]) -> list[Expr]:
        if isinstance(typ, Flags):
            return [e.has(b) if z3.is_true(self.ev(c)) else Not(e.has(b)) for b, c in zip(typ.names, comps)]
        val = self.ev(comps[0])
        if isinstance(typ, InstId):
            k = g.get(str(val))
            return [] if k is None else [e == k]  # an instance outside E: not compared
        if z3.is_bool(val):
            return [e if z3.is_true(val) else Not(e)]
        return [e == val.as_long()]

    def shown(self, g: dict[str, int]) -> str:
        """``#1 = instance 0, #2 = instance 1`` (the CTI's names, in the order AllN._show gives them)."""
        names = {}
        for u in self.cti.universe:
            e = str(self.ev(u))
            names.setdefault(e, f"#{len(names) + 1}")
        return ", ".join(f"{names.get(e, e)} = instance {g[e]}" for e in self.elems)


def reach(tr: PTr, cti: CTIModel, spec: Any, constants: dict[str, Any], count: str, deadline: float,
          max_states: int = STATES, max_seconds: float = SECONDS) -> Reach:
    """Ground ``cti`` and search the grounded configuration for its pre-state (module docstring)."""
    c0 = time.process_time()
    gr = Grounding(tr, cti)
    vals = dict(constants)
    vals.update(gr.sym)
    if gr.why:
        return Reach("unreachable", f"its pre-state is unreachable: {gr.why}", constants=gr.sym)
    c = spec.constant(count)
    n = max(gr.size, c.min if c is not None and c.min is not None else 1)
    top = min(MAX_N, c.max if c is not None and c.max is not None else MAX_N)
    if n > top:
        return Reach("ungroundable", f"its pre-state needs {n} instances ({len(gr.elems)} named, {gr.excess} more "
                     f"on a list); not searched above {count} = {top}", constants=gr.sym)
    for k, v in gr.sym.items():
        ck = spec.constant(k)
        if ck is not None and ck.max is not None and v > ck.max:
            return Reach("ungroundable", f"the model's {k} = {v} is above the spec's maximum {ck.max}",
                         constants=gr.sym)
    out = _at(gr, cti, spec, vals, count, n, deadline, max_states, max_seconds)
    if out.verdict == "unreachable" and n < top and time.perf_counter() < deadline:
        # unreachable at the size the CTI needs: one more instance (whose state the CTI leaves
        # free) may still reach it, so that size is searched too, and said
        more = _at(gr, cti, spec, vals, count, n + 1, deadline, max_states, max_seconds)
        if more.verdict == "violation":
            out = more
        elif more.verdict == "unreachable":
            out.text = _unreachable(count, [n, n + 1], gr.sym, [out.states, more.states])
            out.states += more.states
        else:
            out.text += f"; at {count} = {n + 1}: {more.text}"
            out.states += more.states
    out.cpu = time.process_time() - c0
    return out


def _at(gr: Grounding, cti: CTIModel, spec: Any, vals: dict[str, Any], count: str, n: int, deadline: float,
        max_states: int, max_seconds: float) -> Reach:
    """The grounded search at ``count`` = ``n`` (steps 2-4 of the module docstring)."""
    vals = {**vals, count: n}
    shown = ", ".join(f"{k} = {v}" for k, v in gr.sym.items())
    at = f"{count} = {n}" + (f", {shown}" if shown else "")
    try:
        system = spec.instantiate(vals)
    except (ModelError, ValueError) as err:
        return Reach("ungroundable", f"the spec cannot be built at {at}: {err}", n=n, constants=gr.sym)
    maps = gr.maps(system, n)
    if not maps:
        return Reach("ungroundable", f"no naming of its instances at {at} keeps the distinguished instances and "
                     "placements it assumes", n=n, constants=gr.sym)
    if len(maps) > MAX_MAPS:
        return Reach("unknown", f"not searched: more than {MAX_MAPS} ways to name its instances at {at}",
                     n=n, constants=gr.sym)
    prop = system.prop(cti.prop)
    pre = Property(PRE, "invariant", Not(Or(*[And(*gr.agree(system, g)) for g in maps])))
    compiled = CompiledSystem.build(system)
    secs = max(0.5, min(max_seconds, deadline - time.perf_counter()))
    res = explore(compiled, [prop, pre], Limits(max_states, None, secs, max_traces=1), "exact")
    by = {pr.name: pr for pr in res.properties}
    states = res.stats.states
    out = Reach("unknown", "", n=n, constants=gr.sym, states=states)
    where = f"at {at} ({states:,} states examined)"
    reached = by[PRE].trace if by[PRE].verdict == VIOLATED else None
    trace = None
    via = ""
    if reached is not None:
        trace = _through(compiled, reached, prop, cti)
        if trace is not None:
            via = (f"through the counterexample's pre-state ({len(reached.steps)} steps; "
                   f"{gr.shown(_which(gr, compiled, maps, reached.states[-1]))}) and its step {trace.steps[-1].key}")
    if trace is None and by[prop.name].verdict == VIOLATED and by[prop.name].trace is not None:
        trace = by[prop.name].trace
        via = ("by another route (the counterexample's pre-state itself is "
               + ("reached, but no step from it breaks the property)" if reached is not None else "not reached)"))
        # not the CTI's own run: the least number of instances that breaks the property is the clearer report
        smaller = _fewer(spec, vals, count, n, cti.prop, deadline, max_states)
        if smaller is not None:
            trace, n = smaller
            compiled = CompiledSystem.build(trace.system)
            vals[count] = n
            at = f"{count} = {n}" + (f", {shown}" if shown else "")
            out.n = n
    if trace is not None:
        from checker.trace.replay import replay

        trace.engine = "induct"
        rr = replay(trace, compiled)
        if rr.ok:
            out.verdict, out.trace = "violation", trace
            out.text = (f"a real violation, found for {at}: a run of {len(trace.steps)} steps {via}, "
                        f"replayed on the executable semantics; the every-{count} claim is refuted")
        else:  # never shown: a run that does not replay is not a counterexample
            out.text = f"the grounded run {where} did not replay ({rr.message}): nothing concluded"
    elif res.error is not None:
        out.text = f"the grounded search {where} stopped at a modelling error ({res.error}): nothing concluded"
    elif reached is not None:
        # "holds" only from a search that examined every state (the explorer's own verdict)
        held = by[prop.name].verdict == HOLDS
        out.verdict = "reachable" if held else "unknown"
        out.text = (f"its pre-state is reachable {where} in {len(reached.steps)} steps, but no step from that "
                    f"state breaks {cti.prop}" + (f", and {cti.prop} holds at {at}: only the every-{count} "
                                                 "abstraction lets the step break it" if held else
                                                 f"; the rest of the search was not complete ({_short(res, by)})"))
    elif by[PRE].verdict == HOLDS:  # every state examined, none agrees
        out.verdict = "unreachable"
        out.text = _unreachable(count, [n], gr.sym, [states])
    else:
        out.text = (f"the search for its pre-state {where} was not complete ({_short(res, by)}): "
                    f"neither reached nor shown unreachable")
    return out


def _unreachable(count: str, sizes: list[int], consts: dict[str, Any], states: list[int]) -> str:
    shown = "".join(f", {k} = {v}" for k, v in consts.items())
    return (f"this pre-state is unreachable at {count} = {' and '.join(map(str, sizes))}{shown} "
            f"({' and '.join(f'{k:,}' for k in states)} states examined), a complete search"
            + (" each" if len(sizes) > 1 else "")
            + ": the invariant language is too weak to exclude it, not a bug in the spec")


def _short(res: Any, by: dict[str, Any]) -> str:
    """Why a grounded search was not complete: its limit, or the explorer's note."""
    if res.stats.limit_hit:
        return f"{res.stats.limit_hit} limit reached"
    return next((pr.note for pr in by.values() if pr.note), "cut short")


def _fewer(spec: Any, vals: dict[str, Any], count: str, n: int, prop: str, deadline: float,
           max_states: int) -> tuple[Trace, int] | None:
    """The property's shortest counterexample at the least number of instances below ``n`` that has
    one (each size searched whole, within the deadline), or None."""
    c = spec.constant(count)
    for k in range(c.min if c is not None and c.min is not None else 1, n):
        secs = deadline - time.perf_counter()
        if secs <= 0.5:
            return None
        system = spec.instantiate({**vals, count: k})
        res = explore(CompiledSystem.build(system), [system.prop(prop)],
                      Limits(max_states, None, min(SECONDS, secs), max_traces=1), "exact")
        pr = res.properties[0]
        if pr.verdict == VIOLATED and pr.trace is not None:
            return pr.trace, k
    return None


def _which(gr: Grounding, compiled: CompiledSystem, maps: list[dict[str, int]], state: tuple) -> dict[str, int]:
    """The naming under which ``state`` agrees with the pre-state."""
    for g in maps:
        if compiled.state_fn(And(*gr.agree(compiled.system, g)))(state):
            return g
    return maps[0]


def _through(compiled: CompiledSystem, reached: Trace, prop: Property, cti: CTIModel) -> Trace | None:
    """The run to the agreeing state, and a step from it that breaks ``prop`` (the CTI's own step
    template first), or None."""
    s = reached.states[-1]
    ok = compiled.state_fn(prop.expr)
    system = compiled.system
    try:
        succ = compiled.successors(s)
    except StepError:
        return None
    bad = [(tid, nxt) for tid, nxt in succ if not ok(nxt)]
    if not bad:
        return None
    own = [(tid, nxt) for tid, nxt in bad
           if system.transitions[tid].label == cti.step.label and _same_actor(system.transitions[tid], cti.step)]
    tid, nxt = (own or bad)[0]
    return Trace(system, [*reached.states, nxt], [*reached.steps, system.transitions[tid]], prop.name,
                 kind="safety", engine="induct")


def _same_actor(t: Transition, template: Transition) -> bool:
    """``IRQ1`` is an instance of the template's ``IRQ{i}``."""
    import re

    pat = re.escape(template.actor)
    pat = re.sub(r"\\\{[^}]*\\\}", r"\\d+", pat)
    return re.fullmatch(pat, t.actor) is not None
