"""Hyper-V's hv_netvsc as a napi-check driver plug-in (docs/own-driver.md, second example).

Source: drivers/net/hyperv/netvsc.c, netvsc_poll and netvsc_channel_cb. The channel callback is
the napi.rst pattern (``if (napi_schedule_prep(&nvchan->napi)) { hv_begin_read(rbi);
__napi_schedule_irqoff(&nvchan->napi); }``). The poll, as fixed by "hv_netvsc: Fix napi reschedule
while receive completion is busy" (2018, Fixes: 7426b1a51803 "netvsc: optimize receive completions"):

    ret = send_recv_completions(ndev, net_device, nvchan);
    if (work_done < budget &&
        napi_complete_done(napi, work_done) &&
        (ret || hv_end_read(&channel->inbound)) &&
        napi_schedule_prep(napi)) {
            hv_begin_read(&channel->inbound);
            __napi_schedule(napi);
    }
    return min(work_done, budget);

Before the fix (torvalds/linux at 02400fcee254) the condition began with
``send_recv_completions(ndev, net_device, nvchan) == 0 && work_done < budget && ...``:
when the host's ring for receive completions was momentarily full the poll returned less than its
budget without napi_complete_done ("Otherwise the napi poll might be stopped forever"). Constant
``fixed``. Whether send_recv_completions fails is a nondeterministic choice.

hv_end_read re-enables host interrupts (interrupt_mask = 0) and returns the bytes already in the
ring: the host signals only what it writes while unmasked, so data written while masked is polled
by the guest itself (modelled: the unmask raises nothing, the poll re-checks the ring).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Constant
from spec.linux import linux_spec
from spec.linux.drivers import Driver, clean_rx
from spec.linux.prog import Call

POLL = "drivers/net/hyperv/netvsc.c:netvsc_poll"
HV = "include/linux/hyperv.h:"


class Netvsc(Driver):
    name = "netvsc"
    irq_entry = "drivers/net/hyperv/netvsc.c:netvsc_channel_cb"
    irq_mask = HV + "hv_begin_read (interrupt_mask = 1: disable interrupts from host)"

    def poll(self, d: Call, budget: int) -> str:
        kn = d.kernel

        @d.step("rx", func=POLL + " (netvsc_process_raw_pkt loop; send_recv_completions)",
                params={"completions_busy": [False, True]})
        def rx(t: Any, i: int, completions_busy: bool) -> None:
            work = clean_rx(d, t, i, budget)
            t.set(d.L.ret[i], completions_busy)  # ret = send_recv_completions(...) != 0
            with t.if_(work == budget):
                d.ret(t, i)
            with t.else_():
                if kn.k.fixed or not completions_busy:
                    t.goto(complete)
                else:
                    d.ret(t, i)  # the old condition stops at "send_recv_completions(...) == 0"

        def completed(t: Any, i: int) -> None:
            if kn.k.fixed:
                with t.if_(d.L.ret[i]):   # (ret || hv_end_read(...)): completions pending, poll again
                    t.set(d.L.ret[i], False)
                    t.goto(prep)
                with t.else_():
                    t.goto(d.label("end_read"))
            else:
                t.goto(d.label("end_read"))

        complete = d.call("napi_complete_done", ret_true=completed, ret_false=d.ret)

        @d.step("end_read", func=HV + "hv_end_read (interrupt_mask = 0; return bytes in the ring)")
        def end_read(t: Any, i: int) -> None:
            n = d.napi(i)
            t.set(kn.irq_masked[n], False)
            t.set(kn.unsignalled[n], False)  # written while masked: not signalled, the guest polls it
            with t.if_(kn.pending[n] > 0):
                t.goto(prep)
            with t.else_():
                d.ret(t, i)

        # napi_schedule_prep(napi) { hv_begin_read(&channel->inbound); __napi_schedule(napi); }
        prep = d.call("napi_schedule_prep", pre="rs_", ret_true=d.to("begin_read"), ret_false=d.ret)

        @d.step("begin_read", func=HV + "hv_begin_read (interrupt_mask = 1)")
        def begin_read(t: Any, i: int) -> None:
            t.set(kn.irq_masked[d.napi(i)], True)
            t.goto(sched)

        sched = d.call("____napi_schedule", pre="rs_", ret=d.ret)
        return d.label("rx")


SPEC = linux_spec("netvsc", "Hyper-V hv_netvsc's poll and channel callback on the Linux 6.18 NAPI core",
                  driver=Netvsc(),
                  constants=[Constant("fixed", bool, True, "completes even when receive completions are busy "
                                                            "(2018 fix)")])
