"""A driver that completes whatever it consumed and then returns its work, the full budget if it
used it:

    work_done = <clean Rx ring, at most budget>;
    if (napi_complete_done(napi, work_done))
            <driver>_enable_irq();
    return work_done;                      /* may be == budget after completing */

__napi_poll then believes it still owns the instance (work == weight) and repolls it although SCHED
was released: the IRQ can queue it a second time (NoDoubleQueue) and the repoll runs without SCHED
(OwnerHoldsSched). With budget 0 (netpoll) it returns at once.
"""

from __future__ import annotations

from typing import Any

from spec.linux.drivers.base import Driver, clean_rx, unmask_irq
from spec.linux.prog import Call


class ReturnBudgetAfterComplete(Driver):
    name = "return_budget_after_complete"

    def poll(self, d: Call, budget: int) -> str:
        @d.step("rx", func=d.kernel.poll_func + " (clean Rx ring)")
        def rx(t: Any, i: int) -> None:
            clean_rx(d, t, i, budget)
            t.goto(complete if budget > 0 else d.label("ret0"))

        if budget == 0:
            @d.step("ret0", func=d.kernel.poll_func)
            def ret0(t: Any, i: int) -> None:
                d.ret(t, i)  # type: ignore[misc]
            return d.label("rx")

        complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.ret)
        unmask_irq(d, "unmask", then=d.ret)  # type: ignore[arg-type]
        return d.label("rx")
