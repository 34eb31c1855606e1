"""igb's poll as seed 004 has it (drivers/net/ethernet/intel/igb/igb_main.c, igb_poll, before the
driver honoured napi_complete_done's result):

    if (q_vector->tx.ring) clean_complete = igb_clean_tx_irq(q_vector, budget);
    if (q_vector->rx.ring) { int cleaned = igb_clean_rx_irq(q_vector, budget);
                             work_done += cleaned; if (cleaned >= budget) clean_complete = false; }
    /* If all work not completed, return budget and keep polling */
    if (!clean_complete) return budget;
    napi_complete(napi);
    igb_ring_irq_enable(q_vector);
    return 0;

``txc`` (igb_clean_tx_irq finished its Tx work) is a nondeterministic choice of the Rx step.
"""

from __future__ import annotations

from typing import Any

from spec.linux.drivers.base import Driver, clean_rx, unmask_irq
from spec.linux.prog import Call, Emit


def clean_tx_rx(d: Call, budget: int, complete: Emit) -> None:
    """Step ``rx``: igb_clean_tx_irq + igb_clean_rx_irq; not all work done -> return budget, else ``complete``."""
    txc = {"txc": [True, False]} if budget > 0 else None
    func = d.kernel.poll_func + (" (igb_clean_tx_irq + igb_clean_rx_irq)" if txc else " (clean Rx ring)")

    @d.step("rx", func=func, params=txc)
    def rx(t: Any, i: int, txc: bool = True) -> None:
        work = clean_rx(d, t, i, budget)
        if not txc:
            t.set(d.L.work[i], budget)
            d.ret(t, i)  # type: ignore[misc]
            return
        with t.if_(work == budget):
            d.ret(t, i)  # type: ignore[misc]
        with t.else_():
            complete(t, i)


class Igb(Driver):
    name = "igb"

    def poll(self, d: Call, budget: int) -> str:
        clean_tx_rx(d, budget, lambda t, i: t.goto(complete))
        # napi_complete(napi); igb_ring_irq_enable(q_vector); return 0;
        complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.to("unmask"), work0=True)

        def return_zero(t: Any, i: int) -> None:
            t.set(d.L.work[i], 0)
            d.ret(t, i)  # type: ignore[misc]
        unmask_irq(d, "unmask", then=return_zero)
        return d.label("rx")
