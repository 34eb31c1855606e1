"""A task that turns threaded NAPI off for the device ("SYSFS", on the last CPU): ``echo 0 >
/sys/class/net/<dev>/threaded``:

    threaded_store -> netdev_lock_store: netdev_lock(netdev); modify_napi_threaded(dev, 0); netdev_unlock(netdev);
    modify_napi_threaded -> netif_set_threaded(dev, 0):
            WRITE_ONCE(dev->threaded, 0);
            list_for_each_entry(napi, &dev->napi_list, dev_list) napi_set_threaded(napi, 0);
    napi_set_threaded(napi, 0): if (napi->thread) napi_stop_kthread(napi);      /* a core part */

on instance 0 (net/core/net-sysfs.c and net/core/dev.c, the same in 6.18, 6.19 and 7.1). Exists
with ``stop_kthread`` (needs ``threaded`` or ``start_kthread``). With ``start_kthread`` (and
``threaded = false``) it first writes 1 (steps ``on_lock``, ``on_set``):

    netif_set_threaded(dev, 1): napi_kthread_create(napi) (kthread_run: the thread starts in
            napi_thread_wait); WRITE_ONCE(dev->threaded, 1); napi_set_threaded(napi, 1):
            smp_mb__before_atomic(); assign_bit(NAPI_STATE_THREADED, &napi->state, 1);

while the instance may be scheduled: the switch takes effect at the next ____napi_schedule (the
napi_set_threaded comment). WRITE_ONCE(dev->threaded) is folded into the lock step:
only netdev_lock holders read it (napi_enable_locked). The thread function's exit is the kthread's
(contexts/napi_threaded_poll.py).
"""

from __future__ import annotations

from typing import Any

from spec.linux.kernel import LinuxKernel
from spec.linux.lines import cite
from spec.linux.prog import Call, Prog

NAPI = 0  # the instance whose kthread is stopped or created, grounded (kernel.sysfs_target)


def threaded_store(kn: LinuxKernel) -> Prog | None:
    if not (kn.stopping or kn.starting):
        return None
    if kn.starting and kn.threaded:
        raise ValueError("start_kthread needs threaded = false (it turns threaded NAPI on)")
    if kn.stopping and not kn.kthreaded:
        raise ValueError("stop_kthread needs threaded = true or start_kthread (a NAPI kthread to stop)")
    me = kn.stopper_lock_id
    st = kn.context("threaded_store", 1, "SYSFS", "process", lambda i: kn.proc_cpu, lambda i: kn.sysfs_target)
    fn = Call(kn, st, "", st.napi, st.cpu)

    if kn.starting:  # echo 1 > threaded (then, with stop_kthread, echo 0)
        created = kn.kthread_created
        assert created is not None

        @st.step("on_lock", func="net/core/net-sysfs.c:threaded_store -> netdev_lock_store (netdev_lock(netdev)); "
                 "netif_set_threaded(dev, 1) -> napi_kthread_create (kthread_run); WRITE_ONCE(dev->threaded, 1)"
                 + cite(kn, "nst.create", "nst.write"), next="on_set")
        def on_lock(t: Any, i: int) -> None:
            t.require(kn.netdev_lock == -1)
            t.set(kn.netdev_lock, me)
            t.set(created[kn.sysfs_target], True)

        @st.step("on_set", func="net/core/dev.c:napi_set_threaded (smp_mb__before_atomic; assign_bit(NAPI_STATE_THREADED, "
                 "1)); netdev_unlock(netdev)" + cite(kn, "set.assign"))
        def on_set(t: Any, i: int) -> None:
            t.set(kn.napi_state[kn.sysfs_target], kn.napi_state[kn.sysfs_target].with_bits("THREADED"))
            t.set(kn.netdev_lock, -1)
            t.goto("idle" if kn.stopping else "done")

    if not kn.stopping:
        st.label("done")
        st.terminal = ("done",)
        st.quiescent = None
        st.at_end = lambda: [st.at(0, "done")]
        return st

    @st.step("idle", func="net/core/net-sysfs.c:threaded_store -> netdev_lock_store (netdev_lock(netdev)); "
             "netif_set_threaded (WRITE_ONCE(dev->threaded, 0))" + cite(kn, "sysfs.lock"))
    def lock(t: Any, i: int) -> None:
        t.require(kn.netdev_lock == -1)  # mutex_lock: sleeps while held
        t.set(kn.netdev_lock, me)
        t.goto(entry)

    def unlocked(t: Any, i: int) -> None:
        t.set(kn.netdev_lock, -1)  # netdev_unlock(netdev), folded into kthread_stop's return
        t.goto("done")

    entry = fn.call("napi_stop_kthread", ret=unlocked)
    st.label("done")
    st.terminal = ("done",)
    st.quiescent = None  # it never acts for an instance on its own (it polls nothing)
    st.at_end = lambda: [st.at(0, "done")]
    return st
