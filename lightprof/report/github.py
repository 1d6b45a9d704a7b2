"""GitHub Actions: ::error annotations on the profile's lines and a Markdown step summary."""

from __future__ import annotations

import os

from lightprof.model.result import Result
from lightprof.report.format import explain
from lightprof.report.markdown import render_markdown


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def annotation_commands(result: Result) -> str:
    """`::error` workflow commands for every budget that did not pass, pointing at the profile."""
    lines = []
    path = result.profile.path
    try:
        rel = os.path.relpath(path) if path else None
    except ValueError:
        rel = path
    for row in result.budgets:
        if row.verdict == "pass":
            continue
        props = []
        if rel:
            props.append(f"file={_escape_property(rel)}")
            if row.line:
                props.append(f"line={row.line}")
        props.append(f"title={_escape_property(f'lightprof {row.verdict}: {row.subject} {row.metric}')}")
        level = "warning" if row.verdict == "inconclusive" and not row.fails_build else "error"
        lines.append(f"::{level} {','.join(props)}::{_escape(explain(row))}")
    for target in result.targets:
        if target.error:
            lines.append(f"::error title={_escape_property('lightprof: ' + target.name)}::{_escape(target.error)}")
    return "\n".join(lines) + ("\n" if lines else "")


def write_step_summary(result: Result) -> None:
    """Append the Markdown report to $GITHUB_STEP_SUMMARY when GitHub provides one."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    with open(summary, "a", encoding="utf-8") as handle:
        handle.write(render_markdown(result) + "\n")
