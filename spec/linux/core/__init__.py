"""The kernel functions of the Linux NAPI core, one module each, as replaceable parts.

``PARTS`` maps the kernel function's name to its part ``part(fn: Call, **options) -> entry label``
(see spec/linux/prog.py). A variant replaces one with ``kernel.replace(name, my_part)``.
"""

from __future__ import annotations

from spec.linux.core.busy_poll_stop import busy_poll_stop
from spec.linux.core.napi_complete_done import napi_complete_done
from spec.linux.core.napi_disable import napi_disable
from spec.linux.core.napi_enable import napi_enable
from spec.linux.core.napi_poll import __napi_poll
from spec.linux.core.napi_schedule import ____napi_schedule
from spec.linux.core.napi_schedule_prep import napi_schedule_prep
from spec.linux.core.napi_stop_kthread import napi_stop_kthread
from spec.linux.core.napi_thread_wait import napi_thread_wait
from spec.linux.core.netif_napi_del import netif_napi_del

PARTS = {
    "napi_schedule_prep": napi_schedule_prep,
    "____napi_schedule": ____napi_schedule,
    "napi_complete_done": napi_complete_done,
    "__napi_poll": __napi_poll,
    "napi_disable": napi_disable,
    "napi_enable": napi_enable,
    "busy_poll_stop": busy_poll_stop,
    "napi_thread_wait": napi_thread_wait,
    "netif_napi_del": netif_napi_del,
    "napi_stop_kthread": napi_stop_kthread,
}

__all__ = ["PARTS"]
