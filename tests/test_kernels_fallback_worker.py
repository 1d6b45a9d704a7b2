"""Fallbacks run in a worker process: whatever a hostile fallback does is one named failure of its
kernel (exit 3 for the run), within its time limit, and nothing it started outlives the measure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from kernels_support import GOOD_SUM, SUM_TOML, builtin, make_kernel, spec_for

from lightprof.measure.kernels import measure_kernel

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIGHTPROF_CACHE_DIR", str(tmp_path / "cache"))


def _kernel(tmp_path: Path, fallback: str, extra_toml: str = "") -> Path:
    toml = SUM_TOML.format(wasm="kernel.wat", imports="[]") + extra_toml
    make_kernel(tmp_path, "k", wat=GOOD_SUM, toml=toml, fallback=textwrap.dedent(fallback))
    return tmp_path


def _failed(tmp_path: Path, fallback: str, extra_toml: str = "") -> str:
    result = measure_kernel(spec_for(_kernel(tmp_path, fallback, extra_toml), "k"))
    assert result.failure == "fallback" and result.error, result
    assert "\n" not in result.error
    return result.error


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sys_exit_in_a_fallback_is_its_failure_not_the_end_of_lightprof(tmp_path: Path) -> None:
    error = _failed(tmp_path, "import sys\ndef run(data):\n    sys.exit(0)\n")
    assert "SystemExit (it called sys.exit(0))" in error and "run() on a 0 byte payload" in error


def test_a_fallback_that_ends_its_process_is_named(tmp_path: Path) -> None:
    error = _failed(tmp_path, "import os\ndef run(data):\n    os._exit(0)\n")
    assert "exited with code 0 while run()" in error


def test_a_fallback_that_kills_its_own_process_is_named(tmp_path: Path) -> None:
    error = _failed(tmp_path, "import os, signal\ndef run(data):\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert "was killed by SIGKILL" in error


def test_an_endless_fallback_is_stopped_at_its_time_limit(tmp_path: Path) -> None:
    started = time.monotonic()
    error = _failed(tmp_path, "def run(data):\n    while True:\n        pass\n", "fallback_timeout_s = 1\n")
    assert "did not finish run() on a 0 byte payload within 1 s" in error
    assert time.monotonic() - started < 30  # 1 s plus the lab's start, on a loaded machine


def test_an_endless_import_is_stopped_too(tmp_path: Path) -> None:
    error = _failed(tmp_path, "while True:\n    pass\n", "fallback_timeout_s = 1\n")
    assert "did not finish importing fallback.py within 1 s" in error


def test_children_a_fallback_starts_do_not_outlive_the_measure(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    fallback = f"""
        import subprocess
        started = []
        def run(data):
            if not started:
                for session in (False, True):  # one in the worker's group, one that escapes it
                    proc = subprocess.Popen(["sleep", "300"], start_new_session=session)
                    started.append(proc.pid)
                with open({str(pids)!r}, "w") as out:
                    out.write(" ".join(map(str, started)))
            return sum(data)
    """
    result = measure_kernel(spec_for(_kernel(tmp_path, fallback), "k"))
    assert result.error is None, result.error
    children = [int(pid) for pid in pids.read_text().split()]
    assert len(children) == 2
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children):
        assert time.monotonic() < deadline, "a process started by a fallback outlived its measure"
        time.sleep(0.05)


@pytest.mark.parametrize(("returned", "expected"), [
    ("None", "returned None (a NoneType); expected an integer"),
    ("float('nan')", "returned nan; expected an integer"),
    ("'forty-two'", "returned 'forty-two' (a str); expected an integer"),
    ("[1, 2]", "returned [1, 2]; expected an integer"),
])
def test_a_fallback_output_that_cannot_be_compared_is_one_sentence(tmp_path: Path, returned: str,
                                                                  expected: str) -> None:
    error = _failed(tmp_path, f"def run(data):\n    return {returned}\n")
    assert f"the fallback {expected} (output = 'u64')" == error


def test_a_fallback_is_timed_inside_its_worker_and_the_pipe_apart() -> None:
    result = measure_kernel(builtin("sum_u8", sizes=(4096,), runs=5))
    assert result.error is None, result.error
    assert result.fallback_isolation == "worker process"
    assert result.fallback_start_s is not None and result.fallback_start_s > 0
    assert result.fallback_ipc_s is not None and result.fallback_ipc_s.p50 > 0
    (row,) = result.sizes
    assert row.fallback_s is not None and len(row.fallback_samples_s) == 5


@pytest.mark.parametrize(("line", "expected"), [
    ("call_timeout_s = inf", "'call_timeout_s' must be a number of seconds above 0 and at most 3600, got inf"),
    ("call_timeout_s = 0", "'call_timeout_s' must be a number of seconds above 0"),
    ("fallback_timeout_s = nan", "'fallback_timeout_s' must be a number of seconds above 0"),
    ("rtol = inf", "'rtol' must be a finite number of at least 0"),
    ("deep = " + "[" * 500 + "]" * 500, "nest too deeply"),
])
def test_impossible_kernel_toml_values_are_one_sentence(tmp_path: Path, line: str, expected: str) -> None:
    result = measure_kernel(spec_for(_kernel(tmp_path, "def run(data):\n    return sum(data)\n", line + "\n"), "k"))
    assert result.failure == "manifest" and expected in (result.error or ""), result.error


def test_a_fifo_as_the_module_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = make_kernel(tmp_path, "k", wat=GOOD_SUM)
    (folder / "kernel.wat").unlink()
    os.mkfifo(folder / "kernel.wat")
    result = measure_kernel(spec_for(tmp_path, "k"))
    assert result.failure == "manifest" and "is a FIFO (named pipe); expected a regular file" in (result.error or "")


def test_headless_run_with_an_exiting_fallback_ends_3_with_a_report(tmp_path: Path) -> None:
    _kernel(tmp_path, "import sys\ndef run(data):\n    sys.exit(0)\n")
    (tmp_path / "lightprof.toml").write_text('version = 1\n[[kernel]]\nname = "k"\npath = "k"\nsizes = ["1KiB"]\n'
                                             'runs = 3\n[[kernel]]\nname = "sum_u8"\nsizes = ["1KiB"]\nruns = 3\n')
    env = {**os.environ, "LIGHTPROF_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "lightprof", "--headless", "-p", "lightprof.toml", "--json",
                           "report.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    kernels = {k["name"]: k for k in report["kernels"]}
    assert "SystemExit" in kernels["k"]["error"] and kernels["sum_u8"]["error"] is None
