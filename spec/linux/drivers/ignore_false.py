"""A driver that re-arms its interrupt whatever napi_complete_done returns:

    work_done = <clean Rx ring, at most budget>;
    if (work_done == budget)
            return budget;
    napi_complete_done(napi, work_done);   /* result ignored */
    <driver>_enable_irq();
    return work_done;

When napi_complete_done returns false (the watchdog or a MISSED reschedule keeps the instance
queued) the IRQ is unmasked while the instance is scheduled: IrqMaskedWhileQueued.
"""

from __future__ import annotations

from spec.linux.drivers.base import Driver, clean_rx_step, unmask_irq
from spec.linux.prog import Call


class IgnoreFalse(Driver):
    name = "ignore_false"

    def poll(self, d: Call, budget: int) -> str:
        rx = clean_rx_step(d, budget, lambda t, i: t.goto(complete))

        complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.to("unmask"))
        unmask_irq(d, "unmask", then=d.ret)  # type: ignore[arg-type]
        return rx
