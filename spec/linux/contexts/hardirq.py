"""The device's hard-IRQ context, one per instance (IRQ{i} on CPU i mod CPUS): runs the driver's
IRQ handler (a driver part) when the interrupt is signalled, with interrupts off on its CPU."""

from __future__ import annotations

from typing import Any

from checker.lang import And, Not

from spec.linux.kernel import LinuxKernel
from spec.linux.prog import Call, Prog, goto


def hardirq(kn: LinuxKernel) -> Prog:
    irq = kn.context("irq", kn.ids, "IRQ{i}", "hardirq", kn.irq_cpu, lambda i: i)
    h = Call(kn, irq, "", irq.napi, irq.cpu, ret=goto("idle"))
    kn.driver.irq_handler(h)
    irq.mark("hard", *[lb for lb in irq.labels if lb != "idle"])
    # the handler is entered when its interrupt is signalled and its CPU has interrupts on
    irq.guard = lambda i, lb: And(kn.irq_raised[i], Not(kn.hard_on(kn.irq_cpu(i)))) if lb == "idle" else None

    def quiescent(n: Any) -> list[Any]:
        return [irq.resting(n), Not(kn.irq_raised[n])]
    irq.quiescent = quiescent
    irq.at_end = lambda: [And(*irq.each(irq.resting))]
    return irq
