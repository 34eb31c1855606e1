"""Symmetry reduction: one canonical representative per orbit of interchangeable instances.

A spec declares its instances interchangeable with ``System.symmetric(n, arrays=..., ids=...)``:
a permutation ``π`` of the ids ``0..n-1`` acts on a state by moving element ``i`` of every
instance-indexed array to position ``π(i)`` and renaming every id held in an id-valued variable
``x`` to ``π(x)``. When the initial state, the step relation and every property are invariant
under all such ``π`` (``succ(π s) = π succ(s)``, ``p(π s) = p(s)``), a state violating a safety
property is reachable iff one is reachable in the quotient that stores one state per orbit
(Ip & Dill 1996; Emerson & Sistla 1996). Liveness is not preserved (the quotient has cycles the
system lacks), so the explorer uses this for safety properties only; the liveness engine refuses
``limits.symmetry``.

The explorer stores ``canon(s)`` but expands the state it actually reached, so every trace is
a real run (replayed from the initial state as usual). The declaration is the spec's claim:
:func:`canonicaliser` checks it on the initial state, and the explorer checks it on the first
:data:`CHECKED_STATES` expanded states for the generating permutations (a swap and a rotation) —
a test of the claim, not a proof; a mismatch stops the run with an error naming the step.

The canonical form: sort the instances by their *signature* (their elements of the indexed
arrays); among instances with equal signatures only the order of those occurring as ids
matters, and the least image gives the next free position of the group to each id at its
first occurrence (in slot order, then element order). Since every candidate sorts the
signatures, the result is the least image over the whole orbit under an order that compares
signatures first, hence the same for every member of an orbit. (A variable that is both
indexed by and holding ids falls back to trying every order of the tied members.)
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

from checker.lang.pycompile import CompiledSystem, State
from checker.lang.system import Property, Symmetry
from checker.lang.types import Array, Seq

CHECKED_STATES = 200


class SymmetryError(Exception):
    """The declared symmetry does not hold for this system."""


def permute(sym: Symmetry, s: State, perm: tuple[int, ...]) -> State:
    """The state with instance ``i`` renamed ``perm[i]``."""
    out = list(s)
    for v in sym.ids:
        val = out[v.slot]
        out[v.slot] = tuple(perm[x] for x in val) if isinstance(v.typ, (Array, Seq)) else perm[val]
    for v in sym.arrays:
        old = out[v.slot]
        new: list[Any] = [None] * sym.instances
        for i, x in enumerate(old):
            new[perm[i]] = x
        out[v.slot] = tuple(new)
    return tuple(out)


def canonicaliser(compiled: CompiledSystem, props: list[Property]) -> Callable[[State], State]:
    """``canon(s)``: the representative of ``s``'s orbit (see the module docstring)."""
    system = compiled.system
    sym = system.symmetry
    if sym is None:
        raise SymmetryError(f"spec {system.spec_name!r} declares no symmetry (System.symmetric)")
    n = sym.instances
    arr_slots = [v.slot for v in sym.arrays]
    id_vars = [(v.slot, isinstance(v.typ, (Array, Seq))) for v in sym.ids]

    if set(arr_slots) & {k for k, _ in id_vars}:
        canon = _enumerating(sym, arr_slots, id_vars)
    else:
        id_vars.sort()  # the state tuple compares them in slot order

        def canon(s: State) -> State:
            sigs = [tuple(s[k][i] for k in arr_slots) for i in range(n)]
            order = sorted(range(n), key=sigs.__getitem__)
            free: dict[tuple, int] = {}
            for j, i in enumerate(order):
                free.setdefault(sigs[i], j)
            perm = [-1] * n
            # Members of a tie group differ only in where their ids occur; the least image gives
            # the smallest free position of its group to each id at its first occurrence.
            for k, many in id_vars:
                for x in (s[k] if many else (s[k],)):
                    if perm[x] < 0:
                        perm[x] = free[sigs[x]]
                        free[sigs[x]] += 1
            for i in order:
                if perm[i] < 0:
                    perm[i] = free[sigs[i]]
                    free[sigs[i]] += 1
            return permute(sym, s, tuple(perm))

    init = system.init_state()
    for perm in generators(n):
        if permute(sym, init, perm) != init:
            raise SymmetryError(f"the initial state is not symmetric under the renaming {perm}")
    return canon


def _enumerating(sym: Symmetry, arr_slots: list[int], id_vars: list[tuple[int, bool]]) -> Callable[[State], State]:
    """The general canonical form (a variable both indexed by and holding ids): try every order
    of the tie groups' members that occur as ids; the least image wins."""
    n = sym.instances

    def canon(s: State) -> State:
        sigs = [tuple(s[k][i] for k in arr_slots) for i in range(n)]
        order = sorted(range(n), key=sigs.__getitem__)
        used: set[int] = set()
        for k, many in id_vars:
            used.update(s[k] if many else (s[k],))
        groups: list[tuple[int, list[int]]] = []
        j = 0
        while j < n:
            e = j
            while e + 1 < n and sigs[order[e + 1]] == sigs[order[j]]:
                e += 1
            if len([x for x in order[j:e + 1] if x in used]) > 1:
                groups.append((j, order[j:e + 1]))
            j = e + 1
        best: State | None = None
        for combo in itertools.product(*[itertools.permutations(g) for _, g in groups]):
            o = list(order)
            for (start, g), arr in zip(groups, combo):
                o[start:start + len(g)] = arr
            img = permute(sym, s, _inverse(o))
            if best is None or img < best:
                best = img
        assert best is not None
        return best

    return canon


def _inverse(order: list[int]) -> tuple[int, ...]:
    """``order[j]`` is the instance put at position ``j``: the renaming maps it to ``j``."""
    perm = [0] * len(order)
    for j, i in enumerate(order):
        perm[i] = j
    return tuple(perm)


def generators(n: int) -> list[tuple[int, ...]]:
    """A swap of 0 and 1 and the rotation i -> i+1: together they generate every permutation."""
    if n < 2:
        return []
    swap = (1, 0, *range(2, n))
    rot = tuple((i + 1) % n for i in range(n))
    return [swap, rot] if n > 2 else [swap]


def check_state(compiled: CompiledSystem, props: list[Property], s: State) -> None:
    """Check the declared symmetry at ``s``: steps commute with renaming, properties are invariant."""
    sym = compiled.system.symmetry
    assert sym is not None
    succ = {t for _, t in compiled.successors(s)}
    fns = [(p, compiled.state_fn(p.expr)) for p in props if p.kind in ("invariant", "deadlock")]
    for perm in generators(sym.instances):
        ps = permute(sym, s, perm)
        mapped = {permute(sym, t, perm) for t in succ}
        if {t for _, t in compiled.successors(ps)} != mapped:
            raise SymmetryError(f"the steps from {s} and from its renaming by {perm} do not correspond: "
                                "the declared symmetry does not hold")
        for p, fn in fns:
            if bool(fn(ps)) != bool(fn(s)):
                raise SymmetryError(f"property {p.name} tells {s} and its renaming by {perm} apart")
