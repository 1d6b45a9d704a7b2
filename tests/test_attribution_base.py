"""With --base: the imports that appeared or got slower since the base revision, in the Markdown report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from attribution_support import HEAVY, attribution_of, output, profile, run_headless

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost", "-c", "commit.gpgsign=false"]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True)


def test_base_names_the_import_that_appeared_in_markdown(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "heavy.py").write_text(HEAVY, encoding="utf-8")
    (repo / "prog.py").write_text("import json\n", encoding="utf-8")
    profile(repo, ["{python}", "prog.py"])
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    (repo / "prog.py").write_text("import json\n\nimport heavy\n", encoding="utf-8")  # the head's change

    proc = run_headless(repo, "--base", "HEAD", "--attribute", "--json", "r.json", "--markdown", "r.md")

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(repo / "r.json")
    changes = attribution["import_changes"]
    assert changes[0]["module"] == "heavy" and changes[0]["change"] == "new" and changes[0]["base_s"] is None
    assert "json" not in {c["module"] for c in changes}
    assert attribution["base_import_time_s"] < attribution["import_time_s"]
    markdown = (repo / "r.md").read_text(encoding="utf-8")
    assert "Imports that got slower or appeared since the base:" in markdown
    assert "| heavy | new | — |" in markdown


def test_an_import_counts_as_slower_only_when_it_grew_by_a_fifth_and_a_millisecond() -> None:
    from lightprof.measure.attribution.diff import import_changes
    from lightprof.model.attribution import ImportRow

    base = [ImportRow("a", 0.010, 0.010), ImportRow("b", 0.0001, 0.0001), ImportRow("site", 0.001, 0.002, startup=True)]
    head = [ImportRow("a", 0.013, 0.013), ImportRow("b", 0.0009, 0.0009), ImportRow("site", 0.009, 0.009, startup=True),
            ImportRow("c", 0.002, 0.002)]

    changes = {(c.module, c.change) for c in import_changes(head, base)}

    assert changes == {("a", "slower"), ("c", "new")}  # b grew 9x but by less than 1 ms; start-up apart
