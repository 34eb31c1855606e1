"""The contexts that call the NAPI core, one module each, in the order they are built.

``CONTEXTS`` maps a context's name to its builder ``builder(kernel) -> Prog | None`` (None: the
configuration does not run it); ``kernel.replace_context(name, builder)`` swaps one.
"""

from __future__ import annotations

from spec.linux.contexts.busy_poll import busy_poll
from spec.linux.contexts.device import device
from spec.linux.contexts.disabler import disabler
from spec.linux.contexts.hardirq import hardirq
from spec.linux.contexts.napi_threaded_poll import napi_threaded_poll
from spec.linux.contexts.napi_watchdog import napi_watchdog
from spec.linux.contexts.net_rx_action import net_rx_action
from spec.linux.contexts.netpoll import netpoll
from spec.linux.contexts.threaded_store import threaded_store

CONTEXTS = {
    "device": device,
    "hardirq": hardirq,
    "net_rx_action": net_rx_action,
    "napi_watchdog": napi_watchdog,
    "busy_poll": busy_poll,
    "napi_threaded_poll": napi_threaded_poll,
    "disabler": disabler,
    "netpoll": netpoll,
    "threaded_store": threaded_store,
}

__all__ = ["CONTEXTS"]
