"""DragonOS HEAD whose virtio napi_complete forgets enable_interrupts_prepare: a user's variant
that replaces one part of the shipped spec (spec/dragonos/parts.py) and edits no shipped file.

It is the shipped ``mutation = "no_cb_prepare"`` configuration written as a user would:
CallbacksArmedWhenIdle fails (15 steps: the handler completes with the callbacks still masked).
"""

from spec.dragonos import make_spec
from spec.dragonos.parts import DEFAULT


def forget_interrupts_prepare(t, c, j):  # type: ignore[no-untyped-def]
    """VirtioInterface::napi_complete's ``vc_prep`` without ``enable_interrupts_prepare(j)``."""


SPEC = make_spec("dragonos_no_cb_prepare", __doc__ or "", DEFAULT.replace(interrupts_prepare=forget_interrupts_prepare))
