"""Every step of the shipped Linux releases cites the release it models and a line of its source
(spec/linux/lines.py), and the cited lines are in source order where the code runs in order."""

from __future__ import annotations

import re

import pytest

from spec.linux import SPEC, VERSIONS
from spec.linux.kernel import DEV
from spec.linux.lines import LINES, TREE

#: constant sets that together build every step of the shipped kernel (each feature on somewhere)
FEATURES = [
    dict(N=2, CPUS=2, busy_poll=True, bp_prefer=True, DEFER=1, gro_held=True, disable=True, netpoll=True),
    dict(N=1, CPUS=2, threaded=True, busy_poll=True, DEFER=1, disable=True, netpoll=True),
    dict(N=1, CPUS=2, threaded=True, stop_kthread=True, lifecycle=True, disable=True),
    dict(N=1, CPUS=2, disable=True, delete=True, DEFER=1),
    dict(N=1, CPUS=2, start_kthread=True, stop_kthread=True),
]
CITE = re.compile(r"\[(?P<rel>[0-9.]+) (?P<file>[\w.-]+\.[ch]):(?P<line>[0-9][0-9,-]*)\]")


def _steps(version: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in FEATURES:
        sy = SPEC.instantiate({"version": version, **c})
        out.update({f"{t.actor}:{t.label}": t.function or "" for t in sy.transitions})
    return out


def _kernel_step(function: str) -> bool:
    """A step of the kernel (not of the generic driver plug-in or the device, which cite drivers/net/<driver>.c)."""
    return not function.startswith(DEV) or "net/core/" in function


@pytest.mark.parametrize("version", list(VERSIONS))
def test_every_kernel_step_cites_its_release_and_a_line(version: str) -> None:
    steps = _steps(version)
    kernel = {k: f for k, f in steps.items() if _kernel_step(f)}
    assert len(kernel) > 100  # the feature sets above build the kernel's steps
    releases = {version, TREE[version]}
    missing = [k for k, f in kernel.items() if not any(m["rel"] in releases for m in CITE.finditer(f))]
    assert not missing, f"{version}: steps without a [release file:line] citation: {missing}"


def test_the_new_steps_are_cited() -> None:
    s = _steps("7.1")
    assert "[7.1 dev.c:7161]" in s["SYSFS:st_read"]  # napi_stop_kthread's READ_ONCE
    assert "[7.1 dev.c:7815,7832]" in s["napi/kthread0:should_stop"]  # while (!kthread_should_stop()) ... return -1
    assert "[7.1 virtio_net.c:729]" in s["DISABLE0:open_mask"]
    assert "[7.1 dev.c:7229]" in s["SYSFS:on_set"] and "[7.1 dev.c:1656]" in s["napi/kthread0:run"]
    s618 = _steps("6.18")
    assert "[6.18 dev.c:7062]" in s618["SYSFS:st_stop"] and "[6.18 dev.c:7682]" in s618["napi/kthread0:test"]
    # 6.18.34 has no vanilla tree here: its steps cite 6.18's lines, but busy_poll_stop its own
    s34 = SPEC.instantiate({"version": "6.18.34", "busy_poll": True, "bp_prefer": True, "DEFER": 1})
    f34 = {f"{t.actor}:{t.label}": t.function for t in s34.transitions}
    assert "[6.18.34 dev.c:6791]" in f34["BUSYPOLL:stop_clr"] and "[6.18 dev.c:6609]" in f34["IRQ0:prep"]


def test_table_has_the_three_releases() -> None:
    only = {"bps.tmr": {"6.18.34", "7.1"}, "bp.arm": {"6.18", "6.19"}, "tp.read": {"6.19", "7.1"},
            "tp.assign": {"6.19", "7.1"}}
    for key, (lines, path) in LINES.items():
        want = only.get(key, {"6.18", "6.19", "7.1"})
        assert want <= set(lines), f"{key}: no line for {want - set(lines)}"
        assert path.endswith((".c", ".h"))


@pytest.mark.parametrize("release", ["6.18", "6.19", "7.1"])
def test_cited_lines_follow_the_code_order(release: str) -> None:
    """Within one function the steps run in source order: the table must agree (a mistyped line breaks it)."""
    for keys in [("prep.read", "prep.cas"), ("cd.checks", "cd.read", "cd.cas", "cd.missed", "cd.timer"),
                 ("dis.set", "dis.read", "dis.sleep", "dis.cas", "dis.cancel", "dis.hash", "dis.clr"),
                 ("en.read", "en.restore", "en.cas"), ("add.sched", "add.npsvc"),
                 ("st.read", "st.sleep", "st.cas", "st.wait", "st.kthread_stop", "st.null"),
                 ("tw.set_state", "tw.should_stop", "tw.test", "tw.schedule", "tw.stop_ret"),
                 ("bp.missed", "bp.inbp", "bp.bh", "bp.poll", "bp.unlock", "bp.stop"),
                 ("wd.entry", "wd.dis", "wd.tas", "wd.clrpref", "wd.sched"),
                 ("sched.threaded", "sched.set_threaded", "sched.wake", "sched.list")]:
        nums = [LINES[k][0][release] for k in keys]
        assert nums == sorted(nums) and len(set(nums)) == len(nums), (release, keys, nums)
