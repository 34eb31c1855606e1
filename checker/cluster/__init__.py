"""Distributed exploration on Ray (``napi-check verify --cluster ADDRESS``).

Layers, each a module with one job:

* :mod:`checker.cluster.keys` — packed state keys as fixed-width numpy rows; which partition owns a key.
* :mod:`checker.cluster.store` — a partition's visited set (pluggable: exact rows or 64-bit fingerprints).
* :mod:`checker.cluster.successors` — successor generation for a frontier slice (pluggable: the packed kernel).
* :mod:`checker.cluster.partition` — one worker: its share of the visited set, parent pointers and frontier.
* :mod:`checker.cluster.search` — the level-synchronous BFS that drives the workers and decides verdicts.
* :mod:`checker.cluster.connect` — joining a running Ray cluster, or starting ``local:N`` workers.

Ray is an optional dependency (``pip install 'napi-check[cluster]'``): only ``connect`` and ``search``
import it, and only when a run asks for a cluster.
"""
