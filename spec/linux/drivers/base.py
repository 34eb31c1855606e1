"""The driver plug-in interface: a driver's ->poll() and its IRQ handler.

A driver is an object with a ``name`` and two parts (see docs/own-driver.md):

``poll(d, budget) -> str``
    ``n->poll(n, budget)``: add the steps of your poll with ``d.step(name, func=...)`` and return the
    label of the first one. Consume the ring with :func:`clean_rx` (it leaves the work done in the
    local ``work``, which is your return value); call the core with
    ``d.call("napi_complete_done", ret_true=..., ret_false=...)`` (``work0=True`` for napi_complete);
    re-arm the IRQ with :func:`unmask_irq`; return with ``d.ret(t, i)``. ``d.napi(i)`` is the NAPI
    instance, ``d.kernel`` the shared state (``d.kernel.pending[n]``, ``d.kernel.irq_masked[n]`` ...).
    The same poll is emitted at every call site (net_rx_action, the kthread, the busy poller, netpoll
    with budget 0), each under its own label prefix.
``irq_handler(h) -> str``
    the hard-IRQ handler of the device, entered when its interrupt is signalled; the default is the
    napi.rst pattern (``if (napi_schedule_prep(n)) { mask; __napi_schedule(n); }``). Return with ``h.ret``.

The device is edge-triggered (MSI/MSI-X): a packet that arrives while the IRQ is unmasked raises it;
one that arrives while masked is signalled when the driver unmasks (see spec/linux/__init__.py).
"""

from __future__ import annotations

from typing import Any

from checker.lang import Min

from spec.linux.kernel import DEV
from spec.linux.prog import Call, Emit


def clean_rx(d: Call, t: Any, i: int, budget: int) -> Any:
    """Consume up to ``budget`` packets of the ring (one step of your poll); the count goes to the local
    ``work`` and is returned as an expression."""
    kn, n = d.kernel, d.napi(i)
    t.let("w", Min(kn.pending[n], budget))
    t.set(kn.pending[n], kn.pending[n] - t.temp("w"))
    t.set(d.L.work[i], t.temp("w"))
    return t.temp("w")


def clean_rx_step(d: Call, budget: int, then: Emit) -> str:
    """Step ``rx``: clean the Rx ring; with the whole budget used return it ("return exactly budget
    and do not touch NAPI state", napi.rst), else go on with ``then``."""

    @d.step("rx", func=d.kernel.poll_func + " (clean Rx ring)")
    def rx(t: Any, i: int) -> None:
        work = clean_rx(d, t, i, budget)
        with t.if_(work == budget):
            d.ret(t, i)  # type: ignore[misc]
        with t.else_():
            then(t, i)
    return d.label("rx")


def unmask_irq(d: Call, name: str, then: Emit, func: str = f"{DEV}: <driver>_enable_irq") -> str:
    """Step ``name``: re-enable the device interrupt (a packet that arrived while masked raises it now)."""
    kn = d.kernel

    @d.step(name, func=func + " (unmask; edge: only unsignalled packets raise)")
    def unmask(t: Any, i: int) -> None:
        n = d.napi(i)
        t.set(kn.irq_masked[n], False)
        with t.if_(kn.unsignalled[n]):
            t.set(kn.unsignalled[n], False)
            t.set(kn.irq_raised[n], True)
        then(t, i)
    return d.label(name)


class Driver:
    """Base of the driver plug-ins: the napi.rst IRQ handler; subclasses write ``poll``."""

    name = "driver"
    #: what a trace cites for the default IRQ handler's entry and masking steps (name your own)
    irq_entry = f"{DEV}: <driver>_msix_irq (hard IRQ entry)"
    irq_mask = f"{DEV}: <driver>_disable_irq (\"schedule after masking to avoid races\")"

    def poll(self, d: Call, budget: int) -> str:
        raise NotImplementedError

    def irq_handler(self, h: Call) -> str:
        """<driver>_msix_irq: ``if (napi_schedule_prep(n)) { <driver>_disable_irq(); __napi_schedule(n); }``."""
        kn = h.kernel

        @h.step("idle", func=self.irq_entry)
        def entry(t: Any, i: int) -> None:
            t.set(kn.irq_raised[h.napi(i)], False)
            t.goto(prep)

        prep = h.call("napi_schedule_prep", ret_true=h.to("mask"), ret_false=h.ret)

        @h.step("mask", func=self.irq_mask)
        def mask(t: Any, i: int) -> None:
            t.set(kn.irq_masked[h.napi(i)], True)
            t.goto(sched)

        sched = h.call("____napi_schedule", ret=h.ret)
        return h.label("idle")
