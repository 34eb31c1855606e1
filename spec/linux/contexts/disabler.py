"""The driver task of instance 0 ("DISABLE{d}", on CPU ``DISABLE_CPU``, by default the last): a driver
reconfiguring its rings: napi_disable(n); <reconfigure>; napi_enable(n); then virtio-net's reschedule
(drivers/net/virtio_net.c:virtnet_napi_do_enable: "If all buffers were filled by other side before we
napi_enabled, we won't get another interrupt, so process any outstanding packets now"):

    local_bh_disable();
    if (napi_schedule_prep(napi)) { virtqueue_disable_cb(vq); __napi_schedule(napi); }
    local_bh_enable();

With ``delete`` the disable is followed by netif_napi_del and the driver's free instead (teardown:
no napi_enable, so no reschedule either). With ``lifecycle`` the task first opens the device (ndo_open:
the same napi_enable + reschedule, labels ``open_*``, "OPEN0" when it does nothing else): instance 0
starts as netif_napi_add leaves it, SCHED|NPSVC set.

``kernel.disablers`` callers (double_disable: two). Ghost fact kept: ``returned`` (napi_disable has
returned to this caller).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Not

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Emit, Prog, goto

NAPI = 0  # the instance the disablers reconfigure, grounded (kernel.dis_target: a named instance)
VIRTIO = "drivers/net/virtio_net.c:virtqueue_napi_schedule (virtqueue_disable_cb)"


def reschedule(kn: LinuxKernel, fn: Call, pre: str, after: Emit) -> str:
    """virtnet_napi_do_enable after napi_enable: its local_bh_disable section (napi_schedule_prep,
    virtqueue_disable_cb, __napi_schedule), labels prefixed ``pre``; returns the entry label."""
    dis = fn.prog
    section = len(dis.labels)
    prep = fn.call("napi_schedule_prep", pre=pre, ret_true=goto(pre + "mask"), ret_false=after)
    @dis.step(pre + "mask", func=VIRTIO + cite(kn, "vio.mask"))
    def mask(t: Any, i: int) -> None:
        t.set(kn.irq_masked[kn.dis_target], True)
        t.goto(sched)

    sched = fn.call("____napi_schedule", pre=pre, ret=after)
    dis.mark("bh", *dis.labels[section:])
    dis.mark("nopre", *dis.labels[section:])
    return prep


def disabler(kn: LinuxKernel) -> Prog | None:
    if not kn.drivers:
        return None
    display = "DISABLE{i}" if kn.disablers else "OPEN{i}"
    dis = kn.context("disabler", kn.drivers, display, "process", lambda i: kn.dis_cpu, lambda i: kn.dis_target)
    dis.fact("returned")
    fn = Call(kn, dis, "", dis.napi, dis.cpu)

    if kn.opening:  # ndo_open: virtnet_napi_do_enable
        first = "idle" if kn.disablers else "done"
        fn.call("napi_enable", pre="open_", ret=lambda t, i: t.goto(open_prep), caller="ndo_open")
        open_prep = reschedule(kn, fn, "open_", goto(first))

    if kn.disablers:
        def returned(t: Any, i: int) -> None:
            dis.set_fact(t, i, "returned", True)
            t.goto(delete if kn.deleting else enable)

        entry = fn.call("napi_disable", ret=returned)
        if kn.deleting:  # teardown: netif_napi_del, then the driver frees the instance (no napi_enable)
            delete = fn.call("netif_napi_del", ret=goto("done"))
        else:
            enable = fn.call("napi_enable", ret=lambda t, i: t.goto(prep))
            prep = reschedule(kn, fn, "", goto("done"))
    dis.label("done")  # terminal: the cycle is over (no step)
    dis.terminal = ("done",)
    if kn.opening:
        # before and during the open the instance is disabled but the task will enable it: not quiescent
        waits = (entry,) if kn.disablers else ()
        dis.quiescent = lambda n: kn.only_for(n, kn.dis_target, [dis.at(d, *waits, "done") for d in range(kn.drivers)])
    else:
        dis.quiescent = lambda n: kn.only_for(n, kn.dis_target, [dis.resting(d) for d in range(kn.drivers)])
    dis.at_end = lambda: [dis.at(d, "done") for d in range(kn.drivers)]
    return dis


def calls_napi_disable(dis: Prog, d: int) -> Any:
    """DISABLE d has called napi_disable and it has not returned."""
    before = dis.labels[:dis.labels.index("idle") + 1]  # (lifecycle: the open comes first)
    return Not(dis.at(d, *before, *dis.terminal)) & Not(dis.L.returned[d])
