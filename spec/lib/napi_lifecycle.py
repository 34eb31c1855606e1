"""The NAPI instance lifecycle: ``netif_napi_add`` and ``netif_napi_del`` (net/core/dev.c, 6.18+).

A part a spec combines with its own ``n->state`` word (a ``Flags`` array with at least ``SCHED``;
``NPSVC`` and ``LISTED`` are used when the word has them, otherwise ``LISTED`` is a variable of
its own):

* ``netif_napi_add_weight_locked``: ``test_and_set_bit(LISTED)``; ``set_bit(SCHED)``;
  ``set_bit(NPSVC)``; ``list_add_rcu(&napi->dev_list, &dev->napi_list)``. An instance is
  therefore **created disabled**: the "disabled" pseudo-owner holds SCHED (and NPSVC) until
  ``napi_enable``. :meth:`NapiLifecycle.created` is that state word, for instances a spec starts
  with as just added; :meth:`NapiLifecycle.add` is the call as a statement of a step.
* ``__netif_napi_del_locked``: ``if (!test_and_clear_bit(LISTED)) return``;
  ``WARN_ON(!test_bit(SCHED))`` (the instance must be disabled); ``list_del_rcu``; then
  ``kthread_stop(napi->thread)`` for a threaded instance.
* ``netif_napi_del`` = ``__netif_napi_del`` + ``synchronize_net()``: only after the grace period
  may the driver free the ``napi_struct``, because a softirq that polled the instance may still
  be using it inside its RCU read-side section (net_rx_action runs with BH disabled).

Abstracted: the napi hash (busy-poll ids), GRO cleanup and the IRQ notifier are not modelled;
``dev->napi_list`` is a :class:`KList` only if the spec asks for it (``dev_list=True``).
"""

from __future__ import annotations

from typing import Any, Callable

from checker.lang import Array, Bool, Expr, Not, StepBuilder, System
from checker.lang.kernel import RCU, KList, KThreads
from checker.lang.system import Actor
from checker.lang.types import Flags

ADD = "net/core/dev.c:netif_napi_add_weight_locked"
DEL = "net/core/dev.c:__netif_napi_del_locked"
DEL_SYNC = "include/linux/netdevice.h:netif_napi_del (__netif_napi_del; synchronize_net)"


def created_word(flags: Flags) -> int:
    """The state word ``netif_napi_add`` leaves: disabled (SCHED, and NPSVC if the word has it) and
    LISTED (if it has it). Use it as the initial ``n->state`` of instances a spec starts as just added."""
    return flags.mask(*[b for b in ("SCHED", "NPSVC", "LISTED") if b in flags.names])


class NapiLifecycle:
    """``netif_napi_add`` / ``netif_napi_del`` over the instances of ``state`` (``Array(n, Flags)``)."""

    def __init__(self, system: System, state: Expr, rcu: RCU | None = None, kthreads: KThreads | None = None,
                 dev_list: bool = False, listed: bool = True) -> None:
        typ = state.typ
        if not (isinstance(typ, Array) and isinstance(typ.elem, Flags) and "SCHED" in typ.elem.names):
            raise ValueError("NapiLifecycle needs n->state as an Array of Flags with a SCHED bit")
        self.n = typ.size
        self.flags: Flags = typ.elem
        self.state = state
        self.rcu = rcu
        self.kthreads = kthreads
        self._listed_bit = "LISTED" in self.flags.names
        self.listed_var = None if self._listed_bit else system.var(
            "napi_listed", Array(self.n, Bool), init=listed, doc="NAPI_STATE_LISTED (added to the device's lists)")
        self.warned = system.var("napi_del_warned", Bool, ghost=True,
                                 doc="WARN_ON(!SCHED) in __netif_napi_del_locked fired (deleted while enabled)")
        self.dev_list = KList(system, "dev.napi_list", self.n, members=range(self.n) if listed else ()) \
            if dev_list else None

    # ---------------------------------------------------------------- state words
    def _disabled_bits(self) -> tuple[str, ...]:
        return tuple(b for b in ("SCHED", "NPSVC") if b in self.flags.names)

    def created(self) -> int:
        """The state word of a freshly added instance (see :func:`created_word`)."""
        return created_word(self.flags)

    def listed(self, n: int) -> Expr:
        return self.state[n].has("LISTED") if self._listed_bit else self.listed_var[n]  # type: ignore[index]

    # ---------------------------------------------------------------- statements
    def add(self, t: StepBuilder, n: int) -> None:
        """``netif_napi_add(dev, napi, poll)`` inside the current step (the caller holds the
        netdev instance lock, so the whole call is one step for the NAPI state machine)."""
        bits = self._disabled_bits()
        if self._listed_bit:
            t.set(self.state[n], self.state[n].with_bits(*bits, "LISTED"))
        else:
            t.set(self.state[n], self.state[n].with_bits(*bits))
            t.set(self.listed_var[n], True)  # type: ignore[index]
        if self.dev_list is not None:
            self.dev_list.add(t, n)  # list_add_rcu

    def enable(self, t: StepBuilder, n: int) -> None:
        """``napi_enable``'s CAS: clear SCHED and NPSVC (the caller's step awaits them set: BUG_ON)."""
        t.set(self.state[n], self.state[n].without_bits(*self._disabled_bits()))

    def del_locked(self, t: StepBuilder, n: int) -> None:
        """``__netif_napi_del_locked`` up to ``kthread_stop``, inside the current step."""
        with t.if_(self.listed(n)):
            if self._listed_bit:
                t.set(self.state[n], self.state[n].without_bits("LISTED"))
            else:
                t.set(self.listed_var[n], False)  # type: ignore[index]
            with t.if_(Not(self.state[n].has("SCHED"))):
                t.set(self.warned, True)  # WARN_ON(!test_bit(NAPI_STATE_SCHED, &napi->state))
            if self.dev_list is not None:
                self.dev_list.del_(t, n)  # list_del_rcu

    # ---------------------------------------------------------------- steps
    def del_labels(self, prefix: str, sync: bool = True) -> list[str]:
        """The labels :meth:`del_steps` registers, in order."""
        labels = [f"{prefix}_del"]
        if self.kthreads is not None:
            labels += [f"{prefix}_kthread_stop", f"{prefix}_kthread_wait"]
        if sync:
            labels += [f"{prefix}_synchronize_net", f"{prefix}_grace_period"]
        return labels

    def del_steps(self, actor: Actor, prefix: str, next: str, napi: Callable[[int], int] = lambda i: i,
                  waiter: Callable[[int], int] = lambda i: i, sync: bool = True,
                  wake: Callable[[StepBuilder, int], None] | None = None) -> None:
        """``netif_napi_del(napi(i))`` by instance ``i`` of ``actor`` (``sync=False``: the bare
        ``__netif_napi_del``, which does not wait for RCU readers)."""
        labels = self.del_labels(prefix, sync)
        after_del = labels[1] if len(labels) > 1 else next

        @actor.step(labels[0], func=DEL, next=after_del)
        def _del(t: StepBuilder, i: int) -> Any:
            self.del_locked(t, napi(i))

        k = 1
        if self.kthreads is not None:
            succ = labels[k + 2] if len(labels) > k + 2 else next
            self.kthreads.stop_steps(actor, labels[k], labels[k + 1], succ, thread=napi, wake=wake)
            k += 2
        if sync:
            if self.rcu is None:
                raise ValueError("netif_napi_del waits for an RCU grace period: pass rcu=RCU(...)")
            self.rcu.synchronize_net_steps(actor, labels[k], labels[k + 1], next, waiter)

    def no_enabled_delete(self) -> Expr:
        """``__netif_napi_del`` never ran on an enabled instance (its WARN_ON never fired)."""
        return Not(self.warned)
