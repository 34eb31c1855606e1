"""Atoms read off the properties for every N: their compound sub-terms, as templates over ``i``/``j``.

The fixed-N engine takes the properties' compound sub-formulas as single atoms (:mod:`.subterms`):
"i is on a list or owned by a poller" (OwnerHoldsSched's premise), "everything that could act for
i is quiescent" (NoLostWakeup's), and each conjunction of three or more without one conjunct
("quiescent, but for its IRQ handler"). One such literal says what otherwise needs four or six, so
that a three-literal clause can state "SCHED ⇒ some owner, or the IRQ handler is between
napi_schedule_prep and ____napi_schedule", the converse of OwnerHoldsSched that NoLostWakeup
needs once several contexts can own an instance.

Here the same sub-terms come from the *parameterised* System (one IR, the instance count at
``ANY``): for each property conjunct ``∀ i. body`` (or ``∀ i. ∀ j. body``), every Boolean
sub-term of ``body`` that is a conjunction or disjunction (of two or more), an implication that
names a bound instance, or a comparison over a sum or an ``ite`` (a count), with its bound
instance variables renamed ``i`` (and ``j``). A sub-term over one bound variable gives two
templates, at ``i`` and at ``j`` (a clause ``∀ i ≠ j`` can then say it of the other instance);
one over two gives both orders; one over none (a fact about a per-CPU context alone) one.

Each template has the three faces of the other every-N templates (:mod:`.param`):

* the Z3 term over the instance-sort state of :mod:`.param_tr` at universe elements bound to
  ``i``/``j`` (:func:`param_term`, the same :class:`~.param_tr.StepRun` that states the
  properties themselves);
* a grounded atom of a System of N instances (:func:`grounded_atom`): the sub-term rewritten onto
  the grounded System's variables with ``i``/``j`` (and the distinguished instances) as numbers,
  translated by the grounded encoder: an :class:`~.atoms.Atom` of kind ``expr``, whose numpy
  column (mining at N = 2, 3, on every binding), Z3 term (the grounded re-check at N = 2, 3, 4)
  and Python text are :mod:`.subterms`' own.

The decidable class. A candidate clause ``∀ i ≠ j. C`` is assumed (so ∀) and its negation asked
(so ∃); the verification condition stays in ∃*∀* only if each literal is quantifier-free over the
instance sort. A sub-term that contains a ``forall`` or ``exists`` (``p.some(...)`` over a family of
contexts, a nested ``∀ j``) would put an ∃ under the clause's ∀ in one polarity or the other
(mining picks the polarity), so every such sub-term is excluded (:func:`quantified`); its own
quantifier-free sub-terms are still taken. The Linux properties over one CPU have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.lang import And
from checker.lang.expr import Expr
from checker.lang.family import Family, ivar
from checker.lang.printer import show_expr
from checker.lang.system import System
from checker.lang.types import Int
from checker.symbolic.induct.atoms import Atom
from checker.symbolic.induct.subterms import compound, property_value, strip_outer, term_reads

#: the instance variables of the every-N templates (param.VARS)
VARS = ("i", "j")
#: at most this many property sub-terms (before the i/j instantiations)
MAX_SUBTERMS = 80


@dataclass(frozen=True)
class SubTerm:
    """A quantifier-free sub-term of a property body over the instance variables ``used`` (a
    subset of ``i``, ``j``), ``expr`` with the binders renamed to those variables."""

    expr: Expr
    used: tuple[str, ...]
    text: str


def quantified(e: Expr) -> bool:
    """``e`` contains a quantifier over the instances (outside the literals of the ∃*∀* class)."""
    return e.op in ("forall", "exists") or any(quantified(a) for a in e.args)


def _compound(e: Expr, bound: set[Any]) -> bool:
    if e.op == "implies":  # "i is the disabler's target ⇒ the disabler is idle"
        return bool(_free(e) & bound)
    return compound(e)


def _free(e: Expr) -> set[Any]:
    """The instance variables (keys) ``e`` reads."""
    out: set[Any] = set()
    todo = [e]
    while todo:
        x = todo.pop()
        if x.op == "ivar":
            out.add(x.value)
        todo.extend(x.args)
    return out


def _rename(e: Expr, ren: dict[Any, Expr]) -> Expr:
    if e.op == "ivar":
        return ren.get(e.value, e)
    if not e.args:
        return e
    return Expr(e.op, tuple(_rename(a, ren) for a in e.args), e.typ, e.value)


def subterms(parts: dict[str, list[tuple[tuple[Any, ...], Expr]]]) -> list[SubTerm]:
    """The compound quantifier-free sub-terms of the property conjuncts ``parts`` (property -> its
    (binder keys, body) conjuncts, :meth:`.param.AllN.prop_parts`), each once (by its text with the
    binders named ``i``, ``j``), and for each conjunction of three or more, the conjunction without
    each conjunct in turn. The bodies themselves are not taken (each is its property)."""
    seen: set[str] = set()
    out: list[SubTerm] = []
    for keys, body in (kb for ps in parts.values() for kb in ps):
        if not keys:
            continue
        fam: Family = keys[0][0]
        ren = {k: ivar(fam, v) for k, v in zip(keys, VARS)}
        names = {k: v for k, v in zip(keys, VARS)}
        bound = set(keys)
        todo: list[tuple[Expr, bool]] = [(body, False)]  # (expression, derived: not expanded)
        while todo and len(out) < MAX_SUBTERMS:
            e, derived = todo.pop(0)
            if e is not body and not quantified(e) and _compound(e, bound):
                r = _rename(e, ren)
                text = strip_outer(show_expr(r))
                if text not in seen:
                    seen.add(text)
                    used = tuple(v for k, v in names.items() if k in _free(e))
                    out.append(SubTerm(r, used, text))
            if derived:
                continue
            if e.op in ("and", "or", "not", "implies"):
                todo.extend((a, False) for a in e.args)
            if e.op == "and" and len(e.args) >= 3 and e is not body:
                # "all but one": the premise of the clause that says where that one context is
                todo.extend((And(*(e.args[:k] + e.args[k + 1:])), True) for k in range(len(e.args)))
    return out


def instantiations(st: SubTerm) -> list[dict[str, str]]:
    """The renamings of a sub-term's variables onto the templates' ``i``/``j``: over one variable,
    at ``i`` and at ``j``; over two, both orders; over none, once."""
    if not st.used:
        return [{}]
    if len(st.used) == 1:
        return [{st.used[0]: w} for w in VARS]
    return [dict(zip(st.used, VARS)), dict(zip(st.used, reversed(VARS)))]


def template_text(st: SubTerm, ren: dict[str, str]) -> str:
    if all(k == v for k, v in ren.items()):
        return st.text
    return strip_outer(show_expr(at_vars(st, ren)))


def at_vars(st: SubTerm, ren: dict[str, str]) -> Expr:
    """The sub-term with its variables renamed by ``ren`` (``{"i": "j"}``: the same fact about j)."""
    fam = _family(st.expr)
    if fam is None or all(k == v for k, v in ren.items()):
        return st.expr
    return _rename(st.expr, {(fam, k): ivar(fam, v) for k, v in ren.items()})


def _family(e: Expr) -> Family | None:
    for key in _free(e):
        if key[1] in VARS:
            return key[0]  # type: ignore[no-any-return]
    return None


# ---------------------------------------------------------------- the three faces


def param_term(tr: Any, st: dict[int, Any], e: Expr, bind: dict[str, Any]) -> Any:
    """The template ``e`` (over ``i``/``j``) in the instance-sort translation :mod:`.param_tr`, on the
    state ``st`` with ``i``/``j`` bound to the Z3 terms in ``bind``. ``universe`` None: a quantifier
    would raise NotInClass (none is in a template, :func:`quantified`)."""
    from checker.symbolic.induct.param_tr import StepRun

    fam = tr.family
    return StepRun(tr, st, {(fam, v): t for v, t in bind.items()}, None).ev(e, 0)


def ground_expr(e: Expr, system: System, bind: dict[str, int], named: dict[str, int],
                values: dict[int, int] | None = None) -> Expr:
    """The template ``e`` (of the parameterised System) as an expression of the grounded ``system``:
    its variables by name, ``i``/``j`` as the instance numbers in ``bind``, a distinguished instance
    as its grounded number (``named``, 0 unless the spec says), a placement by its grounded rule,
    and a symbolic constant's sentinel (:mod:`.symbolic`) as its value in ``system`` (``values``:
    sentinel -> value; None where ``system`` keeps the sentinels, as the grounded re-check's does)."""
    fams = {f.name: f for f in system.families}

    def go(x: Expr) -> Expr:
        if x.op == "lit" and values and isinstance(x.value, int) and not isinstance(x.value, bool) \
                and x.value in values:
            return Expr("lit", (), x.typ, values[x.value])
        if x.op == "var":
            v = system.var_named(x.value.name)
            return Expr("var", (), v.typ, v)
        if x.op == "ivar":
            fam, name = x.value
            k = bind[name] if name in bind else 0 if name == "first" else named.get(name, 0)
            g = fams.get(fam.name)
            return Expr("lit", (), g.id_type if g is not None else Int(0, max(k, 1)), k)
        if x.op == "place":
            arg = go(x.args[0])
            if arg.op != "lit":
                raise ValueError("a placement of a computed instance")
            g = fams[x.value.family.name]
            return Expr("lit", (), x.typ, g.placements[x.value.name].rule(arg.value))
        if not x.args:
            return x
        return Expr(x.op, tuple(go(a) for a in x.args), x.typ, x.value)

    return go(e)


def grounded_atom(e: Expr, text: str, system: System, enc: Any, x: Any, bind: dict[str, int],
                  named: dict[str, int], values: dict[int, int] | None = None) -> Atom:
    """The template ``e`` on the grounded ``system`` under ``bind``: an atom of kind ``expr`` over the
    state ``x`` of the encoder ``enc`` (its column, term and Python text are :mod:`.subterms`')."""
    g = ground_expr(e, system, bind, named, values)
    t = property_value(enc, g, x)
    index = {v.get_id(): k for k, v in enumerate(x.flat)}
    reads = term_reads(t, index)
    shown = text
    for w in VARS:
        if w in bind:
            shown = _subst_word(shown, w, str(bind[w]))
    return Atom("expr", min(reads) if reads else 0, text=shown, z=t, zx=x, zreads=tuple(sorted(reads)))


def _subst_word(text: str, word: str, by: str) -> str:
    import re

    return re.sub(rf"\b{word}\b", by, text)


__all__ = ["SubTerm", "grounded_atom", "ground_expr", "instantiations", "param_term", "quantified",
           "subterms", "template_text"]
