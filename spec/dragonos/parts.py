"""The replaceable parts of the DragonOS spec, and how a user's file swaps one.

The spec is assembled from parts, each a function of the build context (:class:`Ctx`: the
version, the constants, the shared variables, the actors built so far):

==================  ==============================================================  =========================
part                what it models                                                  default
==================  ==============================================================  =========================
``handler``         the ``napi_handler`` kthread (net_rx_action and its wait)       napi.build_handler
``virtio_complete`` virtio-net's ``VirtioInterface::napi_complete`` in the handler  napi.add_virtio_complete
``interrupts_prepare`` its ``enable_interrupts_prepare(j)`` call, in ``vc_prep``   napi.enable_interrupts_prepare
``poller``          the root netns poller (deadline scan, wait, hand-off)           netns.build_poller
``drivers``         every interface's driver (calls the two below)                  env.build_drivers
``virtio_driver``   a virtio-net interface: DMA + hard IRQ calling napi_schedule    env.virtio_driver
``generic_driver``  a generic interface: the peer's egress calling napi_schedule    env.generic_driver
``app``             a socket send + wakeup_poll_thread                              env.build_app
``link``            rtnetlink link up / down                                        env.build_link
``direct_poll``     a syscall's direct ``iface.poll()``                             env.build_direct_poll
``tick``            the clock                                                       env.build_tick
``waitq``           WaitQueue (kernel/src/libs/wait_queue.rs): ``waker_labels``,    the module spec.dragonos.waitq
                    ``add_waker``, ``sleeper_labels``, ``add_sleeper``
                    (every sleeper and waker goes through it)
``properties``      the safety properties                                          props.add_properties
==================  ==============================================================  =========================

A user's variant is a short file that replaces one part and registers a spec of its own::

    from spec.dragonos import make_spec
    from spec.dragonos.parts import DEFAULT

    def my_virtio_complete(c, h, L): ...          # same labels, my version of the driver's code

    SPEC = make_spec("dragonos_mine", "DragonOS with my virtio napi_complete",
                     DEFAULT.replace(virtio_complete=my_virtio_complete))

Each default's docstring states the part's interface (labels it must declare, where it is
entered, where it returns); a replacement keeps that interface.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any, Callable

from spec.dragonos import env, napi, netns, props, waitq


@dataclass(frozen=True)
class Parts:
    handler: Callable[[Any], Any] = napi.build_handler
    virtio_complete: Callable[[Any, Any, Any], None] = napi.add_virtio_complete
    #: the handler labels the virtio_complete part registers (entered at the first); the handler
    #: actor declares them before the part adds its steps
    virtio_complete_labels: tuple[str, ...] = ("vc_prep", "vc_complete", "vc_mask", "vc_recheck")
    interrupts_prepare: Callable[[Any, Any, Any], None] = napi.enable_interrupts_prepare
    poller: Callable[[Any], Any] = netns.build_poller
    drivers: Callable[[Any], list[Any]] = env.build_drivers
    virtio_driver: Callable[..., Any] = env.virtio_driver
    generic_driver: Callable[..., Any] = env.generic_driver
    app: Callable[[Any], Any] = env.build_app
    link: Callable[[Any], Any] = env.build_link
    direct_poll: Callable[[Any], Any] = env.build_direct_poll
    tick: Callable[[Any], None] = env.build_tick
    waitq: ModuleType | SimpleNamespace = waitq
    properties: Callable[[Any, list[Any]], None] = props.add_properties

    def replace(self, **parts: Any) -> Parts:
        """These parts with some replaced (unknown names are an error)."""
        known = {f.name for f in dataclasses.fields(self)}
        bad = sorted(set(parts) - known)
        if bad:
            raise TypeError(f"no DragonOS part named {bad[0]!r}; parts: {', '.join(sorted(known))}")
        return dataclasses.replace(self, **parts)


def waitq_with(**functions: Callable[..., Any]) -> SimpleNamespace:
    """The shipped WaitQueue part with some of its functions replaced."""
    names = ("waker_labels", "add_waker", "sleeper_labels", "add_sleeper")
    bad = sorted(set(functions) - set(names))
    if bad:
        raise TypeError(f"the WaitQueue part has no function {bad[0]!r}; it has {', '.join(names)}")
    table: dict[str, Any] = {n: getattr(waitq, n) for n in names}
    table.update(IDLE=waitq.IDLE, SLEEPING=waitq.SLEEPING, NOTIFIED=waitq.NOTIFIED)
    table.update(functions)
    return SimpleNamespace(**table)


DEFAULT = Parts()
