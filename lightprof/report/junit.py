"""JUnit XML: one testcase per budget, so CI systems list budgets as tests."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from lightprof.model.result import Result
from lightprof.report.format import explain

# What XML 1.0 cannot hold, even escaped: C0 controls but tab, newline and return; lone surrogates;
# U+FFFE and U+FFFF. A target's stderr (colour codes) or a name from a report can carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(result: Result) -> str:
    rows = result.budgets
    failures = sum(1 for r in rows if r.verdict in ("fail", "regression") or r.fails_build)
    skipped = sum(1 for r in rows if r.verdict == "inconclusive" and not r.fails_build)
    errors = sum(1 for r in rows if r.verdict == "unmeasured")
    suite = ET.Element(
        "testsuite",
        name=f"lightprof.{result.profile.name}",
        tests=str(len(rows)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        timestamp=result.started_at,
    )
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname=f"lightprof.{r.subject}", name=r.metric)
        if r.verdict in ("fail", "regression"):
            node = ET.SubElement(case, "failure", type=r.verdict, message=explain(r))
            node.text = explain(r) + (f"\n{r.note}" if r.note else "")
        elif r.verdict == "unmeasured":
            ET.SubElement(case, "error", type="unmeasured", message=explain(r))
        elif r.verdict == "inconclusive":
            # inconclusive = "fail" fails the build; "warn" lets it pass, said as a skipped test.
            tag = "failure" if r.fails_build else "skipped"
            ET.SubElement(case, tag, type="inconclusive", message=explain(r))
    for target in result.targets:
        if target.error and not any(r.subject == target.name for r in rows):
            case = ET.SubElement(suite, "testcase", classname=f"lightprof.{target.name}", name="measured")
            ET.SubElement(case, "error", type="unmeasured", message=target.error)
            suite.set("tests", str(int(suite.get("tests", "0")) + 1))
            suite.set("errors", str(int(suite.get("errors", "0")) + 1))
    suites = ET.Element("testsuites")
    suites.append(suite)
    for node in suites.iter():
        node.attrib = {key: _xml_safe(value) for key, value in node.attrib.items()}
        if node.text:
            node.text = _xml_safe(node.text)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
