"""Joining a Ray cluster for a run: ``--cluster ADDRESS`` / ``[limits] cluster = "ADDRESS"``.

* ``local:N`` — start Ray on this machine with N CPUs (N workers); it serves every configuration
  of the command and stops when the command ends.
* ``auto`` or ``HOST:PORT`` — a running cluster (``ray start --head`` printed the address);
  ``ray://HOST:10001`` — the Ray client. The cluster is left running.

If Ray is already initialised in this process (a test's local multi-node cluster, a notebook),
that connection is used as it is. Connecting is bounded by :data:`CONNECT_SECONDS`: an address
that never answers is an error, not a hang: a HOST:PORT is first probed over TCP (5 s).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CONNECT_SECONDS = 60
_LOCAL = re.compile(r"^local:([1-9][0-9]{0,3})$")
_ADDRESS = re.compile(r"^(auto|ray://[^\s]+|(?!local:)[A-Za-z0-9_.\-\[\]:]+:[0-9]{1,5})$")
PROBE_SECONDS = 5  # a HOST:PORT that accepts no TCP connection by then is not a Ray head


class ClusterError(Exception):
    """The cluster cannot be used (Ray missing, address unreachable)."""


def address_problem(value: Any) -> str | None:
    """Why ``value`` is not a cluster address; None if it is one."""
    if not isinstance(value, str) or not (_LOCAL.match(value) or _ADDRESS.match(value)):
        return f'must be "local:N" (N workers on this machine), "auto", "HOST:PORT" or "ray://HOST:PORT", got {value!r}'
    return None


def cluster_problem(value: Any) -> str | None:
    """Why ``value`` cannot be used as a cluster (a bad address, or Ray not installed); None if it can."""
    why = address_problem(value)
    if why is None and importlib.util.find_spec("ray") is None:
        why = "needs Ray, which is not installed: pip install 'napi-check[cluster]'"
    return why


def init_options() -> dict[str, Any]:
    """ray.init options for napi-check's workers: quiet, no dashboard."""
    return {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": False}


def importable_here() -> None:
    """Make this copy of napi-check importable by the Ray processes this process starts (they inherit
    the environment): a checkout run with ``PYTHONPATH=.`` as well as an installed package. (A
    separate worker environment per job, Ray's ``runtime_env``, would cost seconds per run.)"""
    root = str(Path(__file__).resolve().parents[2])
    parts = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [root, *parts] if p)


class Session:
    def __init__(self, local: int | None) -> None:
        self.local = local

    def cpus(self) -> float:
        import ray

        return float(ray.cluster_resources().get("CPU", 1))

    def default_partitions(self) -> int:
        return self.local or max(1, int(self.cpus()))

    def cpus_per_worker(self, partitions: int) -> float:
        """One CPU per worker when the nodes have them, else 1/k of one (every worker must find a place)."""
        import ray

        per_node = [float(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
        for k in range(1, partitions + 1):
            if sum(int(c * k + 1e-9) for c in per_node) >= partitions:
                return int(100 / k) / 100
        return 0.01


@contextmanager
def cluster_session(address: str) -> Iterator[Session]:
    try:
        import ray
    except ImportError:
        raise ClusterError("--cluster needs Ray: pip install 'napi-check[cluster]'") from None
    m = _LOCAL.match(address)
    local = int(m.group(1)) if m else None
    if not ray.is_initialized():
        opts = init_options()
        if local is not None:
            importable_here()
            opts.update(num_cpus=local, object_store_memory=max(80, 40 * local) * 1024 * 1024)
        else:
            _probe(address)
            opts["address"] = address
        try:
            with _deadline(CONNECT_SECONDS, f"no Ray cluster answered at {address} within {CONNECT_SECONDS} s"):
                ray.init(**opts)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ClusterError(f"cannot connect to the Ray cluster at {address}: {err}") from None
        atexit.register(ray.shutdown)  # the next configuration of this command reuses the connection
    yield Session(local)


def _probe(address: str) -> None:
    """Fail fast on a HOST:PORT nobody listens at (Ray's own connect retries for minutes, in C++,
    where no Python timeout interrupts it)."""
    import socket

    if address == "auto":
        return
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_SECONDS):
            pass
    except (OSError, ValueError) as err:
        raise ClusterError(f"no Ray cluster at {address}: {err}") from None


@contextmanager
def _deadline(seconds: int, message: str) -> Iterator[None]:
    """Raise ClusterError if the block takes longer (main thread only: elsewhere no bound)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(*_: Any) -> None:
        raise ClusterError(message)

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
