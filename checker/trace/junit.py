"""JUnit XML for CI: one test case per configuration × property, built from the result.json document.

A test case passes when the property's verdict is the expected one (``holds``, or ``violated``
for a property the configuration expects to be violated). Otherwise:

* a property violated but expected to hold, or holding but expected violated: ``<failure>``,
  with the counterexample (terminal view) as the failure text;
* an ``error`` verdict (engines disagree, a trace did not replay, a modelling error): ``<error>``;
* ``inconclusive`` (a limit was reached): ``<skipped>``, so the gate's exit code (3) decides.

An expected violation that was found passes and carries its trace in ``<system-out>``.
Problems of a configuration not tied to one property get an extra ``(run)`` test case, and
each configuration file that could not be loaded an ``<error>`` test case in a suite of its own.
Layout follows the de-facto JUnit schema read by Jenkins, GitLab, GitHub test-report actions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

PASSED, FAILURE, ERROR, SKIPPED = "passed", "failure", "error", "skipped"


def case_outcome(prop: dict[str, Any]) -> tuple[str, str]:
    """(passed|failure|error|skipped, message) of one property entry of result.json."""
    v, want = prop["verdict"], prop["expected"]
    if v == want:
        return PASSED, ""
    if v == "violated":
        n = prop.get("trace_length")
        return FAILURE, "violated but expected to hold" + (f" ({n}-step counterexample)" if n is not None else "")
    if v == "holds":
        return FAILURE, "holds but the configuration expects it to be violated"
    if v == "inconclusive":
        return SKIPPED, "inconclusive: " + (prop.get("note") or "no verdict")
    return ERROR, prop.get("note") or v


def _unattributed(cfg: dict[str, Any]) -> list[str]:
    names = set(cfg["properties"])
    out = []
    for p in cfg["problems"]:
        head = p.split(":", 1)[0].split(" ", 1)[0]
        if head not in names:
            out.append(p)
    return out


def junit_xml(doc: dict[str, Any], texts: dict[tuple[str, str], str]) -> str:
    """The JUnit XML document; ``texts[(configuration name, property)]`` is the trace shown for it."""
    root = ET.Element("testsuites", name="napi-check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for cfg in doc["configurations"]:
        suite = ET.SubElement(root, "testsuite", name=cfg["configuration"])
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="spec", value=cfg["spec"])
        for k, v in cfg["constants"].items():
            ET.SubElement(props, "property", name=f"constants.{k}", value=str(v))
        ET.SubElement(props, "property", name="status", value=cfg["status"])
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        classname = f"{cfg['spec']}.{cfg['name']}"
        for name, p in cfg["properties"].items():
            case = ET.SubElement(suite, "testcase", name=name, classname=classname,
                                 time=f"{p.get('seconds', 0.0):.3f}", file=cfg["configuration"])
            counts["tests"] += 1
            kind, msg = case_outcome(p)
            text = texts.get((cfg["name"], name), "")
            if kind == FAILURE:
                counts["failures"] += 1
                why = p.get("why", {}).get("headline")
                if why:  # the failing clause, in the message CI systems show first
                    msg = f"{msg}: {why}"
                el = ET.SubElement(case, "failure", message=f"{name}: {msg}", type="violation"
                                   if p["verdict"] == "violated" else "missing-violation")
                el.text = text or msg
            elif kind == ERROR:
                counts["errors"] += 1
                el = ET.SubElement(case, "error", message=f"{name}: {msg}", type="error")
                el.text = text or msg
            elif kind == SKIPPED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=msg)
            elif text:
                ET.SubElement(case, "system-out").text = text
        extra = _unattributed(cfg)
        if extra:
            case = ET.SubElement(suite, "testcase", name="(run)", classname=classname, time="0.000",
                                 file=cfg["configuration"])
            counts["tests"] += 1
            counts["errors"] += 1
            el = ET.SubElement(case, "error", message=extra[0], type="problem")
            el.text = "\n".join(extra + ([texts[(cfg["name"], "(run)")]] if (cfg["name"], "(run)") in texts else []))
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{cfg['seconds']:.3f}")
        total_time += cfg["seconds"]
    if doc.get("errors"):
        suite = ET.SubElement(root, "testsuite", name="configuration errors", tests=str(len(doc["errors"])),
                              failures="0", errors=str(len(doc["errors"])), skipped="0", time="0.000")
        for e in doc["errors"]:
            path = e.split(":", 1)[0]
            case = ET.SubElement(suite, "testcase", name=path, classname="napi-check.config", time="0.000")
            ET.SubElement(case, "error", message=e, type="configuration").text = e
        totals["tests"] += len(doc["errors"])
        totals["errors"] += len(doc["errors"])
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
