"""The inferred invariant compiled to Python over the explicit engine's state tuples.

Generated from the atoms' own Python rendering (:meth:`Atom.python`) over
:func:`checker.symbolic.translate.flat_access`, independently of the numpy columns used for
mining, so that evaluating it on every reached state checks the mining as well.
"""

from __future__ import annotations

from checker.lang.system import System
from checker.symbolic.induct.atoms import Atom
from checker.symbolic.induct.mine import Clause
from checker.symbolic.invariant_check import ConcreteInvariant
from checker.symbolic.translate import flat_access


def compile_clauses(system: System, atoms: list[Atom], clauses: list[Clause], texts: list[str]) -> ConcreteInvariant:
    access = flat_access(system)
    ref = [f"v{k}" for k in range(len(access))]
    used: set[int] = set()
    body = []
    for k, cl in enumerate(clauses):
        lits = []
        for i, pol in cl:
            a = atoms[i]
            used.update(a.reads())
            lits.append(a.python(ref) if pol else f"not {a.python(ref)}")
        body.append(f"    if not ({' or '.join(lits)}):\n        return {k}")
    loads = [f"    {ref[k]} = {access[k]}" for k in sorted(used)]
    source = "def first_false(s):\n" + "\n".join(loads + body + ["    return -1"]) + "\n"
    scope: dict = {}
    exec(compile(source, "<inferred invariant>", "exec"), scope)
    return ConcreteInvariant(texts, scope["first_false"], source)
