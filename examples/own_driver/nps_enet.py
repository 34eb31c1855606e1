"""EZchip nps_enet as a napi-check driver plug-in (docs/own-driver.md).

Source: drivers/net/ethernet/ezchip/nps_enet.c, nps_enet_poll and nps_enet_irq_handler
(torvalds/linux at 0755a4e3e809). The IRQ handler is the napi.rst pattern:

    if (nps_enet_is_tx_pending(priv) || rx_ctrl_cr)
            if (likely(napi_schedule_prep(&priv->napi))) {
                    nps_enet_reg_set(priv, NPS_ENET_REG_BUF_INT_ENABLE, 0);
                    __napi_schedule(&priv->napi);
            }

and the poll, as fixed by "ezchip: nps_enet: check if napi has been completed" (2017; the fix
called napi_reschedule(napi), renamed napi_schedule(napi) in 2023 -- the same prep + __napi_schedule):

    nps_enet_tx_handler(ndev);
    work_done = nps_enet_rx_handler(ndev);
    if ((work_done < budget) && napi_complete_done(napi, work_done)) {
            <BUF_INT_ENABLE = rx_rdy | tx_done>;
            /* in case we will get a tx interrupt while interrupts are masked, we will lose it
             * since the tx is edge interrupt. ... re-adding ourselves to the poll list. */
            if (nps_enet_is_tx_pending(priv)) {
                    nps_enet_reg_set(priv, NPS_ENET_REG_BUF_INT_ENABLE, 0);
                    napi_schedule(napi);
            }
    }
    return work_done;

Before the fix the poll called napi_complete(napi) and re-enabled the interrupts whatever it
returned (the 2016 file: ``if (work_done < budget) { napi_complete(napi); <enable>; if
(priv->tx_packet_sent && !tx_ctrl_ct) napi_reschedule(napi); }``): the constant ``fixed = false``
models that head, with the fixed file's Tx tail (the file of the day before the fix was not found;
the violation happens at the unmask, before the tail). Whether a Tx completion is pending after the
unmask is a nondeterministic choice (the model counts Rx packets only). docs/own-driver.md says
what was checked against which copy of the file.
"""

from __future__ import annotations

from typing import Any

from checker.lang import Constant
from spec.linux import linux_spec
from spec.linux.drivers import Driver, clean_rx, unmask_irq
from spec.linux.prog import Call

POLL = "drivers/net/ethernet/ezchip/nps_enet.c:nps_enet_poll"


class NpsEnet(Driver):
    name = "nps_enet"
    irq_entry = "drivers/net/ethernet/ezchip/nps_enet.c:nps_enet_irq_handler"
    irq_mask = "drivers/net/ethernet/ezchip/nps_enet.c:nps_enet_irq_handler (BUF_INT_ENABLE = 0)"

    def poll(self, d: Call, budget: int) -> str:
        @d.step("rx", func=POLL + " (nps_enet_tx_handler; nps_enet_rx_handler)")
        def rx(t: Any, i: int) -> None:
            work = clean_rx(d, t, i, budget)
            with t.if_(work == budget):
                d.ret(t, i)
            with t.else_():
                t.goto(complete)

        if d.kernel.k.fixed:   # if (napi_complete_done(napi, work_done)) { enable; ... }
            complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.ret)
        else:            # napi_complete(napi); enable; ...
            complete = d.call("napi_complete_done", ret_true=d.to("unmask"), ret_false=d.to("unmask"),
                              work0=True)
        unmask_irq(d, "unmask", then=d.to("tx_pending"), func=POLL + " (BUF_INT_ENABLE = rx_rdy | tx_done)")

        @d.step("tx_pending", func=POLL + " (nps_enet_is_tx_pending)", params={"tx_pending": [False, True]})
        def tx_pending(t: Any, i: int, tx_pending: bool) -> None:
            if tx_pending:
                t.set(d.kernel.irq_masked[d.napi(i)], True)  # BUF_INT_ENABLE = 0
                t.goto(prep)
            else:
                d.ret(t, i)

        # napi_schedule(napi): if (napi_schedule_prep(n)) __napi_schedule(n);
        prep = d.call("napi_schedule_prep", pre="tx_", ret_true=lambda t, i: t.goto(sched), ret_false=d.ret)
        sched = d.call("____napi_schedule", pre="tx_", ret=d.ret)
        return d.label("rx")


SPEC = linux_spec("nps_enet", "EZchip nps_enet's poll and IRQ handler on the Linux 6.18 NAPI core",
                  driver=NpsEnet(),
                  constants=[Constant("fixed", bool, True, "the poll checks napi_complete_done's result (2017 fix)")])
