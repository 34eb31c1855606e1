"""Reusable models of kernel primitives, written in the modelling language (no engine, no spec).

* :mod:`checker.lang.kernel.klist` – ``struct list_head`` as next/prev pointer arrays, with its
  operations atomic or as their individual pointer stores, and a list-integrity predicate;
* :mod:`checker.lang.kernel.rcu` – RCU read-side sections as state and ``synchronize_rcu`` /
  ``synchronize_net`` as a grace period that waits exactly for the sections it saw start before it;
* :mod:`checker.lang.kernel.kthread` – ``kthread_stop`` / ``kthread_should_stop``.

Specs combine these with their own state (see docs/language.md, "Kernel primitives").
"""

from checker.lang.kernel.klist import KList
from checker.lang.kernel.kthread import KThreads
from checker.lang.kernel.rcu import RCU

__all__ = ["KList", "KThreads", "RCU"]
