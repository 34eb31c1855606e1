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

from typing import Any

from spec.linux.drivers.base import Driver, clean_rx, unmask_irq
from spec.linux.prog import Call


class IgnoreFalse(Driver):
    name = "ignore_false"

    def poll(self, d: Call, budget: int) -> str:
        @d.step("rx", func=d.kernel.poll_func + " (clean Rx ring)")
        def rx(t: Any, i: int) -> None:
            work = clean_rx(d, t, i, budget)
            with t.if_(work == budget):
                d.ret(t, i)  # type: ignore[misc]
            with t.else_():
                t.goto(complete)

        complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.to("unmask"))
        unmask_irq(d, "unmask", then=d.ret)  # type: ignore[arg-type]
        return d.label("rx")
