"""Issue 16 end to end: `lightprof` in tmux on real targets, each step of the issue, the screen after.

Every test starts lightprof in a private tmux server, types the keys the issue lists and asserts
what the fixed screen shows.
"""

from __future__ import annotations

import re
import shutil
import socket
import sys
from pathlib import Path

import pytest

from tests.tmux_support import Tmux

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

KERNELS = 'version = 1\nname = "kern"\n[[kernel]]\nname = "nosuch"\n[[kernel]]\nname = "sum_u8"\nsizes = ["4KiB"]\n'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_kernels_pane_lets_digits_and_escape_leave_and_s_works_before_enter(tmp_path: Path, tmux: Tmux) -> None:
    (tmp_path / "k.toml").write_text(KERNELS)
    tmux.start_lightprof(tmp_path, ["-p", "k.toml"])
    tmux.wait_text("nosuch kernel")
    tmux.keys("5")
    tmux.wait_text("nosuch at 4.00 KiB: not measured yet")
    tmux.keys("s")  # before enter: the pane offers it, so it works
    tmux.wait_text("nosuch at 64.0 KiB: not measured yet")
    tmux.keys("Enter", "Escape", "1")
    screen = tmux.wait_text("cold starts are for targets")
    assert "not measured yet" not in screen
    tmux.keys("5", "Enter", "1")  # a digit leaves the pane from inside its list too
    tmux.wait_text("cold starts are for targets")
    tmux.keys("4", "5", "3")
    tmux.wait_text("headroom 20%")
    tmux.quit()


def test_kernels_pane_lists_the_profiles_kernels_and_judges_a_run_like_headless(tmp_path: Path, tmux: Tmux) -> None:
    (tmp_path / "k.toml").write_text(KERNELS)
    tmux.start_lightprof(tmp_path, ["-p", "k.toml"])
    tmux.wait_text("nosuch kernel")
    tmux.keys("5", "r")
    screen = tmux.wait_text("there is no built-in kernel named 'nosuch'")
    assert re.search(r"\? nosuch", screen)
    tmux.keys("Down")  # the subject list: sum_u8; the pane follows it
    tmux.wait_text("sum_u8 at 4.00 KiB: not measured yet")
    tmux.keys("r")
    screen = tmux.wait_text("✓ wasm_vs_fallback@4KiB pass", timeout=90)
    assert re.search(r"✓ sum_u8", screen)
    tmux.keys("3")
    screen = tmux.wait_text("sum_u8", "wasm_vs_fallback@4KiB")
    assert re.search(r"✓\s+sum_u8\s+wasm_vs_fallback@4KiB.*pass", screen)
    assert re.search(r"\?\s+nosuch\s+wasm_vs_fallback@1MiB.*unmeasured", screen)
    tmux.quit()


def test_a_server_with_the_default_ready_rule_shows_elapsed_time_and_points_at_o(tmp_path: Path, tmux: Tmux) -> None:
    port = _free_port()
    tmux.start_lightprof(tmp_path, ["--", sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"])
    tmux.wait_text("press r to start runs")
    tmux.keys("r")
    tmux.wait_for(lambda s: re.search(r"run #1 has waited \d+\.\d s for the process to end \(ready = exit\)", s)
                  is not None and "press o" in s)
    tmux.wait_for(lambda s: re.search(r"warm-up · #1 \d+\.\d s", s) is not None)  # the live elapsed time
    tmux.keys("x")
    screen = tmux.wait_text("stopped (x)")
    assert "failed runs" not in screen and "failed 1" not in screen
    tmux.keys("o")
    screen = tmux.wait_text("timeout per run", "hold after ready")
    tmux.type("")  # the runs field: empty it
    tmux.keys("Enter")
    tmux.wait_text("runs: a whole number is expected, got ''")
    tmux.type("99999999999999")  # beyond the profile's bound: `w` would save a profile that cannot load
    tmux.keys("Enter")
    tmux.wait_text("runs: 1 to 100000 is expected, got 99999999999999")
    tmux.type("3")
    for _ in range(2):
        tmux.keys("Tab")
    tmux.type(f"port {port}")
    tmux.keys("Enter")
    tmux.wait_text(f"ready port 127.0.0.1:{port}")
    tmux.keys("r")
    screen = tmux.wait_text("runs · done", timeout=90)
    assert "p50" in screen and "failed runs" not in screen
    assert not re.search(r"· \S+\s*│", screen.splitlines()[2]), "the subject still shows not measured"
    tmux.quit()


def test_memory_figures_are_the_targets_own_not_lightprofs(tmp_path: Path, tmux: Tmux) -> None:
    tmux.start_lightprof(tmp_path, [])  # no profile here: the embedded default
    tmux.wait_text("embedded default profile")
    tmux.keys("R")
    tmux.wait_for(lambda s: all(line.split("│")[0].strip()[:1] not in ("▶", "·")
                                for line in s.splitlines()[2:5]), timeout=120)
    tmux.keys("3")
    screen = tmux.wait_text("rss_peak")
    row = next(line for line in screen.splitlines() if "rss_peak" in line)
    measured = re.findall(r"([\d.]+) MiB", row)
    assert len(measured) >= 2, row
    # python -c pass peaks near 10 MiB; lightprof's own RSS (the bound of the vfork trap) is ~50.
    assert float(measured[1]) < 30, row
    assert "≤" not in row
    tmux.quit()


def test_e_edits_the_chosen_budget_and_arrows_move_in_the_budgets_table(tmp_path: Path, tmux: Tmux) -> None:
    (tmp_path / "bundle.js").write_text("x" * 5000)
    (tmp_path / "p.toml").write_text(
        'version = 1\nname = "edit"\n[[target]]\nname = "t"\ncommand = ["true"]\n'
        '[target.budget]\ncold_start_p95 = "250ms"\nrss_peak = "64MiB"\n'
        '[[artifact]]\nname = "bundle"\npath = "bundle.js"\nbudget = "10kB"\n'
    )
    tmux.start_lightprof(tmp_path, ["-p", "p.toml"])
    tmux.wait_text("bundle artifact")
    tmux.keys("3", "Down", "e")
    tmux.wait_text("t rss_peak (e.g. 80MiB)")
    tmux.type("32MiB")
    tmux.keys("Enter")
    tmux.wait_text("t rss_peak = 32MiB; w saves it")
    tmux.keys("Down", "e")
    tmux.wait_text("bundle size (e.g. 80MiB)")
    tmux.type("4kB")
    tmux.keys("Enter")
    tmux.wait_text("bundle size = ")
    tmux.keys("w")
    tmux.wait_text("saved p.toml")
    text = (tmp_path / "p.toml").read_text()
    assert 'rss_peak = "32MiB"' in text and 'cold_start_p95 = "250ms"' in text
    assert re.search(r'budget = "(4000B|3\.9KiB)"', text), text
    tmux.quit()


def test_a_failing_commands_stderr_is_visible_at_80x24_and_x_is_not_a_failure(tmp_path: Path, tmux: Tmux) -> None:
    (tmp_path / "boom.py").write_text(
        "import sys\nprint('boom: config.yaml not found', file=sys.stderr)\nsys.exit(1)\n")
    tmux.start_lightprof(tmp_path, ["--", sys.executable, "boom.py"], size=(80, 24))
    tmux.wait_text("press r to start runs")
    tmux.keys("r")
    screen = tmux.wait_text("boom: config.yaml not found")
    assert "#1 exited with code 1" in screen
    assert "stopped: run #1 failed" in screen
    assert "no runs yet" not in screen
    tmux.quit()


def test_x_stops_a_run_without_counting_a_failed_run(tmp_path: Path, tmux: Tmux) -> None:
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(0.2)\n")
    tmux.start_lightprof(tmp_path, ["--", sys.executable, "slow.py"], size=(80, 24))
    tmux.wait_text("press r to start runs")
    tmux.keys("r")
    tmux.wait_for(lambda s: re.search(r" ([6-9]|\d\d)/\d+ runs", s) is not None, timeout=60)
    tmux.keys("x")
    screen = tmux.wait_text("stopped (x)")
    assert re.search(r"failed\s+0", screen) and "failed runs" not in screen and "cancelled" not in screen
    tmux.quit()


def test_a_narrow_terminal_folds_the_subject_list_and_cuts_no_number(tmp_path: Path, tmux: Tmux) -> None:
    report = Path(__file__).parent / "fixtures" / "report.json"
    tmux.start_lightprof(tmp_path, ["--open", str(report)], size=(60, 20))
    # The whole tab bar fits: the active pane's title, the others' keys (tui/tab_labels.py).
    screen = tmux.wait_for(lambda s: re.search(r"1 Cold start\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s*$", s, re.M) is not None)
    assert "◀ ✗ server 1/7 ▶" in screen
    cut = re.compile(r"\d[.,]?…|\d…")  # a number ending in an ellipsis
    for keys, expect in ((["1"], "p50"), (["1", "Down"], "failed runs"), (["2"], "peak"),
                         (["3"], "measured"), (["4"], "artifacts and images"), (["5"], "speedup")):
        tmux.keys(*keys)
        screen = tmux.wait_text(expect)
        assert not cut.search(screen), screen
        assert re.search(r"p50\s+\d+(\.\d+)? ms", screen) or expect != "p50", screen
    tmux.keys("Up")
    tmux.quit()
