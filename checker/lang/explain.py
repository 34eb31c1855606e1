"""Why a state is bad: a violated property's clauses evaluated where it breaks, in the spec's names.

Derived from the IR alone, so it works for every spec, users' own included:

* an invariant (or a transition invariant, over the last step) is decomposed along its Boolean
  structure — conjunctions, disjunctions, negations, implications, Boolean equalities — down to the
  clauses that decide its value, each shown with the values it reads (``pending[0] = 2``,
  ``IRQ0 at idle``). The conjuncts of a ``ForAll`` (or any conjunction / disjunction whose members
  are the same condition for instances ``0..m-1``) are named ``instance k``;
* a deadlock (``System.deadlock``, e.g. ``NoHang``): for every actor instance, the step it is at, its
  kernel function, and the ``await`` that keeps it there with the values that make it false; actors
  stuck mid-operation first, and why the state is not one of the allowed end states;
* a temporal property's lasso: the instance and state where ``P`` starts to wait, and why ``Q``
  stays false on the loop (or where the run stops).

A spec may add a sentence per property: ``s.invariant(name, expr, explain="nobody will poll
instance {i}")`` (``{i}``: the failing instance; a function of the instance is also accepted). It is
optional: the generic explanation is always there.

Expressions are evaluated by the executable semantics (:func:`checker.lang.pycompile.edge_function`),
never by a second interpreter; inside a step body (a blocked ``await`` after ``let`` / ``set``), bound
names and earlier assignments are substituted into the expression first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from checker.lang.expr import Expr, walk
from checker.lang.printer import show_expr
from checker.lang.pycompile import edge_function
from checker.lang.system import Actor, Assign, If, Let, Property, Require, Stmt, System, Transition
from checker.lang.types import Array, BoolType, Int, Seq
from checker.lang.temporal import Temporal

MAX_CHILDREN = 12  # clauses listed under one heading before "... and N more"
MAX_TEXT = 140  # characters of a clause's text
MAX_HEADLINE_VALUES = 8
SHORT_CLAUSE = 64  # characters: a clause this short is shown whole rather than taken apart


@dataclass
class Finding:
    """A clause and its value in the bad state, or a heading (``holds`` None) over the clauses below."""

    text: str
    holds: bool | None
    values: list[str] = field(default_factory=list)  # "pending[0] = 2", "IRQ0 at idle"
    children: list[Finding] = field(default_factory=list)

    def leaves(self) -> list[Finding]:
        if not self.children:
            return [self]
        return [x for c in self.children for x in c.leaves()]

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"clause": self.text, "holds": self.holds}
        if self.values:
            d["values"] = self.values
        if self.children:
            d["parts"] = [c.to_json() for c in self.children]
        return d


@dataclass
class Why:
    """Why the last state of a trace is bad: a one-line ``headline`` and the clauses behind it."""

    property: str
    kind: str  # invariant | transition | deadlock | temporal
    headline: str
    findings: list[Finding]
    failing: list[str] = field(default_factory=list)  # the failing instances or blocked actors, named

    def lines(self, indent: str = "    ") -> list[str]:
        """The clauses as indented text lines; ``✓``/``✗``: the clause holds / fails in the state."""
        out: list[str] = []

        def emit(f: Finding, depth: int) -> None:
            mark = "" if f.holds is None else ("✓ " if f.holds else "✗ ")
            vals = [v for v in f.values if v != f.text]
            out.append(f"{indent * depth}{mark}{f.text}" + (f"   [{', '.join(vals)}]" if vals else ""))
            for c in f.children:
                emit(c, depth + 1)

        for f in self.findings:
            emit(f, 1)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"property": self.property, "kind": self.kind, "headline": self.headline, "failing": self.failing,
                "clauses": [f.to_json() for f in self.findings]}


# ---------------------------------------------------------------- names and values


class _Names:
    """The spec's own words for program counters: ``IRQ0 at idle`` rather than ``irq.pc[0] == 0``."""

    def __init__(self, system: System) -> None:
        self.pc: dict[int, Actor] = {a.pc.value.slot: a for a in system.actors}
        self.local_slots = {v.slot for v in system.vars
                            if any(v.name.startswith(a.name + ".") for a in system.actors)}

    def pc_of(self, e: Expr) -> str | None:
        """The actor instance whose program counter ``e`` is (``irq.pc[0]`` -> ``IRQ0``)."""
        if e.op == "index" and e.args[0].op == "var" and e.args[1].op == "lit" and e.args[0].value.slot in self.pc:
            return self.pc[e.args[0].value.slot].actor_name(e.args[1].value)
        return None

    def alias(self, e: Expr) -> str | None:
        if e.op in ("and", "or") and len(e.args) == 1:
            return self.alias(e.args[0])
        if e.op in ("==", "!=") and e.args[1].op == "lit":
            who = self.pc_of(e.args[0])
            if who is not None:
                return f"{who} {'at' if e.op == '==' else 'not at'} {show_expr(e.args[1])}"
        if e.op == "or" and e.args and all(a.op == "==" and a.args[1].op == "lit" for a in e.args):
            whos = {self.pc_of(a.args[0]) for a in e.args}
            if len(whos) == 1 and None not in whos:
                return f"{whos.pop()} at {'|'.join(show_expr(a.args[1]) for a in e.args)}"
        if e.op == "not":
            inner = self.alias(e.args[0])
            if inner is not None and " at " in inner and " not at " not in inner:
                return inner.replace(" at ", " not at ", 1)
        return None

    def show(self, e: Expr) -> str:
        text = show_expr(e, self.alias)
        if len(text) > 2 and text[0] == "(" and text[-1] == ")" and _balanced(text[1:-1]):
            text = text[1:-1]
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _locations(e: Expr) -> list[Expr]:
    """The state locations (``pending[0]``, ``poll_list``, bound names) an expression reads."""
    out: list[Expr] = []

    def go(n: Expr) -> None:
        if n.op in ("var", "temp"):
            out.append(n)
            return
        if n.op == "next" and n.args[0].op in ("var", "index"):
            out.append(n)
            return
        if n.op == "index":
            base = n
            while base.op == "index":
                if base.args[1].op != "lit":
                    go(base.args[1])
                base = base.args[0]
            if base.op == "var":
                out.append(n)
                return
        for a in n.args:
            go(a)

    go(e)
    return out


class _Eval:
    """Evaluates expressions in one state (and the next, for ``Next``), optionally inside a step body:
    ``temps`` (names bound by ``let``) and ``writes`` (slots assigned earlier) are substituted first."""

    def __init__(self, system: System, state: tuple, post: tuple | None = None) -> None:
        self.system = system
        self.s = state
        self.t = post if post is not None else state
        self.names = _Names(system)
        self.temps: dict[str, Expr] = {}
        self.writes: dict[int, Expr] = {}
        self._fns: dict[int, Callable[[tuple, tuple], Any]] = {}

    def sub(self, e: Expr) -> Expr:
        if e.op == "temp" and e.value in self.temps:
            return self.temps[e.value]
        if e.op == "var" and e.value.slot in self.writes:
            return self.writes[e.value.slot]
        if not e.args or (not self.temps and not self.writes):
            return e
        return Expr(e.op, tuple(self.sub(a) for a in e.args), e.typ, e.value)

    def value(self, e: Expr) -> Any:
        e = self.sub(e)
        fn = self._fns.get(id(e))
        if fn is None:
            fn = self._fns[id(e)] = edge_function(self.system, e)
            self._keep = getattr(self, "_keep", []) + [e]  # ids stay valid while cached
        return fn(self.s, self.t)

    def holds(self, e: Expr) -> bool:
        try:
            return bool(self.value(e))
        except (IndexError, TypeError, ValueError, ZeroDivisionError):
            return False

    def show_location(self, loc: Expr) -> str:
        try:
            v = self.value(loc)
        except (IndexError, TypeError, ValueError, ZeroDivisionError):
            return f"{self.names.show(loc)} undefined"
        who = self.names.pc_of(loc)
        if who is not None:
            return f"{who} at {loc.typ.show(v)}"
        return f"{self.names.show(loc)} = {loc.typ.show(v)}"

    def values(self, e: Expr) -> list[str]:
        out: list[str] = []
        for loc in _locations(e):
            text = self.show_location(loc)
            if text not in out:
                out.append(text)
        return out


# ---------------------------------------------------------------- Boolean decomposition


def _ids(typ: Any, m: int) -> bool:
    return isinstance(typ, Int) and typ.lo == 0 and typ.hi == m - 1


def _instance_of(e: Expr, m: int, names: _Names) -> int | None:
    """The instance ``0..m-1`` a condition is about, judged by the literals it indexes arrays of ``m``
    elements with (shared arrays only when ``m`` is 1), tests list membership of, or compares ids with."""
    counts: Counter[int] = Counter()
    for n in walk(e):
        if n.op == "index" and n.args[1].op == "lit" and isinstance(n.args[0].typ, Array) and n.args[0].typ.size == m:
            base = n.args[0]
            while base.op == "index":
                base = base.args[0]
            actor_owned = base.op == "var" and (base.value.slot in names.local_slots or base.value.slot in names.pc)
            if not (m == 1 and actor_owned):
                counts[n.args[1].value] += 1
        elif n.op in ("contains", "count", "remove") and isinstance(n.args[0].typ, Seq) \
                and _ids(n.args[0].typ.elem, m) and n.args[1].op == "lit":
            counts[n.args[1].value] += 1
        elif n.op in ("==", "!=") and m > 1:
            for a, b in (n.args, n.args[::-1]):
                if b.op == "lit" and a.op != "lit" and _ids(a.typ, m):
                    counts[b.value] += 1
    if not counts:
        return None
    top = counts.most_common(2)
    if len(top) > 1 and top[0][1] == top[1][1]:
        return None
    return top[0][0]


def instance_labels(args: tuple[Expr, ...], names: _Names) -> list[int] | None:
    """``[k0, k1, ...]`` when the members of a conjunction/disjunction are one condition for instances
    ``0..m-1`` (a ``ForAll`` / ``Exists`` or an ``And(*[... for i in range(m)])``), else None."""
    m = len(args)
    ks = [_instance_of(a, m, names) for a in args]
    if any(k is None for k in ks) or sorted(ks) != list(range(m)):  # type: ignore[type-var]
        return None
    return ks  # type: ignore[return-value]


class _Explainer:
    def __init__(self, ev: _Eval) -> None:
        self.ev = ev
        self.names = ev.names
        self.instances: list[int] = []  # failing instances met at the top of the property

    def leaf(self, e: Expr, v: bool) -> Finding:
        return Finding(self.names.show(e), v, self.ev.values(e))

    def node(self, e: Expr) -> Finding:
        """``e`` with its value and, when it is compound, the clauses deciding that value."""
        v = self.ev.holds(e)
        if not self.compound(e):
            return self.leaf(e, v)
        return Finding(self.names.show(e), v, [], self.explain(e, v))

    def compound(self, e: Expr) -> bool:
        """``e`` is a Boolean combination worth taking apart (not a comparison, not ``IRQ0 at idle``)."""
        if self.names.alias(e) is not None:
            return False
        if e.op == "not":
            return self.compound(e.args[0])
        return (e.op in ("and", "or") and bool(e.args)) or e.op == "implies" or (
            e.op in ("==", "!=") and isinstance(e.args[0].typ, BoolType) and isinstance(e.args[1].typ, BoolType))

    def explain(self, e: Expr, v: bool, top: bool = False) -> list[Finding]:  # noqa: C901 - one case per connective
        """The clauses that make ``e`` take value ``v`` (its value in the state)."""
        if not self.compound(e):
            return [self.leaf(e, v)]
        op = e.op
        if op == "not":
            return self.explain(e.args[0], not v, top)
        if op in ("and", "or") and e.args:
            deciding = [(pos, a) for pos, a in enumerate(e.args) if self.ev.holds(a) == v]
            if (op == "and") == v:  # every member has value v and each one matters: list them all
                out = []
                for a in e.args:  # a short member reads better whole, with the values that decide it
                    sub = self.explain(a, v)
                    if len(self.names.show(a)) <= SHORT_CLAUSE and self.compound(a):
                        vals = list(dict.fromkeys(x for f in sub for lf in f.leaves() for x in lf.values))
                        out.append(Finding(self.names.show(a), v, vals))
                    else:
                        out.extend(sub)
                return _cap(out)
            labels = instance_labels(e.args, self.names)
            out = []
            for pos, a in deciding:
                sub = self.explain(a, v)
                if labels is not None:
                    k = labels[pos]
                    if top:
                        self.instances.append(k)
                    out.append(Finding(f"instance {k}:", None, [], sub))
                elif len(e.args) > 1 and self.compound(a):
                    out.append(Finding(self.names.show(a), v, [], sub))
                else:
                    out.extend(sub)
            return _cap(out)
        if op == "implies":
            a, b = e.args
            if v:
                return self.explain(a, False) if not self.ev.holds(a) else self.explain(b, True)
            return self.explain(a, True) + self.explain(b, False)
        if self.compound(e):  # a Boolean (in)equality: both sides, each with its own reasons
            return [self.node(e.args[0]), self.node(e.args[1])]
        return [self.leaf(e, v)]


def _cap(items: list[Finding]) -> list[Finding]:
    if len(items) <= MAX_CHILDREN:
        return items
    return items[:MAX_CHILDREN] + [Finding(f"... and {len(items) - MAX_CHILDREN} more", None)]


def _headline_values(findings: list[Finding]) -> list[str]:
    out: list[str] = []
    for f in findings:
        for leaf in f.leaves():
            for v in leaf.values or ([leaf.text] if leaf.holds is not None else []):
                if v not in out:
                    out.append(v)
    return out[:MAX_HEADLINE_VALUES] + (["..."] if len(out) > MAX_HEADLINE_VALUES else [])


def _sentence(prop: Property, instances: list[Any]) -> str:
    """The spec's own sentence for this property (``explain=``), for the first failing instance."""
    spec = prop.extra.get("explain")
    if not spec:
        return ""
    k = instances[0] if instances else None
    if callable(spec):
        return str(spec(k))
    try:
        return str(spec).format(i=k, instance=k)
    except (IndexError, KeyError):
        return str(spec)


def _instances_text(ks: list[Any]) -> str:
    if not ks:
        return ""
    return f" for instance {ks[0]}" if len(ks) == 1 else " for instances " + ", ".join(map(str, ks))


# ---------------------------------------------------------------- the three kinds of bad end


def why_invariant(system: System, prop: Property, state: tuple, pre: tuple | None = None) -> Why:
    """Why ``prop`` (an invariant, or a transition invariant over ``pre`` -> ``state``) fails."""
    ev = _Eval(system, pre if pre is not None else state, state)
    ex = _Explainer(ev)
    findings = ex.explain(prop.expr, False, top=True)
    head = f"{prop.name} fails{_instances_text(ex.instances)}"
    vals = _headline_values(findings)
    if vals:
        head += ": " + ", ".join(vals)
    sentence = _sentence(prop, ex.instances)
    if sentence:
        head += f" — {sentence}"
    return Why(prop.name, prop.kind, head, findings, [f"instance {k}" for k in ex.instances])


def _blocker(ev: _Eval, body: list[Stmt]) -> Expr | None:
    """The first ``await`` of a step body that is false in ``ev``'s state (None: the step is enabled),
    following the body's ``let`` / ``set`` / ``if`` by substitution."""
    for s in body:
        if isinstance(s, Require):
            if not ev.holds(s.cond):
                return s.cond
        elif isinstance(s, Let):
            ev.temps[s.name] = ev.sub(s.value)
        elif isinstance(s, Assign):
            ev.writes[s.var.slot] = _assigned(ev, s)
        elif isinstance(s, If):
            found = _blocker(ev, s.then if ev.holds(s.cond) else s.orelse)
            if found is not None:
                return found
    return None


def _assigned(ev: _Eval, s: Assign) -> Expr:
    """The variable's whole new value after ``s``, as an expression over the pre-state."""
    cur = ev.sub(s.var.expr)
    value = ev.sub(s.value)

    def rebuild(base: Expr, path: tuple[Expr, ...]) -> Expr:
        if not path:
            return value
        idx = ev.sub(path[0])
        inner = Expr("index", (base, idx), base.typ.elem)  # type: ignore[attr-defined]
        return Expr("store", (base, idx, rebuild(inner, path[1:])), base.typ)

    return rebuild(cur, s.path)


def _waits(ev: _Eval, ts: list[Transition]) -> list[Finding]:
    """Why none of ``ts`` (the steps an actor instance could take next) is enabled."""
    out: list[Finding] = []
    seen: set[str] = set()
    for t in ts:
        ev.temps, ev.writes = {}, {}
        cond = _blocker(ev, t.body)  # leaves the step's bindings in ev for explaining the await
        found = [] if cond is None else _Explainer(ev).explain(cond, False)
        ev.temps, ev.writes = {}, {}
        for f in found:
            key = f.text + repr(f.values)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return _cap(out)


def _short_function(function: str) -> str:
    """``napi_disable_locked`` from ``net/core/dev.c:napi_disable_locked (while ...)``."""
    name = function.split(":", 1)[1] if ":" in function else function
    return name.split(" (", 1)[0].strip()


@dataclass
class _Place:
    """Where an actor instance is and why it cannot step from there."""

    who: str
    label: str
    steps: list[Transition]
    waits: list[Finding]
    mid_operation: bool  # not at its first (resting) label

    def finding(self) -> Finding:
        where = f"{self.who} at {self.label}" + (f" [{self.steps[0].function}]" if self.steps else " (no step from here)")
        return Finding(where + (" waits for:" if self.steps else ""), None, [], self.waits)

    def summary(self) -> str:
        waits = "; ".join(x.text + (f" [{', '.join(x.values)}]" if x.values and x.values != [x.text] else "")
                          for x in self.waits if x.holds is not None)
        return (f"{self.who} at {self.label}" + (f" ({_short_function(self.steps[0].function)})" if self.steps else "")
                + (f" waiting for {waits}" if waits else ""))


def _places(system: System, ev: _Eval) -> tuple[list[_Place], list[Finding]]:
    """Every actor instance's place and what it waits for; and the environment's events that cannot happen."""
    by_key: dict[tuple[str, str], list[Transition]] = {}
    by_actor: dict[str, list[Transition]] = {}
    for t in system.transitions:
        by_key.setdefault((t.actor, t.label), []).append(t)
        by_actor.setdefault(t.actor, []).append(t)
    places: list[_Place] = []
    for a in system.actors:
        for i in range(a.instances):
            who = a.actor_name(i)
            label = a.labels.names[ev.s[a.pc.value.slot][i]]
            ts = by_key.get((who, label), [])
            # mid-operation: past its resting step and not finished (a label without steps ends the actor)
            places.append(_Place(who, label, ts, _waits(ev, ts), label != a.labels.names[0] and bool(ts)))
    named = {p.who for p in places}
    env = [Finding(f"{who}: " + ", ".join(sorted({t.label for t in ts})) + " cannot happen:", None, [], _waits(ev, ts))
           for who, ts in by_actor.items() if who not in named]
    return places, env


def why_deadlock(system: System, prop: Property, state: tuple) -> Why:
    """Who is blocked in a state without an enabled step: per actor instance, where and waiting on what."""
    ev = _Eval(system, state)
    places, env = _places(system, ev)
    stuck = [p for p in places if p.mid_operation]
    rest = [p for p in places if not p.mid_operation]
    findings: list[Finding] = []
    end = prop.expr
    if not (end.op == "lit" and end.value is False):
        findings.append(Finding("not an allowed end state:", None, [], _Explainer(ev).explain(end, False)))
    if stuck:
        findings.append(Finding("stuck mid-operation:", None, [], [p.finding() for p in stuck]))
    findings.append(Finding("at rest:" if stuck else "every context is at rest:", None, [],
                            [p.finding() for p in rest] + env))
    parts = [p.summary() for p in (stuck or rest)]
    if not stuck:  # nobody is mid-operation: what the environment cannot do matters as much
        parts += [f.text.removesuffix(":") + " (" + "; ".join(
            x.text + (f" [{', '.join(x.values)}]" if x.values and x.values != [x.text] else "")
            for x in f.children if x.holds is not None) + ")" for f in env]
    head = (f"{prop.name}: no step can run; " + ("blocked: " if stuck else "every context is at rest: ")
            + "; ".join(parts[:5]) + (f"; ... ({len(parts) - 5} more)" if len(parts) > 5 else ""))
    return Why(prop.name, "deadlock", head, findings, [p.who for p in stuck])


def why_lasso(system: System, prop: Property, states: list[tuple], loop: int | None,
              progress: list[bool] | None = None) -> Why:
    """Why a lasso violates a temporal property: where ``P`` starts waiting and why ``Q`` stays false."""
    tmp: Temporal | None = prop.extra.get("temporal")
    last = len(states) - 1
    tail = (f"the run stops in state {last}" if loop is None or loop == last
            else f"states {loop}–{last} repeat forever")
    if tmp is None or prop.kind == "non_progress":
        head = f"{prop.name} fails: {tail} without a progress step"
        return Why(prop.name, "temporal", head, [])
    start = loop if loop is not None else last
    for k, (p, q) in enumerate(zip(tmp.p, tmp.q)):
        qs = [_Eval(system, s).holds(q) for s in states]
        if prop.kind == "always_eventually":
            cands = [start] if not any(qs[start:]) else []
        else:
            cands = [j for j in range(len(states)) if _Eval(system, states[j]).holds(p) and not any(qs[j:])]
            if prop.kind == "eventually":
                cands = [0] if not any(qs) else []
        if not cands:
            continue
        j = cands[0]
        ev_j = _Eval(system, states[j])
        ex = _Explainer(_Eval(system, states[start]))
        inst = f" for instance {tmp.instances[k]}" if tmp.instances[k] is not None else ""
        qtext = ex.names.show(q)
        findings = [Finding(f"{qtext} never holds from state {j} on; in state {start}:", None, [],
                            ex.explain(q, False))]
        stops = loop is None or loop == last
        if stops:  # where the run stops: who is mid-operation and what keeps them there
            stuck = [p for p in _places(system, ex.ev)[0] if p.mid_operation]
            if stuck:
                findings.append(Finding(f"the run stops in state {last}; stuck mid-operation:", None, [],
                                        [p.finding() for p in stuck]))
        if prop.kind == "leads_to":
            ptext = ex.names.show(p)
            vals = [x for x in ev_j.values(p) if x != ptext]
            findings.insert(0, Finding(f"in state {j}: {ptext}", True, vals))
            head = (f"{prop.name} fails{inst}: {ptext} holds in state {j}"
                    + (f" ({', '.join(vals)})" if vals else "") + f", but {qtext} never holds after it: {tail}")
        else:
            head = f"{prop.name} fails{inst}: {qtext} never holds from state {j} on: {tail}"
        sentence = _sentence(prop, [tmp.instances[k]])
        if sentence:
            head += f" — {sentence}"
        return Why(prop.name, "temporal", head, findings, [f"instance {tmp.instances[k]}"] if inst else [])
    return Why(prop.name, "temporal", f"{prop.name} fails: {tail}", [])


def why_bad(system: System, prop: Property, states: list[tuple], loop: int | None = None) -> Why | None:
    """The explanation for a run of ``states`` that violates ``prop`` (None when there is none to give)."""
    if not states:
        return None
    if prop.kind == "invariant":
        return why_invariant(system, prop, states[-1])
    if prop.kind == "transition" and len(states) > 1:
        return why_invariant(system, prop, states[-1], states[-2])
    if prop.kind == "deadlock":
        return why_deadlock(system, prop, states[-1])
    if "temporal" in prop.extra or prop.kind == "non_progress":
        return why_lasso(system, prop, states, loop)
    return None
