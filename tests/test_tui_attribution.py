"""The Attribution pane (issue 15 item 7): the import tree sorted by cost (expand/collapse), hot
functions, lazy candidates, cold against warm cache — on a real program in a real terminal.

The program (tests/attribution_support.py) imports a module that spins ~80 ms at import and a few
stdlib modules, and never calls it before it ends: that module leads the tree and is a lazy candidate.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from lightprof.model.attribution import Attribution, ImportRow
from lightprof.tui.panes.attribution_text import cache_changes, import_tree, node_label, summary_lines
from tests.attribution_support import PY, profile, program
from tests.tmux_support import Tmux


def _row(module: str, cumulative_ms: float, parent: str | None = None, startup: bool = False) -> ImportRow:
    return ImportRow(module=module, self_s=cumulative_ms / 2e3, cumulative_s=cumulative_ms / 1e3, parent=parent,
                     startup=startup)


def test_every_level_of_the_import_tree_is_sorted_by_cost_and_start_up_is_apart() -> None:
    rows = [_row("json.decoder", 0.7, "json"), _row("json.scanner", 0.1, "json.decoder"),
            _row("json.encoder", 0.9, "json"), _row("json", 1.9), _row("heavy", 80.0), _row("csv", 0.4),
            _row("encodings", 3.0, startup=True)]
    tree = import_tree(rows)
    assert [n.row.module for n in tree] == ["heavy", "json", "csv"]
    assert [n.row.module for n in tree[1].children] == ["json.encoder", "json.decoder"]
    assert [n.row.module for n in tree[1].children[1].children] == ["json.scanner"]
    assert [n.row.module for n in import_tree(rows, startup=True)][:2] == ["heavy", "encodings"]


def test_a_label_keeps_both_times_whole_and_shortens_the_name() -> None:
    label = node_label(_row("a.very.long.package.name.that.goes.on", 80.04), 36)
    assert len(label) == 36 and label.endswith("  80.0 ms  40.0 ms") and "…" in label


def test_cold_against_warm_names_the_modules_a_warm_cache_helps_most() -> None:
    cold = Attribution(kind="python", cache="cold", runs=5, import_time_s=0.0889, startup_s=0.147,
                       imports=[_row("json", 4.5), _row("csv", 2.0), _row("heavy", 80.6)])
    warm = Attribution(kind="python", cache="warm", runs=5, import_time_s=0.0829, startup_s=0.0456,
                       imports=[_row("json", 1.2), _row("csv", 0.5), _row("heavy", 80.3)])
    found = {"cold": cold, "warm": warm}
    lines = [text for text, _style in summary_lines("prog", found, 100)]
    assert lines[0].startswith("cold cache · imports 88.9 ms") and lines[1].startswith("warm cache · imports 82.9 ms")
    assert lines[2] == "cold/warm 1.07× · a cold cache costs 6.00 ms more"
    changes = [text.split() for text, _style in cache_changes(found)[1:]]
    assert changes[0] == ["4.50", "ms", "1.20", "ms", "json"] and changes[1][-1] == "csv"


def test_a_saved_report_without_attribution_does_not_offer_r() -> None:
    """--open measures nothing: the pane names the command that attributes, not a key that does nothing."""
    [(live, _)] = summary_lines("prog", {}, 100)
    [(opened, _)] = summary_lines("prog", {}, 100, read_only=True)
    assert "r attributes it" in live
    assert "r attributes" not in opened and "lightprof --headless --attribute" in opened


def _ms(text: str) -> float:
    value, unit = text.split()
    return float(value) * {"µs": 1e-3, "ms": 1.0, "s": 1e3}[unit]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_attribution_pane_on_a_real_program(tmp_path: Path, tmux: Tmux) -> None:
    prog = program(tmp_path, calls_heavy=False)
    profile(tmp_path, [os.path.realpath(PY), str(prog)])
    tmux.start_lightprof(tmp_path, [], size=(80, 24))
    tmux.wait_text("prog")
    tmux.keys("8")
    tmux.wait_text("prog: not attributed yet")
    tmux.keys("r")
    screen = tmux.wait_text("warm cache · imports", "imports (warm cache), costliest first", timeout=180)
    assert all(len(line) <= 80 for line in screen.splitlines())
    tree = [line for line in screen.splitlines()[screen.splitlines().index(
        next(line for line in screen.splitlines() if "costliest first" in line)) + 1:]]
    first = re.match(r"^\s*(\S+)\s+([\d.]+ \S+)\s+([\d.]+ \S+)\s*$", tree[0])
    assert first is not None and first.group(1) == "heavy", screen
    assert _ms(first.group(2)) >= 70  # it spins 80 ms at import

    # Into the tree: json is a branch; its children open and close with space.
    tmux.keys("Enter")
    json_row = next(i for i, line in enumerate(tree) if re.search(r"[▼▶] json\b", line))
    assert "▼ json" in tree[json_row]  # the first level is open
    # The cursor starts on the costliest import; json's place below it depends on measured times.
    tmux.keys(*["Down"] * json_row)
    tmux.keys("space")
    closed = tmux.wait_text("▶ json ")
    assert "json.decoder" not in closed and "json.encoder" not in closed
    tmux.keys("space")
    tmux.wait_text("▼ json ", "json.decoder")

    tmux.keys("Escape", "c")  # the other cache: cold against warm
    screen = tmux.wait_text("cold cache · imports", "cold/warm", timeout=180)
    assert "imports (cold cache), costliest first" in screen
    tmux("resize-window", "-t", "ui", "-x", "110", "-y", "70")
    big = tmux.wait_text("lazy-load candidates", "hot functions", timeout=20)
    lazy = big.split("lazy-load candidates", 1)[1].splitlines()
    assert re.match(r"^\s*[\d.]+ ms\s+heavy\s*$", lazy[2]), big
    hot = big.split("hot functions", 1)[1].splitlines()
    assert any("_build_table" in line for line in hot[2:5]), big  # the hottest few
    assert "most saved by a warm cache" in big
    tmux.quit()
