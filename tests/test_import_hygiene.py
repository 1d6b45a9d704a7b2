"""`--version` and `--headless` stay light: they never import the TUI, Wasm or array stacks.

Each check runs lightprof in a fresh interpreter under `-X importtime` and reads the module names
from the `import time:` lines it writes to stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PY = sys.executable
HEAVY = ("textual", "wasmtime", "numpy", "rich", "brotli")
IMPORT_LINE = re.compile(r"^import time:\s*\d+\s*\|\s*\d+\s*\|\s*(\S+)\s*$")


def imported_modules(stderr: str) -> set[str]:
    """Dotted names of every module `-X importtime` reported importing."""
    return {m.group(1) for line in stderr.splitlines() if (m := IMPORT_LINE.match(line))}


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def run_importtime(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [PY, "-X", "importtime", "-m", "lightprof", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )


def test_importtime_lines_are_parsed() -> None:
    sample = "import time: self [us] | cumulative | imported package\nimport time:       263 |       1010 |   bz2\n"
    assert imported_modules(sample) == {"bz2"}


def test_version_imports_nothing_heavy(tmp_path: Path) -> None:
    proc = run_importtime(tmp_path, "--version")

    assert proc.returncode == 0, proc.stderr
    assert "lightprof" in proc.stdout
    modules = top_level(imported_modules(proc.stderr))
    assert "lightprof" in modules  # the parse found lightprof's own imports
    assert sorted(modules.intersection(HEAVY)) == []


def test_headless_run_imports_nothing_heavy(tmp_path: Path) -> None:
    profile = tmp_path / "lightprof.toml"
    profile.write_text(
        "version = 1\n"
        'name = "hygiene"\n'
        "[[target]]\n"
        'name = "true"\n'
        'command = ["true"]\n'
        'ready = "exit"\n'
        "runs = 3\n"
        "warmup = 0\n"
        "[target.budget]\n"
        'cold_start_p95 = "10s"\n',
        encoding="utf-8",
    )

    proc = run_importtime(tmp_path, "--headless", "-p", str(profile), "--json", "out.json", "--junit", "out.xml")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "out.json").exists()
    modules = imported_modules(proc.stderr)
    assert "lightprof.session" in modules  # it really measured, through the headless path
    assert sorted(top_level(modules).intersection(HEAVY)) == []


def test_sizing_a_folder_headless_loads_only_what_sizing_needs(tmp_path: Path) -> None:
    """A profile of artifacts never pays for the target engine, the kernels lab or report writers.

    Each of these costs milliseconds at start-up, and a --headless run that sizes a folder is
    benchmarked against `du -sb` (bench/bench_sizes.py), whose start-up costs nothing.
    """
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.js").write_text("console.log(1)\n", encoding="utf-8")
    with open(dist / "assets.bin", "wb") as sparse:  # 20 MB raw: too big for the extra compressions
        sparse.truncate(20_000_000)
    (tmp_path / "lightprof.toml").write_text(
        'version = 1\n[[artifact]]\nname = "dist"\npath = "dist"\nbudget = "100 MB"\n', encoding="utf-8"
    )

    proc = run_importtime(tmp_path, "--headless")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules = imported_modules(proc.stderr)
    assert "lightprof.measure.sizes.artifacts" in modules
    unwanted = {
        "psutil", "http.client", "subprocess", "shutil", "tempfile", "platform", "json", "tomli_w",
        "lightprof.measure.target.runner", "lightprof.measure.events", "lightprof.measure.kernels",
        "lightprof.model.kernels", "lightprof.measure.sizes.pyfootprint", "lightprof.measure.sizes.compress",
    }
    assert sorted(modules & unwanted) == []
