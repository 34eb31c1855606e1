"""Where each modelled step is in the source, per release: ``file:line`` read at the vanilla tags.

Trees read (the search tools' snapshots; none of their code is in this repository):

======  =====================================================================================
6.18    v6.18: gfunkmonk/linux-6.18.2 (an import of 6.18.2); net/core/dev.c there is byte-identical
        to the v6.18 tag of leftymods/linux-6.18.y (6.18.1 and 6.18.2 did not touch it)
6.19    v6.19: matankalina/linux-6.19.10-fork, commit 094d86945 "Import Linux v6.19" (6.19.0)
7.1     rikudousennin22/linux-7.1.3 (7.1.3); yulee1982/s5p6818_linux-7.1.2 (7.1.2) has the same
        dev.c, danayer/linux-7.1.5 differs only in enqueue_to_backlog. No snapshot of the v7.1
        tag itself could be had: the lines are 7.1.3's
======  =====================================================================================

6.18.34 (6.18 with the backport of 58e2330bd455) has no vanilla tree here (the 6.18.y trees in the
store carry vendor picks from 6.19): its steps cite 6.18's lines, except busy_poll_stop, whose
6.18.34 lines come from the stable backport mail (spec/linux/versions/v7_1.py).

``LINES[key] = ({release: line}, file)``; a step cites with :func:`cite`, which names the configured
release and its line(s), e.g. ``[6.19 dev.c:6682]``. tests/test_linux_citations.py checks that every
step of the shipped releases cites a release and a line.
"""

from __future__ import annotations

from typing import Any

DEV = "net/core/dev.c"

#: the release whose lines a configured ``version`` cites
TREE = {"6.18": "6.18", "6.18.34": "6.18", "6.19": "6.19", "7.1": "7.1"}

LINES: dict[str, tuple[dict[str, int], str]] = {
    "prep.read": ({"6.18": 6609, "6.19": 6682, "7.1": 6731}, DEV),
    "prep.cas": ({"6.18": 6624, "6.19": 6697, "7.1": 6746}, DEV),
    "sched.threaded": ({"6.18": 4849, "6.19": 4918, "7.1": 4964}, DEV),
    "sched.set_threaded": ({"6.18": 4861, "6.19": 4930, "7.1": 4976}, DEV),
    "sched.wake": ({"6.18": 4862, "6.19": 4931, "7.1": 4977}, DEV),
    "sched.list": ({"6.18": 4869, "6.19": 4938, "7.1": 4984}, DEV),
    "cd.checks": ({"6.18": 6660, "6.19": 6733, "7.1": 6782}, DEV),
    "cd.read": ({"6.18": 6691, "6.19": 6764, "7.1": 6813}, DEV),
    "cd.cas": ({"6.18": 6705, "6.19": 6778, "7.1": 6827}, DEV),
    "cd.missed": ({"6.18": 6708, "6.19": 6781, "7.1": 6830}, DEV),
    "cd.timer": ({"6.18": 6713, "6.19": 6786, "7.1": 6835}, DEV),
    "poll.test": ({"6.18": 7593, "6.19": 7680, "7.1": 7732}, DEV),
    "poll.dis": ({"6.18": 7612, "6.19": 7699, "7.1": 7751}, DEV),
    "poll.dc": ({"6.18": 7613, "6.19": 7700, "7.1": 7752}, DEV),
    "poll.pref": ({"6.18": 7620, "6.19": 7707, "7.1": 7759}, DEV),
    "poll.empty": ({"6.18": 7636, "6.19": 7723, "7.1": 7775}, DEV),
    "poll.lock": ({"6.18": 7655, "6.19": 7742, "7.1": 7794}, DEV),
    "poll.repoll": ({"6.18": 7665, "6.19": 7752, "7.1": 7804}, DEV),
    "poll.unlock": ({"6.18": 7667, "6.19": 7754, "7.1": 7806}, DEV),
    "bps.sched": ({"6.18": 6746, "6.19": 6820, "7.1": 6869}, DEV),
    "bps.clr": ({"6.18.34": 6791, "6.18": 6753, "6.19": 6827, "7.1": 6876}, DEV),
    "bps.tmr": ({"6.18.34": 6792, "7.1": 6877}, DEV),
    "bp.missed": ({"6.18": 6778, "6.19": 6852, "7.1": 6902}, DEV),
    "bp.inbp": ({"6.18": 6779, "6.19": 6853, "7.1": 6903}, DEV),
    "bp.bh": ({"6.18.34": 6823, "6.18": 6781, "6.19": 6855, "7.1": 6905}, DEV),
    "bp.arm": ({"6.18": 6788, "6.19": 6862}, DEV),
    "bp.timeout": ({"6.18.34": 6830, "6.18": 6786, "6.19": 6860, "7.1": 6915}, DEV),
    "bp.poll": ({"6.18": 6796, "6.19": 6870, "7.1": 6922}, DEV),
    "bp.unlock": ({"6.18.34": 6842, "6.18": 6802, "6.19": 6876, "7.1": 6928}, DEV),
    "bp.stop": ({"6.18.34": 6845, "6.18": 6804, "6.19": 6878, "7.1": 6930}, DEV),
    "bl.lookup": ({"6.18": 6829, "6.19": 6903, "7.1": 6955}, DEV),
    "bl.read": ({"6.18": 6836, "6.19": 6910, "7.1": 6962}, DEV),
    "bl.setpref": ({"6.18": 6844, "6.19": 6918, "7.1": 6970}, DEV),
    "bl.cas": ({"6.18": 6847, "6.19": 6921, "7.1": 6973}, DEV),
    "bl.lock": ({"6.18": 6854, "6.19": 6928, "7.1": 6980}, DEV),
    "bl.poll": ({"6.18": 6857, "6.19": 6931, "7.1": 6983}, DEV),
    "bl.loop_end": ({"6.18": 6868, "6.19": 6942, "7.1": 6994}, DEV),
    "bl.stop": ({"6.18": 6875, "6.19": 6949, "7.1": 7001}, DEV),
    "bl.byid": ({"6.18": 6824, "6.19": 6898, "7.1": 6950}, DEV),
    "wd.entry": ({"6.18": 7011, "6.19": 7085, "7.1": 7137}, DEV),
    "wd.dis": ({"6.18": 7020, "6.19": 7094, "7.1": 7146}, DEV),
    "wd.tas": ({"6.18": 7021, "6.19": 7095, "7.1": 7147}, DEV),
    "wd.clrpref": ({"6.18": 7022, "6.19": 7096, "7.1": 7148}, DEV),
    "wd.sched": ({"6.18": 7023, "6.19": 7097, "7.1": 7149}, DEV),
    "rx.splice": ({"6.18": 7759, "6.19": 7871, "7.1": 7928}, DEV),
    "rx.first": ({"6.18": 7783, "6.19": 7895, "7.1": 7952}, DEV),
    "rx.napi_poll": ({"6.18": 7784, "6.19": 7896, "7.1": 7953}, DEV),
    "rx.budget": ({"6.18": 7791, "6.19": 7903, "7.1": 7960}, DEV),
    "rx.recheck": ({"6.18": 7775, "6.19": 7887, "7.1": 7944}, DEV),
    "rx.end": ({"6.18": 7798, "6.19": 7910, "7.1": 7967}, DEV),
    "rx.raise": ({"6.18": 7804, "6.19": 7916, "7.1": 7973}, DEV),
    "rx.in_action": ({"6.18": 7757, "6.19": 7869, "7.1": 7926}, DEV),
    "dis.lock": ({"6.18": 7508, "6.19": 7595, "7.1": 7647}, DEV),
    "dis.unlock": ({"6.18": 7510, "6.19": 7597, "7.1": 7649}, DEV),
    "dis.set": ({"6.18": 7474, "6.19": 7559, "7.1": 7611}, DEV),
    "dis.read": ({"6.18": 7476, "6.19": 7561, "7.1": 7613}, DEV),
    "dis.sleep": ({"6.18": 7479, "6.19": 7564, "7.1": 7616}, DEV),
    "dis.cas": ({"6.18": 7485, "6.19": 7572, "7.1": 7624}, DEV),
    "dis.cancel": ({"6.18": 7487, "6.19": 7574, "7.1": 7626}, DEV),
    "dis.hash": ({"6.18": 7490, "6.19": 7577, "7.1": 7629}, DEV),
    "dis.clr": ({"6.18": 7494, "6.19": 7581, "7.1": 7633}, DEV),
    "en.lock": ({"6.18": 7543, "6.19": 7630, "7.1": 7682}, DEV),
    "en.unlock": ({"6.18": 7545, "6.19": 7632, "7.1": 7684}, DEV),
    "en.read": ({"6.18": 7516, "6.19": 7603, "7.1": 7655}, DEV),
    "en.restore": ({"6.18": 7519, "6.19": 7606, "7.1": 7658}, DEV),
    "en.cas": ({"6.18": 7529, "6.19": 7616, "7.1": 7668}, DEV),
    "add.sched": ({"6.18": 7445, "6.19": 7530, "7.1": 7582}, DEV),
    "add.npsvc": ({"6.18": 7446, "6.19": 7531, "7.1": 7583}, DEV),
    "del.listed": ({"6.18": 7554, "6.19": 7641, "7.1": 7693}, DEV),
    "del.kthread_stop": ({"6.18": 7574, "6.19": 7661, "7.1": 7713}, DEV),
    "del.sync": ({"6.18": 2909, "6.19": 2925, "7.1": 2962}, "include/linux/netdevice.h"),
    "tw.set_state": ({"6.18": 7674, "6.19": 7761, "7.1": 7813}, DEV),
    "tw.should_stop": ({"6.18": 7676, "6.19": 7763, "7.1": 7815}, DEV),
    "tw.test": ({"6.18": 7682, "6.19": 7769, "7.1": 7821}, DEV),
    "tw.schedule": ({"6.18": 7688, "6.19": 7775, "7.1": 7827}, DEV),
    "tw.stop_ret": ({"6.18": 7693, "6.19": 7780, "7.1": 7832}, DEV),
    "tp.loop": ({"6.18": 7739, "6.19": 7838, "7.1": 7895}, DEV),
    "tp.read": ({"6.19": 7839, "7.1": 7896}, DEV),
    "tp.assign": ({"6.19": 7848, "7.1": 7905}, DEV),
    "tpl.bh": ({"6.18": 7706, "6.19": 7793, "7.1": 7846}, DEV),
    "tpl.lock": ({"6.18": 7712, "6.19": 7799, "7.1": 7852}, DEV),
    "tpl.poll": ({"6.18": 7713, "6.19": 7800, "7.1": 7853}, DEV),
    "tpl.bh_on": ({"6.18": 7725, "6.19": 7818, "7.1": 7871}, DEV),
    "tpl.resched": ({"6.18": 7731, "6.19": 7823, "7.1": 7876}, DEV),
    "kc.run": ({"6.18": 1636, "6.19": 1650, "7.1": 1656}, DEV),
    "nst.create": ({"6.18": 7109, "6.19": 7194, "7.1": 7246}, DEV),
    "set.assign": ({"6.18": 7092, "6.19": 7177, "7.1": 7229}, DEV),
    "st.read": ({"6.18": 7035, "6.19": 7109, "7.1": 7161}, DEV),
    "st.sleep": ({"6.18": 7044, "6.19": 7119, "7.1": 7171}, DEV),
    "st.cas": ({"6.18": 7048, "6.19": 7123, "7.1": 7175}, DEV),
    "st.wait": ({"6.18": 7056, "6.19": 7131, "7.1": 7183}, DEV),
    "st.kthread_stop": ({"6.18": 7062, "6.19": 7137, "7.1": 7189}, DEV),
    "st.null": ({"6.18": 7063, "6.19": 7138, "7.1": 7190}, DEV),
    "set.stop": ({"6.18": 7088, "6.19": 7173, "7.1": 7225}, DEV),
    "nst.write": ({"6.18": 7118, "6.19": 7203, "7.1": 7255}, DEV),
    "nst.set": ({"6.18": 7122, "6.19": 7207, "7.1": 7259}, DEV),
    "sysfs.lock": ({"6.18": 211, "6.19": 211, "7.1": 211}, "net/core/net-sysfs.c"),
    "sysfs.unlock": ({"6.18": 218, "6.19": 218, "7.1": 218}, "net/core/net-sysfs.c"),
    "sysfs.store": ({"6.18": 760, "6.19": 760, "7.1": 760}, "net/core/net-sysfs.c"),
    "np.lock": ({"6.18": 86, "6.19": 86, "7.1": 86}, "include/linux/netpoll.h"),
    "np.unlock": ({"6.18": 99, "6.19": 99, "7.1": 99}, "include/linux/netpoll.h"),
    "npn.owner": ({"6.18": 169, "6.19": 169, "7.1": 169}, "net/core/netpoll.c"),
    "npn.release": ({"6.18": 171, "6.19": 171, "7.1": 171}, "net/core/netpoll.c"),
    "npo.tas": ({"6.18": 150, "6.19": 150, "7.1": 150}, "net/core/netpoll.c"),
    "npo.poll": ({"6.18": 156, "6.19": 156, "7.1": 156}, "net/core/netpoll.c"),
    "npo.clr": ({"6.18": 160, "6.19": 160, "7.1": 160}, "net/core/netpoll.c"),
    "npd.irqsave": ({"6.18": 200, "6.19": 200, "7.1": 200}, "net/core/netpoll.c"),
    "vio.prep": ({"6.18": 754, "6.19": 737, "7.1": 728}, "drivers/net/virtio_net.c"),
    "vio.mask": ({"6.18": 755, "6.19": 738, "7.1": 729}, "drivers/net/virtio_net.c"),
    "vio.enable": ({"6.18": 2873, "6.19": 2871, "7.1": 2801}, "drivers/net/virtio_net.c"),
}


def lines(release: str, *keys: str) -> tuple[str, list[int]]:
    """(file, lines) of ``keys`` in ``release`` (those the release has)."""
    files = {LINES[k][1] for k in keys}
    if len(files) != 1:
        raise ValueError(f"cite: keys {keys} are in different files {files}")
    return files.pop(), [LINES[k][0][release] for k in keys if release in LINES[k][0]]


def cite(kernel: Any, *keys: str) -> str:
    """`` [<release> <file>:<line>[,<line>...]]`` for the configured ``version`` (empty if the
    release has none of ``keys``: a step of another release)."""
    version = str(getattr(kernel.k, "version", "6.19"))
    # a release's own lines where they were read (6.18.34's busy_poll_stop), else its tree's
    release = version if all(version in LINES[k][0] for k in keys) else TREE.get(version, version)
    path, found = lines(release, *keys)
    if not found:
        return ""
    short = path.rsplit("/", 1)[-1]
    nums = sorted(set(found))
    text = f"{nums[0]}-{nums[-1]}" if len(nums) > 2 and nums[-1] - nums[0] < 40 else ",".join(map(str, nums))
    return f" [{release} {short}:{text}]"


__all__ = ["LINES", "TREE", "cite", "lines"]
