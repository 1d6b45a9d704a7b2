"""Hot functions: py-spy samples a real start, its speedscope file is kept and valid; a denied attach is said."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from attribution_support import HOT, attribution_of, output, profile, program, run_headless

from lightprof.measure.attribution import speedscope

SCHEMA = Path(__file__).parent / "fixtures" / "speedscope-file-format-schema.json"



def test_the_known_hot_function_comes_first_and_the_speedscope_file_validates(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False, extra=HOT)
    (tmp_path / "reports").mkdir()
    profile(tmp_path, ["{python}", "prog.py"])

    proc = run_headless(tmp_path, "--attribute", "--json", "reports/r.json")

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(tmp_path / "reports" / "r.json")
    first = attribution["functions"][0]
    assert (first["name"], Path(first["file"]).name) == ("crunch", "prog.py")
    assert first["self_share"] > 0.3 and first["total_share"] >= first["self_share"]
    assert attribution["sampler"].startswith("py-spy ")
    assert attribution["samples"] > 50
    # Kept beside the report, named relative to it, valid against speedscope's own schema.
    assert attribution["speedscope"] == "lightprof-attribution/prog.speedscope.json"
    kept = tmp_path / "reports" / attribution["speedscope"]
    document = json.loads(kept.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert document["$schema"] == speedscope.SCHEMA_URL
    assert document["shared"]["frames"] and document["profiles"]
    assert not [p for p in (tmp_path / "reports" / "lightprof-attribution").iterdir() if p.name.endswith(".tmp")]


def test_speedscope_parsing_refuses_what_is_not_speedscope() -> None:
    with pytest.raises(speedscope.NotSpeedscope, match="schema"):
        speedscope.parse({"profiles": []})
    with pytest.raises(speedscope.NotSpeedscope, match="frame indices"):
        speedscope.parse({"$schema": speedscope.SCHEMA_URL, "shared": {"frames": [{"name": "f"}]},
                          "profiles": [{"type": "sampled", "samples": [[0, 3]], "weights": [1]}]})


# A target that forbids ptrace on itself first thing (python -S starts it before py-spy attaches).
NON_DUMPABLE = """
import ctypes

ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4: no ptrace, no process_vm_readv

import csv
import json

import heavy

import time

started = time.perf_counter()
while time.perf_counter() - started < 0.5:
    pass
print(json.dumps(heavy.TABLE > 0))
"""


def _without_ptrace_rights() -> list[str]:
    """The prefix that takes CAP_SYS_PTRACE away from lightprof (root has it; others never do)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to drop CAP_SYS_PTRACE as root")
    return [setpriv, "--bounding-set", "-sys_ptrace", "--inh-caps", "-sys_ptrace", "--"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux only (prctl)")
def test_a_denied_attach_is_one_sentence_with_the_fix_and_the_imports_still_come(tmp_path: Path) -> None:
    program(tmp_path, calls_heavy=False)
    (tmp_path / "locked.py").write_text(NON_DUMPABLE, encoding="utf-8")
    profile(tmp_path, ["{python}", "-S", "locked.py"], budget='import_time = "30s"')

    proc = run_headless(tmp_path, "--attribute", "--json", "r.json", prefix=_without_ptrace_rights())

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(tmp_path / "r.json")
    sentence = attribution["sampler_error"]
    assert sentence.startswith("py-spy could not read the target's memory (ptrace was denied")
    assert "CAP_SYS_PTRACE" in sentence and sentence.count(". ") <= 1
    assert attribution["functions"] == [] and attribution["speedscope"] is None
    assert sentence in proc.stdout
    own = [row["module"] for row in attribution["imports"] if not row["startup"]]
    assert own[0] == "heavy" and "json" in own
    assert attribution["import_time_s"] >= 0.07
