"""The device: packets arrive in the ring and raise the (edge-triggered, MSI-X) interrupt."""

from __future__ import annotations

from typing import Any

from spec.linux.kernel import DEV, LinuxKernel


def device(kn: LinuxKernel) -> None:
    """Action ``packet_arrives`` per instance (not a context: an external event, marked progress)."""

    @kn.s.action("packet_arrives", func=f"{DEV}: device DMA + MSI-X interrupt logic", actor="DEV{i}",
                 params={"i": kn.ids})
    def arrive(t: Any, i: int) -> None:
        t.require(kn.pending[i] < kn.k.RING)
        t.mark_progress()  # an external event: cycles through it are not livelocks
        t.set(kn.pending[i], kn.pending[i] + 1)
        with t.if_(kn.irq_masked[i]):
            t.set(kn.unsignalled[i], True)
        with t.else_():
            t.set(kn.irq_raised[i], True)
