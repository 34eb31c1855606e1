"""linux — Linux NAPI by release (6.18, 6.18.34, 6.19, 7.1; constant ``version``): the state word,
net_rx_action, threaded NAPI, busy polling, netpoll,
napi_disable/napi_enable, the napi_watchdog timer, and the driver contract.

Releases (spec/linux/versions/): the shipped parts are 6.19's NAPI code; 6.18 replaces
napi_threaded_poll (no state read), 7.1 replaces busy_poll_stop (58e2330bd455), 6.18.34 is 6.18
with that backport. Each replaced step cites its release and dev.c line.

Every step cites the configured release's file:line (spec/linux/lines.py: v6.18, v6.19 and 7.1.3
trees, read with the search tools). Sources first read (a vendor "Linux 6.18.19", GitHub mirror
6952350/linux-6.18.y at 27d8ad92b7d8, whose NAPI code is vanilla 6.19's (it carries c18d4b190a46), and the notes in
shared/research/linux-napi.md §1–§3): net/core/dev.c (napi_schedule_prep, ____napi_schedule,
napi_complete_done, __napi_poll, napi_poll, net_rx_action, __napi_busy_loop, busy_poll_stop,
__busy_poll_stop, napi_watchdog, napi_thread_wait, napi_threaded_poll(_loop), napi_disable_locked,
napi_enable_locked), include/linux/netdevice.h, include/linux/netpoll.h, net/core/netpoll.c
(poll_napi, poll_one_napi), Documentation/networking/napi.rst, drivers/net/virtio_net.c
(virtnet_napi_do_enable), and the cb038357937e patch mail for the pre-fix napi_thread_wait.

What is modelled
----------------
* ``N`` instances; per instance ``napi_state`` with SCHED, MISSED, DISABLE, NPSVC, IN_BUSY_POLL,
  PREFER_BUSY_POLL, THREADED, SCHED_THREADED. Every try_cmpxchg is a READ_ONCE step followed by
  CAS steps that, when the word changed, fail and reload ``val`` (the C loop); every set_bit,
  clear_bit and test_and_set_bit is its own step, in source order.
* Per CPU: ``poll_list``, the NET_RX pending bit, ``in_net_rx_action``; net_rx_action's local
  ``list`` and ``repoll`` are locals of the CPU's softirq actor. The budget (``BUDGET``, per poll
  ``WEIGHT``) is counted; the time limit is a nondeterministic choice after every poll.
* The device: up to ``RING`` pending packets, IRQ masked/unmasked, and *edge-triggered*: a packet
  that arrives while the IRQ is unmasked raises it at once; one that arrives while masked is
  unsignalled and is signalled when the driver unmasks; unmasking never re-signals a packet that
  was already signalled. This is how MSI/MSI-X work (an MSI is a memory write, not a level: a
  masked vector latches one pending bit, delivered at unmask; a delivered message is gone), and it
  is the premise of the 2017 fix 39e6c8208d7b (its comment in busy_poll_stop: "device driver hard
  irq could not grab NAPI_STATE_SCHED, and ... NAPI_STATE_MISSED was set") and of napi.rst's
  advice to re-check the ring after unmasking (tile_net's "rotting packet").
* Contexts (actors): the device IRQ handler per instance (napi_schedule_prep, mask,
  __napi_schedule — the napi.rst pattern), net_rx_action per CPU, the driver's poll() emitted in
  every context that calls it, the busy poller (``busy_poll``), the threaded-NAPI kthread per
  instance (``threaded``), a napi_disable/napi_enable cycle (``disable``; the enable is followed by
  virtio-net's reschedule, virtnet_napi_do_enable), the napi_watchdog hrtimer (``DEFER`` =
  defer_hard_irqs with a non-zero gro_flush_timeout) and netpoll's poll_napi/poll_one_napi
  (``netpoll``).
* CPU-local exclusion, which decides verdicts: a hard-IRQ handler (device IRQ, napi_watchdog) and
  netpoll (called with IRQs off from netpoll_send_skb) run with interrupts off: nothing else on
  their CPU steps until they return; a signalled device IRQ is taken at once (nothing else on its
  CPU steps) unless interrupts are off there. The softirq runs with IRQs on (its list splices are
  single steps, done under local_irq_disable), cannot start while a task on its CPU has BHs
  disabled, and is not preempted by tasks. Tasks (busy poller, kthread, disabler) are preemptible
  except in their local_bh_disable sections and, for the busy poller, its whole preempt-disabled
  loop. Placement: instance i's IRQ on CPU i mod CPUS; the kthread on CPU 0; the busy poller and
  the disabler on ``BP_CPU`` / ``DISABLE_CPU`` (default: the last CPU); netpoll on CPU 0.
* Instances are a family (``kernel.ids``, checker.lang.family): ``range(N)`` in every configuration;
  built with ``N = ANY`` (the induct engine's all-N proofs) the IRQ placement ``irq_cpu`` is an
  uninterpreted map from instances to CPUs (every affinity, not only i mod CPUS) and "instance 0"
  (the busy poller's, the disabler's, netpoll's and sysfs's target) is a named instance
  (``kernel.bp_target`` ...), whichever instance it is. BoundedWait's ghost is grounded only.

Abstractions (what and why)
---------------------------
* Packets are counted, not identified; whether GRO holds packets at a completion (n->gro.bitmask)
  is a nondeterministic choice when ``gro_held`` is on (else GRO is empty); irq_suspend_timeout = 0;
  THREADED_BUSY_POLL's kthread busy-poll mode (the bit is never set), RPS/backlog NAPI and
  ndo_poll_controller are not modelled. Threaded NAPI turned on at run time is (``start_kthread``:
  napi_kthread_create, assign_bit(THREADED)), and turned off (``stop_kthread``: threaded_store ->
  netif_set_threaded -> napi_set_threaded -> napi_stop_kthread -> kthread_stop, and
  napi_thread_wait's kthread_should_stop()); napi_enable_locked's napi_restore_config ->
  napi_set_threaded is not (the per-NAPI config is taken to agree with dev->threaded).
  napi_disable's napi_hash_del / napi_enable's napi_hash_add are modelled when a busy poller runs
  (its napi_by_id lookup, once per session); ``delete`` ends the disable with netif_napi_del.
  The device IRQ handler, not ndo_poll_controller, is netpoll's only scheduler.
* Time is not modelled: the net_rx_action time limit, loop_end() of the busy poller and timer
  expiry are nondeterministic, so a trace shows an interleaving, not its likelihood.
* Steps that touch only CPU-local or owner-private data (list_owner, defer_hard_irqs_count, the
  local lists, local_bh_disable) are folded into the neighbouring atomic step: no other context can
  observe the difference. ____napi_schedule's test_bit(THREADED) is folded into its
  set_bit(SCHED_THREADED): THREADED only changes under the napi_enable/napi_disable cmpxchg, which
  requires SCHED clear while the caller owns SCHED.
* Waiting loops (napi_disable's usleep/re-read, netpoll_poll_lock's spin, netdev_lock, schedule()
  in napi_thread_wait) are blocking steps: re-reads that see the same value do not change the state.
* Instances start enabled (after the driver's ndo_open called napi_enable), or, with ``lifecycle``,
  instance 0 starts as netif_napi_add leaves it (SCHED|NPSVC set, not in napi_hash) and the
  driver's ndo_open (napi_enable + virtnet_napi_do_enable's reschedule) runs first. The busy poller runs
  ``BP_ROUNDS`` sessions (need_resched inside a session is a session end plus a new session),
  netpoll one round, the disabler one cycle, so that NoHang (deadlock) is meaningful.

Properties (exact definitions in each property's doc; properties.py states them over ghost facts
the parts keep — "runs n's poll as owner", "owns SCHED", "napi_disable has returned", "the kthread
sleeps" — never over step labels, so a variant that adds or renames steps keeps them)
---------------------------------------------------
NoDoubleQueue, OwnerHoldsSched, NoLostWakeup (quiescent = IRQ handler idle and nothing signalled,
every net_rx_action idle and NET_RX not pending, watchdog idle and timer not armed, kthread asleep in
schedule(), busy poller/netpoll outside their loops, no disable/enable cycle in progress),
NoPollWhileDisabled, NoTimerWhileDisabled, NothingRunsOnDeleted (after netif_napi_del and the free:
no poll, no armed or running napi_watchdog), NoPollByStoppedKthread (from kthread_stop on the kthread
neither polls nor owns its instance; after its exit the instance is never handed to it),
IrqMaskedWhileQueued (added for the ignore-false driver),
BoundedWait (ghost counter per CPU; tightest K for two instances on one CPU is 2: an instance
re-queued by its IRQ during a net_rx_action run is spliced before the repoll list), NoHang
(deadlock with declared end states).

Findings (traces in models/linux/; per release in README's table)
-----------------------------------------------------------------
* busy_poll_stop with prefer_busy_poll: a MISSED set after its clear_bit(MISSED) is dropped by
  __busy_poll_stop's clear_bit(SCHED), and the hrtimer meant to cover it can expire (and fail its
  test_and_set_bit(SCHED)) before that clear_bit: a packet is left with no owner (NoLostWakeup).
  6.18-6.18.33 and 6.19; fixed by 58e2330bd455 (7.1, 6.18.34): linux71_prefer.toml holds.
* napi_complete_done arms the hrtimer after its cmpxchg released SCHED; napi_disable can take
  SCHED and cancel the (not yet armed) timer in between, so the timer is armed after napi_disable
  returns (NoTimerWhileDisabled; __netif_napi_del_locked does not cancel it either: with ``delete``
  the timer is still armed after netif_napi_del and the free, NothingRunsOnDeleted). Unfixed in 7.1,
  which adds the same release-then-arm order in __busy_poll_stop.
* napi_stop_kthread on a disabled instance (``echo 0 > threaded`` while napi_disable holds SCHED:
  a driver reconfiguring, or a device that is down) waits for SCHED to clear forever, holding
  netdev_lock, so napi_enable cannot run (NoHang). 6.18, 6.19, 7.1; unfixed.

Layout: the spec as parts (docs/own-driver.md, docs/own-patch.md)
------------------------------------------------------------------
* ``core/<function>.py`` — one kernel function each (napi_schedule_prep, ____napi_schedule,
  napi_complete_done, __napi_poll, napi_disable, napi_enable, busy_poll_stop, napi_thread_wait),
  emitted into every context that calls it (``prog.Call``: kernel-tla's call/return).
* ``contexts/<context>.py`` — who calls them: device, hardirq, net_rx_action, napi_watchdog,
  busy_poll (__napi_busy_loop), napi_threaded_poll, disabler, netpoll; ``cpu.py`` — CPU-local exclusion.
* ``drivers/<driver>.py`` — driver plug-ins (poll() and IRQ handler), written as a user writes one.
* ``kernel.py`` — the shared state and the parts table (``kernel.replace(name, part)``).
* ``properties.py`` — properties over ghost facts (never step labels).
* ``variants/<variant>.py`` — historical cores as replacements of parts.

Variants (each has a configuration in models/linux/ expecting its violation)
---------------------------------------------------------------------------
Constants select variant files: ``prep_no_missed`` (variants/prep_no_missed.py: napi_schedule_prep =
test DISABLE + test_and_set_bit SCHED, completion = clear_bit SCHED, before 39e6c8208d7b),
``thread_wait_sched`` (variants/thread_wait_sched.py: napi_thread_wait tests SCHED, before
cb038357937e), ``double_disable`` (variants/double_disable.py: two napi_disable callers),
``era = "2006"`` (variants/era_2006.py: netif_rx_schedule / netif_rx_complete, the seed 002/003
interface); ``driver`` = ``return_budget_after_complete`` / ``unmask_first`` / ``ignore_false`` /
``igb`` (seed 004 as written) / ``igb_contract`` (drivers/). A user's own file does the same with
:func:`linux_spec` (its own driver plug-in, its own replacement of a kernel function).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Sequence

from checker.lang import Constant, SpecDef, System
from spec.linux.drivers import DRIVERS, Driver
from spec.linux.kernel import LinuxKernel, Variant
from spec.linux.variants import double_disable, era_2006, prep_no_missed, stop_kthread_no_wait, thread_wait_sched
from spec.linux.versions import DEFAULT as DEFAULT_VERSION
from spec.linux.versions import VERSIONS

PROPERTIES = ("NoDoubleQueue", "OwnerHoldsSched", "NoLostWakeup", "NoPollWhileDisabled", "NoTimerWhileDisabled",
              "IrqMaskedWhileQueued", "BoundedWait", "NoHang", "NothingRunsOnDeleted", "NoPollByStoppedKthread")

CONSTANTS = [
    Constant("version", str, DEFAULT_VERSION, "Linux release (spec/linux/versions/): 6.18 (vanilla 6.18.0-6.18.33), "
             "6.18.34 (with 58e2330bd455), 6.19 (threaded busy poll), 7.1 (58e2330bd455)",
             choices=tuple(VERSIONS)),
    Constant("N", int, 1, "NAPI instances", min=1, max=3),
    Constant("CPUS", int, 2, "CPUs", min=1, max=2),
    Constant("RING", int, 2, "device ring size (pending packets)", min=1, max=8),
    Constant("WEIGHT", int, 1, "napi->weight (budget of a softirq/kthread ->poll)", min=1, max=4),
    Constant("BUDGET", int, 2, "netdev_budget of one net_rx_action run", min=1, max=8),
    Constant("BP_BUDGET", int, 1, "busy-poll budget (BUSY_POLL_BUDGET)", min=1, max=4),
    Constant("K", int, -1, "BoundedWait bound; -1 means N-1", min=-1, max=16),
    Constant("busy_poll", bool, False, "a busy poller (__napi_busy_loop) on instance 0"),
    Constant("bp_prefer", bool, False, "the busy poller uses prefer_busy_poll (NAPI_F_PREFER_BUSY_POLL)"),
    Constant("BP_ROUNDS", int, 1, "busy-poll sessions", min=1, max=4),
    Constant("threaded", bool, False, "threaded NAPI (dev->threaded): one kthread per instance"),
    Constant("DEFER", int, 0, "napi_defer_hard_irqs (with gro_flush_timeout > 0); 0: no watchdog", min=0, max=2),
    Constant("gro_held", bool, False, "gro_flush_timeout > 0 and GRO may hold packets at completion "
             "(napi_complete_done arms the watchdog, return value unchanged)"),
    Constant("disable", bool, False, "one napi_disable / napi_enable cycle on instance 0"),
    Constant("netpoll", bool, False, "netpoll's poll_napi on instance 0"),
    Constant("delete", bool, False, "with disable: after napi_disable the driver calls netif_napi_del "
             "(synchronize_net) and frees instance 0, instead of napi_enable"),
    Constant("lifecycle", bool, False, "instance 0 starts as netif_napi_add leaves it (SCHED|NPSVC: disabled) and "
             "the driver's ndo_open enables it first (napi_enable + virtnet_napi_do_enable's reschedule)"),
    Constant("stop_kthread", bool, False, "with threaded: a task writes 0 to /sys/class/net/<dev>/threaded "
             "(netif_set_threaded -> napi_set_threaded -> napi_stop_kthread on instance 0)"),
    Constant("start_kthread", bool, False, "with threaded = false: a task writes 1 to /sys/class/net/<dev>/threaded "
             "(napi_kthread_create, assign_bit(THREADED) on instance 0); with stop_kthread it writes 0 after"),
    Constant("stop_kthread_no_wait", bool, False, "variant (a mutation, not a release): napi_stop_kthread without "
             "its wait for SCHED_THREADED"),
    Constant("BP_CPU", int, -1, "CPU of the busy poller; -1: the last CPU", min=-1, max=1),
    Constant("DISABLE_CPU", int, -1, "CPU of the napi_disable/napi_enable task(s); -1: the last CPU", min=-1, max=1),
    Constant("driver", str, "contract", "the driver's poll() (a plug-in of spec/linux/drivers/)",
             choices=tuple(DRIVERS)),
    Constant("prep_no_missed", bool, False, "variant: pre-2017 napi_schedule_prep/complete without MISSED"),
    Constant("thread_wait_sched", bool, False, "variant: napi_thread_wait tests SCHED (before cb038357937e)"),
    Constant("double_disable", bool, False, "variant: two contexts each run napi_disable/napi_enable"),
    Constant("era", str, "6.18", "core API: the modern one (napi_schedule_prep ..., as ``version`` has it), "
             "or the 2006 netif_rx_schedule interface",
             choices=("6.18", "2006")),
]


def shipped_variants(k: SimpleNamespace) -> list[Variant]:
    """The parts the constants select: the release's first, then the variant files (the era last:
    it replaces what it names)."""
    out: list[Variant] = list(VERSIONS[k.version].parts)
    if k.prep_no_missed:
        out.append(prep_no_missed.apply)
    if k.thread_wait_sched:
        out.append(thread_wait_sched.apply)
    if k.double_disable:
        out.append(double_disable.apply)
    if k.stop_kthread_no_wait:
        out.append(stop_kthread_no_wait.apply)
    if k.era == "2006":
        out.append(era_2006.apply)
    return out


def build(k: SimpleNamespace, driver: Driver | None = None, variants: Sequence[Variant] = ()) -> System:
    """The System of these constants: the shipped kernel, the selected variants, then ``variants``."""
    if driver is None:
        if k.driver not in DRIVERS:
            raise ValueError(f"driver must be one of {tuple(DRIVERS)}")
        driver = DRIVERS[k.driver]()
    return LinuxKernel(k, driver, [*shipped_variants(k), *variants]).build()


SPEC = SpecDef(
    name="linux",
    doc="Linux NAPI (6.18, 6.19, 7.1): state word, net_rx_action, busy poll, threaded NAPI, disable/enable/del, "
        "watchdog, netpoll.",
    constants=CONSTANTS,
    build=build,
    properties=PROPERTIES,
)


def linux_spec(name: str, doc: str = "", driver: Driver | None = None, variants: Sequence[Variant] = (),
               constants: Sequence[Constant] = (), **defaults: Any) -> SpecDef:
    """A spec of one's own: the shipped Linux kernel with your driver plug-in and/or your variants
    (functions ``variant(kernel)`` that call ``kernel.replace``). ``constants`` adds constants of your
    own (your parts read them as ``kernel.k.<name>``); ``defaults`` change constant defaults
    (``RING=3``). With your own driver the ``driver`` constant is gone."""
    consts = [c for c in CONSTANTS if not (driver is not None and c.name == "driver")] + list(constants)
    unknown = set(defaults) - {c.name for c in consts}
    if unknown:
        raise ValueError(f"linux_spec: no constant {', '.join(sorted(unknown))}")
    consts = [Constant(c.name, c.kind, defaults.get(c.name, c.default), c.doc, c.min, c.max, c.choices)
              for c in consts]

    def build_own(k: SimpleNamespace) -> System:
        return build(k, driver, variants)

    return SpecDef(name=name, doc=doc or f"Linux NAPI with {name}", constants=consts, build=build_own,
                   properties=PROPERTIES)


__all__ = ["CONSTANTS", "DRIVERS", "Driver", "LinuxKernel", "SPEC", "VERSIONS", "build", "linux_spec"]
