"""Which engine to suggest when the explicit engine stops at a limit: only one measured to decide that
spec at that size. The table is deliberately conservative — a suggestion that then runs out of time
(or makes Spacer give up) costs the user more than no suggestion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decides:
    engine: str
    spec: str
    when: Callable[[dict[str, Any]], bool]  # on the configuration's constants (after defaults)
    properties: frozenset[str]
    evidence: str


#: Measured with bench/symbolic.py (see README, "Engines"): PDR proves these properties of napi_basic
#: with N=1 up to RING=1024, WEIGHT=64 in seconds; with N >= 2, and on the Linux and DragonOS specs,
#: neither PDR nor k-induction finishes in 60 s.
DECIDES: tuple[Decides, ...] = (
    Decides("pdr", "napi_basic", lambda c: c.get("N") == 1,
            frozenset({"NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"}),
            "measured to decide napi_basic with N=1"),
)


def engine_for(spec: str, constants: dict[str, Any], prop: str, already: list[str]) -> Decides | None:
    """The engine known to decide ``prop`` of this instance, unless it ran already; None if none is."""
    for d in DECIDES:
        if d.spec == spec and prop in d.properties and d.engine not in already and d.when(constants):
            return d
    return None
