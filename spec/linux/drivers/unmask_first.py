"""A driver that re-arms its interrupt BEFORE napi_complete_done (xen-netback before 2014):

    work_done = <clean Rx ring, at most budget>;
    if (work_done < budget) {
            <enable irq / event channel>;
            napi_complete(napi);
    }
    return work_done;

A packet that arrives between the unmask and the completion raises an IRQ whose napi_schedule_prep
fails (SCHED is still held); without NAPI_STATE_MISSED nothing polls it again.
"""

from __future__ import annotations

from typing import Any

from spec.linux.drivers.base import Driver, clean_rx, unmask_irq
from spec.linux.prog import Call


class UnmaskFirst(Driver):
    name = "unmask_first"

    def poll(self, d: Call, budget: int) -> str:
        @d.step("rx", func=d.kernel.poll_func + " (clean Rx ring)")
        def rx(t: Any, i: int) -> None:
            work = clean_rx(d, t, i, budget)
            with t.if_(work == budget):
                d.ret(t, i)  # type: ignore[misc]
            with t.else_():
                t.goto(d.label("unmask"))

        unmask_irq(d, "unmask", then=lambda t, i: t.goto(complete))
        complete = d.call("napi_complete_done", ret_true=d.ret, ret_false=d.ret)
        return d.label("rx")
