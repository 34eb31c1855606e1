"""Fairness assumed by the linux spec's temporal properties.

A softirq, timer or kthread that can run eventually runs (weak); an IRQ handler and the process
contexts mid-operation are only intermittently enabled (CPU-local exclusion), so strong — for every
step of those contexts between their entry and their end, whatever steps their kernel functions
have; a disabled instance is eventually re-enabled (the reconfiguration between napi_disable and
napi_enable finishes). Starting a busy poll, netpoll or disable is not forced, and devices are not
fair: packets need not keep arriving.
"""

from __future__ import annotations

from spec.linux.kernel import LinuxKernel


def add_fairness(kn: LinuxKernel) -> None:
    s = kn.s
    s.fair("weak", "CPU* softirq")
    s.fair("strong", "IRQ*")
    if kn.ctx("watchdog") is not None:
        s.fair("weak", "TIMER*")
    if kn.ctx("kthread") is not None:
        s.fair("weak", "napi/kthread*")
    for name in ("disabler", "busypoll", "netpoll", "threaded_store"):
        p = kn.ctx(name)
        if p is None:
            continue
        for a in range(p.instances):
            for lb in p.labels:
                if lb != p.labels[0] and lb not in p.terminal:
                    s.fair("strong", p.display.format(i=a) if "{i}" in p.display else p.display, lb)
