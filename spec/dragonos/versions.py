"""The DragonOS commits the spec models, and which mechanism each one has.

Each field is a fact read in the source at that commit (DragonOS-Community/DragonOS);
the spec branches on these fields only, never on the version name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Version:
    name: str
    commit: str
    #: napi.rs: napi_list is a Vec (push / pop at the end: LIFO) rather than a VecDeque
    vec_list: bool
    #: napi.rs napi_schedule: fetch_or(SCHED) then push unconditionally (no test of the old value)
    unconditional_push: bool
    #: crates/napi-state: schedule_prep / complete CAS state machine with MISSED and DISABLE
    state_machine: bool
    #: napi.rs net_rx_action: the flag is cleared in a second critical section when the taken list is empty
    clear_flag_race: bool
    #: napi.rs net_rx_action: after the round, re-check the global list under the lock before sleeping
    recheck_before_sleep: bool
    #: napi.rs net_rx_action: bounded round with packet / poll / time budgets and the fair merge
    budgets: bool
    #: napi.rs NapiStruct::poll: loops iface.poll() up to weight times (V0) instead of poll_napi(budget)
    poll_loop: bool
    #: mod.rs IfaceCommon::poll: `loop { poll_at(ts) }` spins while poll_at <= ts (V0)
    poll_at_spin: bool
    #: mod.rs poll_napi: poll_again also when poll_at <= now (38905a75d)
    poll_again_now: bool
    #: NapiStruct::poll returns idle for an interface that is not UP
    up_check: bool
    #: crates/net-poll-state PollDeadline (publish_future / classify_and_claim / restore) + deadline_generation
    poll_deadline: bool
    #: wait_queue.rs: "prepare_to_wait" (V0), "flag" (Waker.has_woken, 0ee965c8e), "cas" (Waker state machine)
    waitq: str
    #: wait_queue.rs: a wait call re-registers the same Waker on every loop turn (wait_until_impl)
    waker_per_call: bool
    #: net_namespace.rs poller: "v0" poll-all + mark_sleep; "swap" (cond = poll_pending.swap);
    #: "load" (cond loads, swap after); "claim" (HEAD)
    poller: str
    #: virtio_net.rs: napi_poll_begin / napi_complete callback-mask handshake
    virtio_handshake: bool
    #: net/socket/netlink/route/kern/link.rs: DOWN->UP edge calls napi_schedule + notify_deadline_changed
    link_up_schedules: bool
    #: rtnetlink link set up/down exists at this commit
    has_link_set: bool
    #: the file of ProcessManager::wakeup / mark_sleep (moved to process/manager/sched.rs by e374b4513)
    pm_file: str = "kernel/src/process/manager/sched.rs"


V0 = Version("V0", "50a70e942", vec_list=True, unconditional_push=True, state_machine=False, clear_flag_race=True,
             recheck_before_sleep=False, budgets=False, poll_loop=True, poll_at_spin=True, poll_again_now=False,
             up_check=False, poll_deadline=False, waitq="prepare_to_wait", waker_per_call=False, poller="v0",
             virtio_handshake=False, link_up_schedules=False, has_link_set=False,
             pm_file="kernel/src/process/mod.rs")
V1 = Version("V1", "0ee965c8e", vec_list=True, unconditional_push=True, state_machine=False, clear_flag_race=True,
             recheck_before_sleep=False, budgets=False, poll_loop=False, poll_at_spin=False, poll_again_now=False,
             up_check=False, poll_deadline=False, waitq="flag", waker_per_call=False, poller="swap",
             virtio_handshake=False, link_up_schedules=False, has_link_set=False,
             pm_file="kernel/src/process/mod.rs")
V1_2 = Version("V1.2", "38905a75d", vec_list=True, unconditional_push=True, state_machine=False,
               clear_flag_race=False, recheck_before_sleep=True, budgets=False, poll_loop=False, poll_at_spin=False,
               poll_again_now=True, up_check=False, poll_deadline=False, waitq="cas", waker_per_call=True,
               poller="swap", virtio_handshake=False, link_up_schedules=False, has_link_set=False,
               pm_file="kernel/src/process/mod.rs")
V2 = Version("V2", "e374b4513", vec_list=False, unconditional_push=False, state_machine=True, clear_flag_race=False,
             recheck_before_sleep=False, budgets=True, poll_loop=False, poll_at_spin=False, poll_again_now=True,
             up_check=True, poll_deadline=False, waitq="cas", waker_per_call=True, poller="load",
             virtio_handshake=True, link_up_schedules=False, has_link_set=True)
HEAD = Version("HEAD", "f64a0d563", vec_list=False, unconditional_push=False, state_machine=True,
               clear_flag_race=False, recheck_before_sleep=False, budgets=True, poll_loop=False, poll_at_spin=False,
               poll_again_now=True, up_check=True, poll_deadline=True, waitq="cas", waker_per_call=True,
               poller="claim", virtio_handshake=True, link_up_schedules=True, has_link_set=True)

VERSIONS: dict[str, Version] = {v.name: v for v in (V0, V1, V1_2, V2, HEAD)}


def cite(v: Version, where: str) -> str:
    """``file:function @commit`` for a step's ``func=``."""
    return f"{where} @{v.commit}"


NAPI = "kernel/src/driver/net/napi.rs"
IFACE = "kernel/src/driver/net/mod.rs"
NETNS = "kernel/src/process/namespace/net_namespace.rs"
WAITQ = "kernel/src/libs/wait_queue.rs"
VIRTIO = "kernel/src/driver/net/virtio_net.rs"
NAPI_STATE = "kernel/crates/napi-state/src/lib.rs"
POLL_STATE = "kernel/crates/net-poll-state/src/lib.rs"
