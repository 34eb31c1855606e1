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

from spec.linux.drivers.base import Driver, clean_rx_step, unmask_irq
from spec.linux.prog import Call


class UnmaskFirst(Driver):
    name = "unmask_first"

    def poll(self, d: Call, budget: int) -> str:
        rx = clean_rx_step(d, budget, d.to("unmask"))

        unmask_irq(d, "unmask", then=lambda t, i: t.goto(complete))
        complete = d.call("napi_complete_done", ret_true=d.ret, ret_false=d.ret)
        return rx
