"""Mirror images of a clause under a swap of two instances (``options.induct_mirror``).

A system of N interchangeable instances (NICs, NAPI instances) that are written out one by one —
per-instance arrays ``rx[j]``, per-instance actors ``drv0``, ``drv1``, values naming an instance
(``napi_handler.cur[0] == 1``, ``1 in napi_list``) — has, for every clause that holds of instance
0, the same clause about instance 1. Blocking a counterexample to induction about one instance
(:mod:`.strengthen`) finds one clause; its mirror image is the clause the next counterexample, about
the other instance, would need. Proposing the mirror at once saves that second blocking.

The mirror is read off the IR's shape, not proved: a location is renamed when it is an element of a
global array over the N instances or a local of an actor named ``<prefix><j>``; a value is swapped
when the location holds an instance id (type ``Int(0, N-1)``, not inside a per-instance array) or is
an element of a sequence of instance ids. Nothing rests on it: a mirrored clause is only a
candidate, added when it excludes no reached and no initial state, and Houdini keeps it only if it
is inductive with the rest (an asymmetry — the netns poller's ordered scan, a dead local reset to
instance 0 — just makes the mirror fail those checks).
"""

from __future__ import annotations

import re
from typing import Callable

from checker.lang.system import System
from checker.lang.types import Array, Int, Seq, Type
from checker.symbolic.induct.atoms import Atom, flat_width
from checker.symbolic.induct.mine import Clause

_ACTOR = re.compile(r"^(\D+?)(\d+)$")


def _key(a: Atom) -> tuple[object, ...]:
    return (a.kind, a.loc, a.value, a.slots, a.loc2, a.value2)


def _is_id(typ: Type, n: int) -> bool:
    return isinstance(typ, Int) and typ.lo == 0 and typ.hi == n - 1


class Mirror:
    """Atom permutations of ``system``'s atoms for every swap of two of its ``n`` instances."""

    def __init__(self, system: System, names: list[str], atoms: list[Atom], n: int) -> None:
        self.n = n
        where = {nm: k for k, nm in enumerate(names)}
        actors = {}
        for a in system.actors:
            m = _ACTOR.match(a.name)
            if m and int(m.group(2)) < n:
                actors[a.name] = (m.group(1), int(m.group(2)))
        per_inst: set[str] = set()  # global arrays over the instances, locals of an actor family over them
        family = {a.name for a in system.actors if a.instances == n}
        ids: set[int] = set()  # flat locations holding an instance id
        id_seqs: set[int] = set()  # length locations of sequences of instance ids
        k = 0
        for v in system.vars:
            w = flat_width(v.typ)
            owner = v.name.split(".")[0]
            local = owner in {a.name for a in system.actors} and "." in v.name
            typ = v.typ
            if isinstance(typ, Array) and typ.size == n and (not local or owner in family):
                per_inst.add(v.name)
            elif local and isinstance(typ, Array):
                self._ids_of(typ.elem, k, n, typ.size, ids, id_seqs)
            else:
                self._ids_of(typ, k, n, 1, ids, id_seqs)
            k += w
        self.ids, self.id_seqs = ids, id_seqs
        self.index = {_key(a): i for i, a in enumerate(atoms)}
        self.atoms = atoms
        self.swaps: list[dict[int, int]] = []
        for a in range(n):
            for b in range(a + 1, n):
                self.swaps.append(self._atom_perm(names, where, per_inst, actors, a, b))

    @staticmethod
    def _ids_of(typ: Type, k: int, n: int, count: int, ids: set[int], id_seqs: set[int]) -> None:
        w = flat_width(typ)
        for r in range(count):
            base = k + r * w
            if _is_id(typ, n):
                ids.add(base)
            elif isinstance(typ, Seq) and _is_id(typ.elem, n):
                id_seqs.add(base)

    def _atom_perm(self, names: list[str], where: dict[str, int], per_inst: set[str],
                   actors: dict[str, tuple[str, int]], a: int, b: int) -> dict[int, int]:
        def swap(j: int) -> int:
            return b if j == a else a if j == b else j

        def rename(nm: str) -> str:
            for var in per_inst:
                for j in (a, b):
                    pre = f"{var}[{j}]"
                    if nm.startswith(pre):
                        return f"{var}[{swap(j)}]" + nm[len(pre):]
            head = nm.split(".")[0]
            if head in actors:
                prefix, j = actors[head]
                return f"{prefix}{swap(j)}" + nm[len(head):]
            return nm

        loc = {k: where.get(rename(nm), k) for k, nm in enumerate(names)}

        perm: dict[int, int] = {}
        for i, at in enumerate(self.atoms):
            if at.kind == "expr":
                continue
            if at.kind in ("in", "dup", "before"):  # a sequence: its element values move
                ids = at.loc in self.id_seqs
                new = (at.kind, loc[at.loc], swap(at.value) if ids else at.value, tuple(loc[s] for s in at.slots),
                       at.loc2, swap(at.value2) if ids and at.kind == "before" else at.value2)
            elif at.kind == "at":  # position slots[0] of the sequence at loc (its slot at loc2) holds value
                ids = at.loc in self.id_seqs
                new = (at.kind, loc[at.loc], swap(at.value) if ids else at.value, at.slots, loc[at.loc2], at.value2)
            else:  # bool, eq, gt, both: a location (two for both) and the value(s) compared
                new = (at.kind, loc[at.loc], swap(at.value) if at.loc in self.ids else at.value, at.slots,
                       loc[at.loc2] if at.loc2 >= 0 else at.loc2,
                       swap(at.value2) if at.loc2 in self.ids else at.value2)
            j = self.index.get(new)
            if j is not None:
                perm[i] = j
        return perm

    def images(self, clause: Clause) -> list[Clause]:
        """The clause's images under every swap (those whose every atom has an image), without itself."""
        out: list[Clause] = []
        for perm in self.swaps:
            if all(i in perm for i, _ in clause):
                img = tuple(sorted((perm[i], pol) for i, pol in clause))
                if img != tuple(sorted(clause)) and img not in out:
                    out.append(img)
        return out


def mirror_for(system: System, names: list[str], atoms: list[Atom], count: str) -> Callable[[Clause], list[Clause]] | None:
    """``Mirror(...).images`` for the instance count constant ``count`` (None below two instances)."""
    n = system.constants.get(count)
    if not isinstance(n, int) or n < 2:
        return None
    return Mirror(system, names, atoms, n).images
