"""Peak memory of a target: exact for short-lived programs, the tree's sum for trees.

Each figure is compared, in the same test, with GNU time's `%M` of the same command (±10%).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from lightprof.measure.target.memory import _ProcTree, _PsutilTree
from lightprof.units import format_size
from tests.headless_support import (
    LISTEN,
    MiB,
    free_port,
    load_report,
    only_target,
    output_of,
    run_lightprof,
    target_profile,
    toml_str,
    tree_of_three,
    write,
)

GNU_TIME = "/usr/bin/time"
NODE = shutil.which("node")
needs_gnu_time = pytest.mark.skipif(not Path(GNU_TIME).exists(), reason="GNU time (/usr/bin/time) is not installed")
ALLOCATE_50MIB = "buf = bytearray(50 * 2**20)\nfor i in range(0, len(buf), 4096): buf[i] = 1"


def gnu_time_peak(argv: list[str], runs: int = 3) -> int:
    """GNU time's maximum resident set size of `argv` (median of `runs`), in bytes."""
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "time"
        for _ in range(runs):
            subprocess.run([GNU_TIME, "-f", "%M", "-o", str(out), *argv], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            figures.append(int(out.read_text().split()[-1]) * 1024)
    return int(statistics.median(figures))


def measured_peak(tmp_path: Path, argv: list[str]) -> tuple[int, str]:
    """lightprof's memory.peak_rss_bytes for `argv` (a few runs), and its terminal table."""
    profile = target_profile(tmp_path, argv, runs=3, warmup=1, budget='rss_peak = "1GiB"\n')
    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)
    assert proc.returncode == 0, output_of(proc)
    peak = only_target(load_report(tmp_path / "out.json"))["memory"]["peak_rss_bytes"]
    assert isinstance(peak, int) and peak > 0
    return peak, proc.stdout


def assert_within_10_percent_of_gnu_time(tmp_path: Path, argv: list[str]) -> None:
    peak, table = measured_peak(tmp_path, argv)
    reference = gnu_time_peak(argv)
    assert 0.9 <= peak / reference <= 1.1, f"lightprof {peak} B vs GNU time {reference} B"
    # The same figure in the terminal table.
    assert f"peak {format_size(peak)}" in table, table


@needs_gnu_time
def test_python_without_site_peak_matches_gnu_time(tmp_path: Path) -> None:
    assert_within_10_percent_of_gnu_time(tmp_path, [sys.executable, "-S", "-c", "pass"])


@needs_gnu_time
@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_node_peak_matches_gnu_time(tmp_path: Path) -> None:
    assert NODE is not None
    assert_within_10_percent_of_gnu_time(tmp_path, [NODE, "-e", "0"])


@needs_gnu_time
def test_python_allocating_50_mib_peak_matches_gnu_time(tmp_path: Path) -> None:
    assert_within_10_percent_of_gnu_time(tmp_path, [sys.executable, "-S", "-c", ALLOCATE_50MIB])


@needs_gnu_time
def test_true_has_a_real_peak_of_about_one_mib(tmp_path: Path) -> None:
    true = shutil.which("true") or "/bin/true"
    peak, _table = measured_peak(tmp_path, [true])
    # GNU time's own fork inherits its size (~1 MiB); a fork from a shell is smaller. The
    # kernel's RSS counters are themselves approximate by a few hundred KiB at this scale.
    assert 0 < peak <= 1.25 * MiB, peak
    assert peak <= 1.25 * gnu_time_peak([true])


def test_a_tree_of_three_60_mib_children_peaks_at_their_sum(tmp_path: Path) -> None:
    script = write(tmp_path / "tree.py", tree_of_three(60))
    profile = target_profile(tmp_path, ["{python}", str(script)], runs=1, budget='rss_peak = "1GiB"\n')

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    memory = only_target(load_report(tmp_path / "out.json"))["memory"]
    assert memory["peak_rss_bytes"] >= 180 * MiB  # a single process's peak would be ~70 MiB


def test_memory_run_target_keeps_default_signal_dispositions(tmp_path: Path) -> None:
    # Every run (timed and memory run) appends the target's own ignored and blocked signal masks.
    record = tmp_path / "signals"
    command = ["sh", "-c", 'grep -E "^Sig(Ign|Blk)" /proc/$$/status | tr "\\n" " " >> "$1"; echo >> "$1"',
               "sh", str(record)]
    profile = target_profile(tmp_path, command, runs=2)

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    assert target["runs"][-1]["memory_run"]
    lines = record.read_text().splitlines()
    assert len(lines) == len(target["runs"]) == 3
    for line in lines:
        masks = dict(zip(line.split()[::2], (int(word, 16) for word in line.split()[1::2]), strict=True))
        # SIGINT (2) and SIGQUIT (3) must not be ignored: a background job of sh would ignore both.
        # SIGPIPE (13) and SIGXFSZ (25), which Python ignores, are back to their defaults.
        assert masks["SigIgn:"] & ((1 << 1) | (1 << 2) | (1 << 12) | (1 << 24)) == 0, line
        assert masks["SigBlk:"] == 0, line
    assert len(set(lines)) == 1, "the memory run started the target differently"


# A server that checks where it runs and what it was given, holds ~30 MiB, then gets ready.
CHECKING_SERVER = """
import os, socket, sys, time
mode, port, record = sys.argv[1], int(sys.argv[2]), sys.argv[3]
buf = bytearray(30 * 2**20)
for i in range(0, len(buf), 4096):
    buf[i] = 1
with open(record, "a") as f:
    f.write(f"{os.getcwd()} {os.environ.get('LIGHTPROF_TEST_MARK')}\\n")
if mode == "stdout":
    print("ready now", flush=True)
    time.sleep(60)
""" + LISTEN + """
while True:
    conn, _ = sock.accept()
    if mode == "http":
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
    conn.close()
"""


@pytest.mark.parametrize("mode", ["port", "http", "stdout"])
def test_memory_run_of_a_server_keeps_cwd_env_readiness_and_hold(tmp_path: Path, mode: str) -> None:
    port = free_port()
    work = tmp_path / "work"
    work.mkdir()
    script = write(tmp_path / "server.py", CHECKING_SERVER)
    record = tmp_path / "record"
    ready = {
        "port": f"{{ port = {port} }}",
        "http": f'{{ http = "http://127.0.0.1:{port}/" }}',
        "stdout": '{ stdout = "ready now" }',
    }[mode]
    profile = target_profile(
        tmp_path, ["{python}", str(script), mode, str(port), str(record)], ready=ready, runs=2,
        extra=f'cwd = "work"\nhold = "0.5s"\nenv = {{ LIGHTPROF_TEST_MARK = {toml_str("marked")} }}\n',
        budget='rss_peak = "1GiB"\nrss_steady = "1GiB"\n',
    )

    proc = run_lightprof(tmp_path, "--json", "out.json", profile=profile)

    assert proc.returncode == 0, output_of(proc)
    target = only_target(load_report(tmp_path / "out.json"))
    memory_run = target["runs"][-1]
    assert memory_run["memory_run"] and memory_run["hold"] and memory_run["error"] is None
    assert memory_run["ready_s"] is not None
    assert target["memory"]["steady_rss_bytes"] >= 30 * MiB
    assert target["memory"]["peak_rss_bytes"] >= 30 * MiB
    lines = record.read_text().splitlines()
    assert len(lines) == len(target["runs"])
    assert set(lines) == {f"{work.resolve()} marked"}


# A parent with three children; each child notes its pid once it is up (and its RSS settled).
TREE = """
import subprocess, sys, time
child = "import os, sys, time\\nopen(sys.argv[1], 'a').write(f'{os.getpid()}\\\\n')\\ntime.sleep(30)"
kids = [subprocess.Popen([sys.executable, "-c", child, sys.argv[1]]) for _ in range(3)]
time.sleep(30)
"""


def test_the_proc_tree_reader_sees_what_psutil_sees(tmp_path: Path) -> None:
    script = write(tmp_path / "tree.py", TREE)
    up = tmp_path / "up"
    parent = subprocess.Popen([sys.executable, str(script), str(up)])
    kids: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 20
        while not up.exists() or len(up.read_text().split()) < 3:
            assert time.monotonic() < deadline, "the tree never grew"
            time.sleep(0.02)
        kids = psutil.Process(parent.pid).children()
        by_proc = _ProcTree().sample(parent.pid, {})
        by_psutil = _PsutilTree().sample(parent.pid, {})
        assert {p.pid for p in by_proc} == {p.pid for p in by_psutil} == {parent.pid, *(k.pid for k in kids)}
        rss = {p.pid: p.rss_bytes for p in by_psutil}
        for info in by_proc:
            assert abs(info.rss_bytes - rss[info.pid]) <= 1 * MiB
            assert info.ppid in (parent.pid, psutil.Process(parent.pid).ppid())
            assert "python" in info.command or "tree.py" in info.command
    finally:
        for kid in kids:
            kid.kill()
        parent.kill()
        parent.wait()


@needs_gnu_time
def test_the_tui_memory_pane_shows_the_exact_peak_not_lightprofs_own_size() -> None:
    from textual.widgets import Static

    from lightprof.profile.load import adhoc_profile
    from lightprof.tui.app import LightprofApp
    from lightprof.tui.numbers import size as tui_size
    from tests.test_tui_live import SIZE, set_session
    from tests.tui_support import run_async, wait_until

    argv = [sys.executable, "-S", "-c", "pass"]
    reference = gnu_time_peak(argv)

    @run_async
    async def drive() -> None:
        app = LightprofApp(profile=adhoc_profile(argv))
        async with app.run_test(size=SIZE) as pilot:
            name = app.selected
            assert name is not None
            await set_session(pilot, app, runs=3, warmup=0)
            await pilot.press("r")
            await wait_until(pilot, lambda: not app.measuring and app.live[name].result is not None, timeout=60)
            peak = app.live[name].peak_rss
            assert peak is not None and 0.9 <= peak / reference <= 1.1, (peak, reference)
            await pilot.press("2")
            figures = app.query_one("#mem-figures", Static)
            await wait_until(pilot, lambda: f"peak {tui_size(peak)}" in str(figures.content))

    drive()
