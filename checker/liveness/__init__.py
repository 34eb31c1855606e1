"""Liveness: fair-cycle detection on the explicit state graph, non-progress cycles and starvation bounds.

* :mod:`graph`     — the reachable state graph (ghost starvation counters projected away);
* :mod:`fairness`  — the fairness groups of a System (spec declarations + configuration overrides);
* :mod:`cycles`    — fair strongly connected components (networkx) and lasso construction;
* :mod:`check`     — the properties: leads_to / eventually / always_eventually / non_progress, and
  the tight bound of starvation properties;
* :mod:`lasso`     — the replay checks of lasso and bound-witness traces (``END_CHECKS``);
* :mod:`engine`    — what the explicit engine calls for these properties (refusals, options);
* :mod:`config`    — temporal properties declared in a configuration (``[options.liveness]``).

The language side (declarations, semantics of fairness) is :mod:`checker.lang.temporal`.
"""
