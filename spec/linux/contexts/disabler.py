"""A task that disables and re-enables instance 0 ("DISABLE{d}", on CPU ``DISABLE_CPU``, by default the last), as a driver
reconfiguring its rings does: napi_disable(n); <reconfigure>; napi_enable(n); then virtio-net's
reschedule (drivers/net/virtio_net.c:virtnet_napi_do_enable: "If all buffers were filled by other side
before we napi_enabled, we won't get another interrupt, so process any outstanding packets now"):

    local_bh_disable();
    if (napi_schedule_prep(napi)) { virtqueue_disable_cb(vq); __napi_schedule(napi); }
    local_bh_enable();

``kernel.disablers`` callers (double_disable: two). Ghost fact kept: ``returned`` (napi_disable has
returned to this caller).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Call, Prog, goto

NAPI = 0  # the instance the disablers reconfigure


def disabler(kn: LinuxKernel) -> Prog | None:
    if not kn.disablers:
        return None
    dis = kn.context("disabler", kn.disablers, "DISABLE{i}", "process", lambda i: kn.dis_cpu, lambda i: NAPI)
    dis.fact("returned")
    fn = Call(kn, dis, "", dis.napi, dis.cpu)

    def returned(t: Any, i: int) -> None:
        dis.set_fact(t, i, "returned", True)
        t.goto(delete if kn.deleting else enable)

    fn.call("napi_disable", ret=returned)
    if kn.deleting:  # teardown: netif_napi_del, then the driver frees the instance
        delete = fn.call("netif_napi_del", ret=goto("done"))
    enable = fn.call("napi_enable", ret=lambda t, i: t.goto(prep))
    section = len(dis.labels)  # local_bh_disable() ... local_bh_enable()
    prep = fn.call("napi_schedule_prep", ret_true=goto("mask"), ret_false=goto("done"))

    @dis.step("mask", func="drivers/net/virtio_net.c:virtqueue_napi_schedule (virtqueue_disable_cb)")
    def mask(t: Any, i: int) -> None:
        t.set(kn.irq_masked[NAPI], True)
        t.goto(sched)

    sched = fn.call("____napi_schedule", ret=goto("done"))
    dis.mark("bh", *dis.labels[section:])
    dis.mark("nopre", *dis.in_set("bh"))
    dis.label("done")  # terminal: the cycle is over (no step)
    dis.terminal = ("done",)
    dis.quiescent = lambda n: [dis.resting(d) for d in range(kn.disablers)] if n == NAPI else []
    dis.at_end = lambda: [dis.at(d, "done") for d in range(kn.disablers)]
    return dis


def calls_napi_disable(dis: Prog, d: int) -> Any:
    """DISABLE d has called napi_disable and it has not returned."""
    return Not(dis.resting(d)) & Not(dis.L.returned[d])
