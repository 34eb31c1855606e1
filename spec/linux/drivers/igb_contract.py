"""igb's poll as fixed upstream (drivers/net/ethernet/intel/igb/igb_main.c, igb_poll since 2017):

    /* If all work not completed, return budget and keep polling */
    if (!clean_complete) return budget;
    /* Exit the polling mode, but don't re-enable interrupts if stack might poll us due to busy-polling */
    if (likely(napi_complete_done(napi, work_done)))
            igb_ring_irq_enable(q_vector);
    return work_done;

(The model returns ``work_done``; upstream returns ``min(work_done, budget - 1)``, the same here since
the completion is only reached with work_done < budget.)
"""

from __future__ import annotations

from spec.linux.drivers.base import Driver, unmask_irq
from spec.linux.drivers.igb import clean_tx_rx
from spec.linux.prog import Call


class IgbContract(Driver):
    name = "igb_contract"

    def poll(self, d: Call, budget: int) -> str:
        clean_tx_rx(d, budget, lambda t, i: t.goto(complete))
        complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.ret)
        unmask_irq(d, "unmask", then=d.ret)  # type: ignore[arg-type]
        return d.label("rx")
