"""The cone of influence of a set of properties (``options.induct_cone``): which state variables can
change what the properties read, and the atoms to keep for a proof of them.

A variable is in the cone when a property reads it, when any step's guard, branch condition or
step-local value reads it (they decide which steps run and where they go, so they matter to every
property), when it is a program counter, or when it is read by the value assigned to a variable in
the cone (to the fixpoint). What is left out are counters only assignments to themselves read — the
ghost counters other properties speak of (DragonOS's ``spin`` for NoBusyLoop, ``wait`` for the
fairness bounds): writing an atom per value of them splits one counterexample to induction into one
per value, and no proof of a property outside their cone can need them.

Only the candidate language shrinks: the transition relation keeps every variable, and a proof
over the smaller language is checked like any other (``Init ⇒ J``, ``J ∧ T ⇒ J'``, ``J ⇒ P``), so
the cone decides how fast a proof is found, never whether it is right.
"""

from __future__ import annotations

from typing import Iterable

from checker.lang.expr import Expr, walk
from checker.lang.system import Assign, ForEach, If, Let, Property, Require, Stmt, System
from checker.symbolic.induct.atoms import Atom, var_ranges


def _vars(e: Expr) -> set[str]:
    out: set[str] = set()
    for n in walk(e):
        if n.op == "var":
            out.add(n.value.name)
        vals = n.value if isinstance(n.value, tuple) else (n.value,)
        for v in vals:  # a sub-expression kept in a node's value (a binder's body)
            if isinstance(v, Expr):
                out |= _vars(v)
    return out


def _statements(body: Iterable[Stmt]) -> Iterable[Stmt]:
    for st in body:
        yield st
        if isinstance(st, If):
            yield from _statements(st.then)
            yield from _statements(st.orelse)
        elif isinstance(st, ForEach):
            yield from _statements(st.body)


def cone(system: System, props: list[Property]) -> set[str]:
    """The names of the variables in the cone of influence of ``props``."""
    inside: set[str] = {a.pc.value.name for a in system.actors}
    for p in props:
        inside |= _vars(p.expr)
    flows: list[tuple[str, set[str]]] = []  # (assigned variable, what its value reads)
    for t in system.transitions:
        for st in _statements(t.body):
            if isinstance(st, (Require, If)):
                inside |= _vars(st.cond)
            elif isinstance(st, Let):
                inside |= _vars(st.value)
            elif isinstance(st, Assign):
                for ix in st.path:
                    inside |= _vars(ix)
                flows.append((st.var.name, _vars(st.value)))
    grown = True
    while grown:
        grown = False
        for var, reads in flows:
            if var in inside and not reads <= inside:
                inside |= reads
                grown = True
    return inside


def in_cone(system: System, props: list[Property], atoms: list[Atom]) -> list[Atom]:
    """The atoms that read only locations of variables in the cone of ``props`` (a symbolic
    constant's locations, after the state's, always count as in)."""
    names = cone(system, props)
    out_locs = {k for name, locs in var_ranges(system).items() if name not in names for k in locs}
    return [a for a in atoms if not (a.reads() & out_locs)]
