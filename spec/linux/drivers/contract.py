"""The driver contract of Documentation/networking/napi.rst, as a driver would write its poll:

    work_done = <clean Rx ring, at most budget>;
    if (work_done == budget)
            return budget;                 /* "return exactly budget and do not touch NAPI state" */
    if (napi_complete_done(napi, work_done))
            <driver>_enable_irq();         /* only when it returns true */
    return work_done;
"""

from __future__ import annotations

from spec.linux.drivers.base import Driver, clean_rx_step, unmask_irq
from spec.linux.prog import Call


class Contract(Driver):
    name = "contract"

    def poll(self, d: Call, budget: int) -> str:
        rx = clean_rx_step(d, budget, lambda t, i: t.goto(complete))

        complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.ret)
        unmask_irq(d, "unmask", then=d.ret)  # type: ignore[arg-type]
        return rx
