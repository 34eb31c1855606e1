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


def _linux_softirq_one(c: dict[str, Any]) -> bool:
    """Linux 6.18 contract, one instance on one or two CPUs, softirq mode, no optional context."""
    off = ("busy_poll", "threaded", "disable", "netpoll", "gro_held", "prep_no_missed", "thread_wait_sched",
           "double_disable", "bp_prefer")
    return (c.get("N") == 1 and c.get("CPUS") in (1, 2) and not any(c.get(k) for k in off) and not c.get("DEFER")
            and c.get("driver", "contract") == "contract" and c.get("era", "6.18") == "6.18")


def _linux_threaded_one(c: dict[str, Any]) -> bool:
    """The same with threaded NAPI (models/linux/induct_threaded.toml)."""
    others = ("stop_kthread", "start_kthread", "stop_kthread_no_wait", "lifecycle", "delete")
    return bool(c.get("threaded")) and not any(c.get(k) for k in others) and _linux_softirq_one({**c, "threaded": False})


#: Measured with bench/symbolic.py (see README, "Engines"): PDR proves these properties of napi_basic
#: with N=1 up to RING=1024, WEIGHT=64 in seconds; with N >= 2, and on the Linux and DragonOS specs,
#: neither PDR nor k-induction finishes in 60 s.
DECIDES: tuple[Decides, ...] = (
    Decides("pdr", "napi_basic", lambda c: c.get("N") == 1,
            frozenset({"NoDoubleQueue", "SchedMatchesList", "NoLostWakeup"}),
            "measured to decide napi_basic with N=1"),
    # the invariant engine (README, "Which engine decides what"): napi_basic N <= 3 in 2-81 s CPU, the
    # Linux spec with one instance on one or two CPUs in softirq mode in 66-100 s CPU, for every RING, WEIGHT,
    # BUDGET
    Decides("induct", "napi_basic", lambda c: c.get("N", 2) <= 3 and not any(
            c.get(v) for v in ("timer", "requeue_head", "unmask_first", "split_test_set", "poll_claims_weight")),
            frozenset({"NoDoubleQueue", "SchedMatchesList", "NoLostWakeup", "BoundedWait", "Deadlock"}),
            "measured to prove napi_basic with N <= 3 for every RING and WEIGHT"),
    Decides("induct", "linux", _linux_softirq_one,
            frozenset({"NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup"}),
            "measured to prove the Linux spec with N=1 in softirq mode for every RING, WEIGHT, BUDGET"),
    Decides("induct", "linux", _linux_threaded_one,
            frozenset({"NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup"}),
            "measured to prove the Linux spec with N=1 and threaded NAPI for every RING, WEIGHT, BUDGET"),
)


def engine_for(spec: str, constants: dict[str, Any], prop: str, already: list[str]) -> Decides | None:
    """The engine known to decide ``prop`` of this instance, unless it ran already; None if none is."""
    for d in DECIDES:
        if d.spec == spec and prop in d.properties and d.engine not in already and d.when(constants):
            return d
    return None
