"""Before 39e6c8208d7b ("net: solve a NAPI race", 4.10): no NAPI_STATE_MISSED.

    napi_schedule_prep:  return !test_bit(NAPI_STATE_DISABLE) && !test_and_set_bit(NAPI_STATE_SCHED);
    napi_complete_done:  ... __napi_complete(n): list_del_init(&n->poll_list); clear_bit(NAPI_STATE_SCHED);

A schedule attempt that loses the race against the owner leaves no trace, so a packet signalled
while the owner completes can be left with nobody to poll it (models/linux/v1_*.toml).
"""

from __future__ import annotations

from typing import Any

from spec.linux.core.napi_complete_done import after_release, arm_timer, checks
from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Call


def napi_schedule_prep(fn: Call, func: str = "net/core/dev.c:napi_schedule_prep (4.9: test_bit DISABLE)",
                       tas: str = "net/core/dev.c:napi_schedule_prep (4.9: test_and_set_bit SCHED)",
                       test_disable: bool = True) -> str:
    kn = fn.kernel

    @fn.step("prep", func=func)
    def prep(t: Any, i: int) -> None:
        if not test_disable:
            t.goto(fn.label("prep_tas"))  # netif_running(dev): the device is up throughout
            return
        with t.if_(kn.napi_state[fn.napi(i)].has("DISABLE")):
            fn.ret_false(t, i)  # type: ignore[misc]
        with t.else_():
            t.goto(fn.label("prep_tas"))

    @fn.step("prep_tas", func=tas)
    def prep_tas(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.let("old", kn.napi_state[n])
        t.set(kn.napi_state[n], kn.napi_state[n].with_bits("SCHED"))
        with t.if_(t.temp("old").has("SCHED")):
            fn.ret_false(t, i)  # type: ignore[misc]
        with t.else_():
            fn.ret_true(t, i)  # type: ignore[misc]
    return fn.label("prep")


def napi_complete_done(fn: Call, work0: bool = False,
                       clear: str = "net/core/dev.c:__napi_complete (4.9: list_del_init; clear_bit SCHED)") -> str:
    kn = fn.kernel
    checks(fn, work0, "cd_clear")

    @fn.step("cd_clear", func=clear)
    def cd_clear(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(kn.napi_state[n], kn.napi_state[n].without_bits("SCHED", "PREFER_BUSY_POLL"))
        fn.set_fact(t, i, "polling", False)
        after_release(fn, t, i)

    arm_timer(fn)
    return fn.label("cd")


def apply(kernel: LinuxKernel) -> None:
    kernel.replace("napi_schedule_prep", napi_schedule_prep)
    kernel.replace("napi_complete_done", napi_complete_done)
