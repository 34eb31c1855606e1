"""Linux releases as parts: each release is the shipped parts (6.19's NAPI code) with the kernel
functions that differ replaced (``kernel.replace`` / ``kernel.replace_context``, the mechanism a
user's own variant uses). The linux spec's ``version`` constant picks one.

==========  ===================================================================================
6.18        vanilla 6.18.0-6.18.33: no threaded busy poll (napi_threaded_poll never reads the
            state word); busy_poll_stop arms the hrtimer before its final poll
6.18.34     6.18 with the stable backport of 58e2330bd455 (busy_poll_stop arms after clear_bit)
6.19        the shipped parts: c18d4b190a46 (threaded busy poll, bit 11, napi_threaded_poll reads
            the state word); busy_poll_stop as 6.18. The tree the spec was first read from
            (6952350/linux-6.18.y, a vendor 6.18 with net-next picks) has this NAPI code.
7.1         6.19 with 58e2330bd455 (also in 7.0.y stable)
==========  ===================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spec.linux.kernel import Variant
from spec.linux.versions import v6_18, v7_1


@dataclass(frozen=True)
class Release:
    name: str
    doc: str
    parts: tuple[Variant, ...] = field(default=())  # applied in order, before the configuration's variants


VERSIONS: dict[str, Release] = {
    "6.18": Release("6.18", "vanilla 6.18.0-6.18.33", (v6_18.apply,)),
    "6.18.34": Release("6.18.34", "6.18.34+: 6.18 with 58e2330bd455 backported", (v6_18.apply, v7_1.apply)),
    "6.19": Release("6.19", "6.19: threaded busy poll (c18d4b190a46); the shipped parts"),
    "7.1": Release("7.1", "7.1: 6.19 with 58e2330bd455 (gro timer armed after clear_bit(SCHED))", (v7_1.apply,)),
}

DEFAULT = "6.19"

__all__ = ["DEFAULT", "VERSIONS", "Release"]
