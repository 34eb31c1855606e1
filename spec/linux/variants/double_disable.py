"""Two contexts each run napi_disable / napi_enable on the same instance (e.g. a reset task and an
ethtool reconfiguration): the second napi_disable waits for SCHED forever (models/linux/v6_*.toml)."""

from __future__ import annotations

from spec.linux.kernel import LinuxKernel


def apply(kernel: LinuxKernel) -> None:
    kernel.disablers = 2
