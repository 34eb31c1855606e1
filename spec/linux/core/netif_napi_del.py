"""netif_napi_del (include/linux/netdevice.h, net/core/dev.c): the driver removes a disabled instance
and then frees it (kvfree of its channel, in most drivers, right after this returns).

    netdev_lock(dev); __netif_napi_del_locked(napi); netdev_unlock(dev);   /* netif_napi_del */
    synchronize_net();

    __netif_napi_del_locked: if (!test_and_clear_bit(NAPI_STATE_LISTED, ...)) return;
            WARN_ON(!test_bit(NAPI_STATE_SCHED, &napi->state));   /* disabled or never enabled */
            ... list_del_rcu(&napi->dev_list); napi_free_frags(napi); gro_cleanup(&napi->gro);
            if (napi->thread) { kthread_stop(napi->thread); napi->thread = NULL; }

There is no hrtimer_cancel in it (napi_disable_locked is the only place that cancels the gro-flush
timer), and synchronize_net waits for RCU readers — running softirqs, hard-IRQ handlers (a running
napi_watchdog), busy-poll sessions under rcu_read_lock — not for an hrtimer that is queued but has
not fired. Read in the diffs of 86e25f40aa1e's follow-ups (WARN_ON(!SCHED), 6.14) and of the netdev
lock series (netif_napi_del_locked = __netif_napi_del_locked + synchronize_net), the same in 6.18,
6.19 and 7.1 (shared/research/linux-upstream.md: unchanged from 6.18 to 7.1.5).

Abstraction: the whole __netif_napi_del_locked is one step (it only touches the instance's lists and
GRO state, which no other modelled context reads once the instance is disabled and unhashed);
synchronize_net is one blocking step that waits until every context except the caller is outside its
work (at its first label or terminal), the grace period's end; the driver's free is the ghost fact
``kernel.napi_deleted[n]``, set when synchronize_net returns. The kthread (threaded NAPI) is not
combined with deletion here (its kthread_stop is modelled for napi_stop_kthread only, stop_kthread).

Interface: ``fn.ret`` (void).
"""

from __future__ import annotations

from typing import Any

from checker.lang import And

from spec.linux.lines import cite
from spec.linux.prog import Call

DEL = "net/core/dev.c:__netif_napi_del_locked"


def netif_napi_del(fn: Call) -> str:
    """Steps ``del`` (netdev_lock; __netif_napi_del_locked; netdev_unlock) and ``sync`` (synchronize_net)."""
    kn = fn.kernel

    @fn.step("del", func=DEL + " (under netdev_lock: test_and_clear_bit(LISTED); list_del_rcu; gro_cleanup; "
                              "no hrtimer_cancel)" + cite(kn, "del.listed", "del.kthread_stop"), next="sync")
    def delete(t: Any, i: int) -> None:
        t.require(kn.netdev_lock == -1)

    @fn.step("sync", func="include/linux/netdevice.h:netif_napi_del (synchronize_net: RCU grace period); "
                          "then the driver frees the napi_struct" + cite(kn, "del.sync"))
    def sync(t: Any, i: int) -> None:
        others = [x for p in kn.progs.values() if p is not fn.prog for x in p.each(p.resting)]
        t.require(And(*others))
        t.set(kn.napi_deleted[fn.napi(i)], True)
        fn.ret(t, i)  # type: ignore[misc]

    return fn.label("del")
