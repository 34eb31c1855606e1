"""The 2006 interface (2.6.19, seeds 002/003): netif_rx_schedule_prep / __netif_rx_schedule /
netif_rx_complete and dev->poll(dev, &quota); no MISSED, busy polling, threaded NAPI, netpoll's
NPSVC or the watchdog.

    netif_rx_schedule_prep(dev): netif_running(dev) && !test_and_set_bit(__LINK_STATE_RX_SCHED, &dev->state)
    netif_rx_complete(dev):      local_irq_save; list_del(&dev->poll_list); clear_bit(__LINK_STATE_RX_SCHED); ...
"""

from __future__ import annotations

from functools import partial
from typing import Any

from spec.linux.core.napi_complete_done import finish
from spec.linux.core.napi_schedule import ____napi_schedule
from spec.linux.kernel import DEV, LinuxKernel
from spec.linux.prog import Call
from spec.linux.variants import prep_no_missed

H = "include/linux/netdevice.h:"


def netif_rx_complete(fn: Call, work0: bool = False) -> str:
    kn = fn.kernel

    @fn.step("cd", func=H + "netif_rx_complete (local_irq_save)")
    def cd(t: Any, i: int) -> None:
        t.goto(fn.label("cd_clear"))

    @fn.step("cd_clear", func=H + "netif_rx_complete (list_del; clear_bit __LINK_STATE_RX_SCHED)")
    def cd_clear(t: Any, i: int) -> None:
        n = fn.napi(i)
        t.set(kn.napi_state[n], kn.napi_state[n].without_bits("SCHED", "PREFER_BUSY_POLL"))
        fn.set_fact(t, i, "polling", False)
        t.set(fn.L.ret[i], True)  # void: the driver carries on as after a true
        finish(fn, t, i)
    return fn.label("cd")


def apply(kernel: LinuxKernel) -> None:
    kernel.busy = kernel.threaded = kernel.netpoll = kernel.gro = False
    kernel.defer = 0
    kernel.poll_func = f"{DEV}: <driver>_poll (dev->poll(dev, &quota), 2.6.19)"
    kernel.replace("napi_schedule_prep", partial(
        prep_no_missed.napi_schedule_prep, func=H + "netif_rx_schedule_prep (2.6.19)",
        tas=H + "netif_rx_schedule_prep (test_and_set_bit __LINK_STATE_RX_SCHED)", test_disable=False))
    kernel.replace("____napi_schedule", partial(____napi_schedule, func=H + "__netif_rx_schedule"))
    kernel.replace("napi_complete_done", netif_rx_complete)
