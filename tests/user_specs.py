"""User spec files as a user would write them, shared by the loader and wheel tests."""

# A user's variant of a shipped spec: napi_basic whose driver unmasks its IRQ before napi_complete_done
# (a lost wakeup), with the ring size taken from a file next to it.
VARIANT = '''
"""napi_basic, but the driver unmasks first."""
from dataclasses import replace

from ring import RING
from spec.napi_basic import SPEC as BASIC

MINE = {"unmask_first": True, "RING": RING}  # new defaults (a configuration may still set them)

SPEC = replace(BASIC, name="unmask_variant", doc="driver unmasks before napi_complete_done",
               constants=[replace(c, default=MINE.get(c.name, c.default)) for c in BASIC.constants])
'''

# A self-contained user spec: one counter; the constant LIMIT decides whether Bounded holds.
COUNTER = '''
from checker.lang import Constant, Int, SpecDef, System
from common import TOP


def build(k):
    s = System("counter")
    x = s.var("x", Int(0, TOP))

    @s.action("inc", func="drivers/net/user.c:inc", actor="CTX")
    def _(t):
        t.require(x < TOP)
        t.set(x, x + 1)

    s.invariant("Bounded", x <= k.LIMIT, doc="x stays within LIMIT")
    s.deadlock(end=x == TOP)
    return s


SPEC = SpecDef("counter", "a counter up to TOP", [Constant("LIMIT", int, 3, "bound", min=0, max=9)], build,
               ("Bounded",))
'''
