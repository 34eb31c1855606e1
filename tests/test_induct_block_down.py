"""The blocking algorithm (checker.symbolic.induct.strengthen.Generaliser) when a frame's cube of a
counterexample is a part of its atoms (the every-N blocker's own-atoms rungs, param_block): "down"
intersects with the predecessor's whole cube, and a cube that cannot be generalised gives way to
the frame's fallbacks (the atoms naming no instance: DragonOS every N, NoLostWakeup)."""

from __future__ import annotations

from typing import Any

import numpy as np

from checker.symbolic.induct.param_block import ParamBlocker
from checker.symbolic.induct.strengthen import Cube, Generaliser

#: four atoms; the unreachable fact is ¬(a1 ∧ a2); reached: every state but those with a1 and a2
ROWS = [r for r in np.ndindex(2, 2, 2, 2) if not (r[1] and r[2])]
COLS = np.array(ROWS, dtype=bool).T


class Toy(Generaliser):
    """A frame over four atoms whose relatively inductive cubes contain a1 ∧ a2 and not a3: a cube
    with a3 steps back to a predecessor with a0, a1, a2 and not a3, whose own rung (:meth:`cube_of`)
    is a0 alone. With ``stuck``, a cube with a0 has a predecessor inside it (down cannot shrink it)."""

    def __init__(self, alts: list[Cube] | None = None, stuck: bool = False) -> None:
        super().__init__(4, COLS)
        self.max_depth = 0  # no counterexample to generalisation is blocked: down alone must do it
        self.alts = alts or []
        self.stuck = stuck

    def cube_of(self, m: Any) -> Cube:
        return m[0]

    def full_cube_of(self, m: Any) -> Cube:
        return m[1]

    def fallbacks(self, m: Any) -> list[Cube]:
        return self.alts

    def initial(self, cube: Cube) -> bool:
        return False

    def relative(self, cube: Cube) -> tuple[bool, Any]:
        if self.stuck and (0, True) in cube:
            return False, (cube, cube)
        if {(1, True), (2, True)} <= set(cube) and (3, True) not in cube:
            return True, ((1, True), (2, True))
        return False, (((0, True),), ((0, True), (1, True), (2, True), (3, False)))

    def _add(self, cube: Cube) -> None:
        self.added.append((len(self.added), tuple((i, not v) for i, v in cube)))


ALL: Cube = ((0, True), (1, True), (2, True), (3, True))


def test_down_keeps_what_the_whole_predecessor_shares() -> None:
    # the CTI: all four atoms true (unreached); its predecessor's own rung, a0 alone, would shed a1
    # and a2 at once and leave a reached cube (stuck); the whole predecessor keeps them
    assert not Toy().allowed(((0, True),))
    g = Toy()
    assert g.block((ALL, ALL))
    assert g.added == [(0, ((1, False), (2, False)))] and g.failed == 0


def test_fallback_cube_is_tried_when_the_first_cannot_be_generalised() -> None:
    fallback: Cube = ((1, True), (2, True), (3, False))
    assert not Toy(stuck=True).block((ALL, ALL))
    g = Toy(alts=[fallback], stuck=True)
    assert g.block((ALL, ALL))
    assert g.added == [(0, ((1, False), (2, False)))] and g.failed == 0


class _Frame:
    uses = [{"i"}, set(), {"i", "j"}, set()]


def test_param_blocker_falls_back_to_the_atoms_naming_no_instance_then_all() -> None:
    b = ParamBlocker.__new__(ParamBlocker)
    b.f = _Frame()  # type: ignore[assignment]
    whole: Cube = ((0, True), (1, False), (2, True), (3, True))
    b.full_cube_of = lambda m: whole  # type: ignore[method-assign]
    assert b.fallbacks(None) == [((1, False), (3, True)), whole]
