"""An invariant's clauses as the user reads them: simplified, equivalent, in the spec's names.

A mined clause is a disjunction of atom literals, and some atoms are conjunctions themselves
("what a context is doing to which instance": ``softirq.pc[0] == rx and softirq.ret[0]``), so
the clause as mined can say a thing twice: ``softirq.pc[0] != cd or (softirq.pc[0] == cd and
softirq.ret[0])``. Before printing, each clause is rewritten into an equivalent one:

* a negated conjunction becomes a disjunction of negations (``not (a and b)`` → ``not a or
  not b``), a double negation disappears;
* a conjunct another literal of the clause already covers is dropped (``not a or (a and b)`` →
  ``not a or b``: where the rest of the clause is false, ``a`` holds);
* a literal implied by another literal of the clause is dropped (``pc == x or pc != y`` →
  ``pc != y`` for labels x ≠ y; ``n == 3 or n > 0`` → ``n > 0``), and a literal said twice is said
  once;
* a property's sub-term loses its ``0 +`` (the empty start of a sum over instances) and the
  parentheses around single names.

Only literals on the same location with concrete values are compared (comparisons with a symbolic
constant, a sentinel value, are kept as they are: RING may be the least value). A clause the rules
would make trivially true is printed as mined. The rewriting changes the text only: Houdini, the
checks and the on-reached evaluation use the clause as mined; :func:`term` gives the printed
form's Z3 term, and tests check it equivalent to the mined clause's on real proofs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import z3

from checker.symbolic.induct.atoms import Atom
from checker.symbolic.induct.mine import Clause
from checker.symbolic.induct.symbolic import SENTINEL, SPACING
from checker.symbolic.translate import SState

#: values at or above this are symbolic constants' sentinels (no arithmetic on them)
_SYMBOLIC_FROM = SENTINEL - SPACING


@dataclass(frozen=True)
class Lit:
    """One literal: ``loc == value`` (op "eq") or ``loc > value`` (op "gt") on a flat location, or
    (op "atom") an atom read whole (index ``value``); ``pos`` False negates it. ``shown`` is the
    positive text, ``negated`` the negative one."""

    op: str
    loc: int
    value: int
    pos: bool
    shown: str
    negated: str

    def neg(self) -> Lit:
        return replace(self, pos=not self.pos)

    def text(self) -> str:
        return self.shown if self.pos else self.negated

    def key(self) -> tuple[str, int, int, bool]:
        return (self.op, self.loc, self.value, self.pos)


#: a printed clause: a disjunction of parts, each a literal or a conjunction of literals
Part = tuple[Lit, ...]


def _concrete(a: Lit) -> bool:
    return a.op in ("eq", "gt") and a.value < _SYMBOLIC_FROM


def implies(a: Lit, b: Lit) -> bool:
    """``a ⇒ b`` for every integer value of their location (sound whatever the location's range)."""
    if a.key() == b.key():
        return True
    if a.loc != b.loc or not (_concrete(a) and _concrete(b)):
        return False
    v, w = a.value, b.value
    if a.op == "eq" and a.pos:  # {v}
        return {("eq", True): v == w, ("eq", False): v != w, ("gt", True): v > w, ("gt", False): v <= w}[(b.op, b.pos)]
    if a.op == "eq":  # every value but v: only "not w" with w == v (the identical literal, above)
        return False
    if a.pos:  # (v, ∞)
        return (b.op, b.pos) == ("gt", True) and v >= w or (b.op, b.pos) == ("eq", False) and w <= v
    return (b.op, b.pos) == ("gt", False) and v <= w or (b.op, b.pos) == ("eq", False) and w > v  # (-∞, v]


def _lits_of(atom: Atom, index: int) -> list[Lit]:
    """The atom as a conjunction of literals (one, except for the "context at a label with a local"
    atoms)."""
    if atom.kind == "bool":
        return [Lit("eq", atom.loc, 1, True, atom.text, f"not {atom.text}")]
    if atom.kind == "eq":
        return [Lit("eq", atom.loc, atom.value, True, atom.text, atom.text.replace(" == ", " != ", 1))]
    if atom.kind == "gt":
        lo = atom.text.replace(" > ", " == ", 1) if atom.bound == "lo" else atom.text.replace(" > ", " <= ", 1)
        return [Lit("gt", atom.loc, atom.value, True, atom.text, lo)]
    if atom.kind == "both" and atom.text.startswith("(") and " and " in atom.text:
        first, second = atom.text[1:-1].split(" and ", 1)
        pc = Lit("eq", atom.loc, atom.value, True, first, first.replace(" == ", " != ", 1))
        if " == " in second:
            local = Lit("eq", atom.loc2, atom.value2, True, second, second.replace(" == ", " != ", 1))
        else:  # a Boolean local: the atom reads it true
            local = Lit("eq", atom.loc2, 1, True, second, f"not {second}")
        return [pc, local]
    shown = tidy(atom.text)
    return [Lit("atom", -1, index, True, shown, _negate_text(atom, shown))]


def _negate_text(atom: Atom, shown: str) -> str:
    if atom.kind == "expr":
        inner = _unwrap_not(shown)
        return inner if inner is not None else f"not ({shown})"
    for a, b in ((" == ", " != "), (" > ", " <= "), (" in ", " not in "), (" >= ", " < ")):
        if a in shown and not shown.startswith("("):
            return shown.replace(a, b, 1)
    return f"not {shown}"


def _unwrap_not(text: str) -> str | None:
    """``X`` when ``text`` is ``~(X)``, ``~X`` with X one name, or ``not (X)``: a double negation."""
    for head in ("~", "not "):
        if text.startswith(head):
            rest = text[len(head):]
            if rest.startswith("(") and _match(rest, 0) == len(rest) - 1:
                return rest[1:-1]
            if " " not in rest and "(" not in rest:
                return rest
    return None


def _match(text: str, at: int) -> int:
    """The index of the parenthesis closing the one at ``at`` (-1: none)."""
    depth = 0
    for k in range(at, len(text)):
        depth += text[k] == "("
        depth -= text[k] == ")"
        if depth == 0:
            return k
    return -1


def tidy(text: str) -> str:
    """A property sub-term's text without ``0 +`` at the start of a sum, without parentheses around
    one name or around another pair of parentheses."""
    text = text.replace("(0 + ", "(")
    changed = True
    while changed:
        changed = False
        for k, ch in enumerate(text):
            if ch != "(":
                continue
            end = _match(text, k)
            if end < 0:
                break
            inner = text[k + 1:end]
            call = k > 0 and (text[k - 1].isalnum() or text[k - 1] in "_]")
            wraps = inner.startswith("(") and _match(inner, 0) == len(inner) - 1
            if not call and (wraps or (" " not in inner and inner)):
                text = text[:k] + inner + text[end + 1:]
                changed = True
                break
    return text


def simplify(atoms: list[Atom], cl: Clause) -> list[Part]:
    """The clause as printed: an equivalent disjunction of literals and conjunctions."""
    parts: list[list[Lit]] = []
    for i, pol in cl:
        lits = _lits_of(atoms[i], i)
        if pol:
            parts.append(lits)
        else:  # not (a and b) = not a or not b
            parts.extend([lit.neg()] for lit in lits)
    out = _rewrite(parts)
    return [tuple(p) for p in parts] if out is None else out  # None: trivially true, say it as mined


def _rewrite(parts: list[list[Lit]]) -> list[Part] | None:
    """Drop covered conjuncts and implied literals until nothing changes; None when the clause is a
    tautology (a literal and one its negation implies)."""
    parts = [list(p) for p in parts]
    changed = True
    while changed:
        changed = False
        singles = [p[0] for p in parts if len(p) == 1]
        if any(implies(a.neg(), b) for a in singles for b in singles):
            return None
        # not a or (a and b) = not a or b: a conjunct whose negation implies a literal of the clause
        for p in parts:
            if len(p) < 2:
                continue
            for c in p:
                if any(implies(c.neg(), s) for s in singles):
                    p.remove(c)
                    changed = True
                    break
            if changed:
                break
        if changed:
            continue
        # a part that implies another part is dropped (a or b = b when a ⇒ b); the first of equals stays
        for k, p in enumerate(parts):
            for j, q in enumerate(parts):
                if j == k or len(q) != 1:
                    continue
                if any(implies(c, q[0]) for c in p) and not (len(p) == 1 and implies(q[0], p[0]) and j > k):
                    del parts[k]
                    changed = True
                    break
            if changed:
                break
    return [tuple(p) for p in parts]


def text(parts: list[Part]) -> str:
    """The printed clause (a property sub-term joined by ``/\\``, ``\\/`` or ``=>`` gets its parentheses
    back when other literals stand beside it, so that ``or`` cannot be read inside it)."""
    if len(parts) == 1 and len(parts[0]) == 1:
        return parts[0][0].text()
    shown = [_bracketed(p[0].text()) if len(p) == 1 else "(" + " and ".join(c.text() for c in p) + ")" for p in parts]
    return " or ".join(shown)


def _bracketed(t: str) -> str:
    depth = 0
    for k, ch in enumerate(t):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and any(t.startswith(op, k) for op in (" /\\ ", " \\/ ", " => ")):
            return f"({t})"
    return t


def clause_line(atoms: list[Atom], cl: Clause) -> str:
    """``cl`` as printed (:func:`simplify`, :func:`text`)."""
    return text(simplify(atoms, cl))


def term(atoms: list[Atom], parts: list[Part], x: SState) -> z3.BoolRef:
    """The printed clause's Z3 term over ``x`` (for the equivalence with the mined clause)."""

    def lit(c: Lit) -> z3.BoolRef:
        if c.op == "atom":
            t = atoms[c.value].term(x)
        elif c.op == "gt":
            t = x.flat[c.loc] > c.value
        elif z3.is_bool(x.flat[c.loc]):
            t = x.flat[c.loc] if c.value else z3.Not(x.flat[c.loc])
        else:
            t = x.flat[c.loc] == c.value
        return t if c.pos else z3.Not(t)

    disj = [z3.And(*[lit(c) for c in p]) if len(p) > 1 else lit(p[0]) for p in parts]
    return z3.Or(*disj) if len(disj) > 1 else disj[0]


# ---------------------------------------------------------------- every-N clauses (param.TAtom)

#: the values an instance-id location is compared with, ``== i`` and ``== j``: two distinct concrete
#: numbers, because an every-N clause over i and j is read for i ≠ j (``x == i`` implies ``x != j``)
_WHO = {"i": -(10 ** 6), "j": -(10 ** 6) - 1}


def as_atoms(templates: list[Any]) -> list[Atom]:
    """Every-N atom templates (:class:`checker.symbolic.induct.param.TAtom`) as atoms over made-up
    flat locations, one per (variable, path, flag bit), so that :func:`simplify` compares literals on
    the same location as it does for a grounded clause. The result serves printing only:
    ``clause_line(as_atoms(templates), cl)``. The caller says the clause's binders (∀ i, or ∀ i ≠ j)
    from the mined clause, not from the printed text: a literal over j can go (implied by one over i,
    for i ≠ j), and the clause still holds only for i ≠ j."""
    locs: dict[tuple[Any, ...], int] = {}

    def loc(*key: Any) -> int:
        return locs.setdefault(key, len(locs))

    out: list[Atom] = []
    lows: set[int] = set()
    for a in templates:
        at = loc(a.var, a.path, a.bit)
        if a.kind == "bool":
            out.append(Atom("bool", at, text=a.text))
        elif a.kind in ("eq", "hi"):
            out.append(Atom("eq", at, a.value, a.text, bound="hi" if a.kind == "hi" else ""))
        elif a.kind == "gt":  # the first "> lo" is the type's least value: its negation is "== lo";
            # a later one (param.templates' small values, "> lo + 1") negates to "<= lo + 1"
            out.append(Atom("gt", at, a.value, a.text, bound="" if at in lows else "lo"))
            lows.add(at)
        elif a.kind == "ideq":
            out.append(Atom("eq", at, _WHO[a.who], a.text))
        elif a.kind == "len":
            out.append(Atom("gt", loc("len", a.var, a.path), 0, a.text, bound="lo"))
        elif a.kind == "both":
            out.append(Atom("both", at, a.value, a.text, loc2=loc(a.var2, a.path2, -1),
                            value2=_WHO[a.who] if a.who else 1))
        else:  # in, dup, named, place: read whole; "i before j in s" and a property's sub-term
            # (param_subterms) are negated as a whole
            out.append(Atom("expr" if a.kind in ("before", "sub") else a.kind, -1, text=a.text))
    return out

