"""The A/B pane (issue 11 item 3): picking the base target, the ratio with its interval, both
distributions on one axis, and `against` saved with the profile.

Real targets: two Python commands, one of which sleeps 30 ms more, run interleaved by the session.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from lightprof.profile.load import load_profile
from lightprof.tui.ab import base_choices, set_against
from lightprof.tui.controller import Controller
from lightprof.tui.panes.ab import ab_lines
from tests.tmux_support import Tmux

PY = os.path.realpath(sys.executable)


def _profile(folder: Path, against: str | None = None) -> Path:
    """fast (python -c pass), slow (30 ms more) with a max_slowdown budget, and plain (a third)."""
    lines = ["# two commands and a third", "version = 1", 'name = "ab"']
    for name, code in (("fast", "pass"), ("slow", "import time; time.sleep(0.03)"), ("plain", "pass")):
        lines += ["", "[[target]]", f'name = "{name}"', f'command = ["{PY}", "-c", "{code}"]',
                  "runs = 4", "warmup = 1", "max_runs = 8"]
        if name == "slow":
            if against:
                lines.append(f'against = "{against}"')
            lines += ["[target.budget]", 'max_slowdown = "10%"  # keep this comment']
    path = folder / "lightprof.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_base_is_one_plain_other_target_and_each_refusal_says_why(tmp_path: Path) -> None:
    ctl = Controller(load_profile(_profile(tmp_path, against="fast")))
    assert base_choices(ctl, "slow") == ["fast", "plain"]
    assert base_choices(ctl, "fast") == []  # fast is slow's base: it stays plain
    assert set_against(ctl, "slow", "slow") == "'slow' cannot be compared against itself"
    assert set_against(ctl, "slow", "nosuch") == "'nosuch' is not a target of this profile"
    assert set_against(ctl, "fast", "plain") == "'fast' is the base of 'slow': a base target stays plain"
    assert set_against(ctl, "plain", "slow") == ("'slow' is itself compared against 'fast'; "
                                                 "compare with a plain target")
    assert not ctl.settings_changed


def test_a_picked_base_is_measured_interleaved_judged_and_saved(tmp_path: Path) -> None:
    path = _profile(tmp_path)
    ctl = Controller(load_profile(path))
    ctl.rejudge()
    assert ab_lines(ctl, "slow", 80, 24)[0][0].startswith("slow · no base target")
    assert set_against(ctl, "slow", "fast") is None
    assert "not measured against fast yet" in ab_lines(ctl, "slow", 80, 24)[1][0]

    part = ctl.part(targets=["slow"])
    assert [s.name for s in part.targets] == ["fast", "slow"]  # the base comes along
    ctl.measure(part, ctl.begin(part))
    ctl.drain()
    slow = ctl.measured("slow")
    comparison = slow.comparison
    assert comparison is not None and comparison.mode == "against" and comparison.against == "fast"
    assert len(comparison.head_runs_s) == len(comparison.base_runs_s) == comparison.n >= 4
    lines = [text for text, _style in ab_lines(ctl, "slow", 80, 30)]
    ratio = re.search(r"head/base p50 ([\d.]+)× · 95% ([\d.]+)×–([\d.]+)×", lines[1])
    assert ratio is not None, lines
    assert float(ratio.group(1)) == pytest.approx(comparison.ratio_p50, rel=0.01)
    assert float(ratio.group(2)) <= float(ratio.group(1)) <= float(ratio.group(3))
    assert float(ratio.group(1)) > 1  # 30 ms more is slower, however loaded the machine
    labels = [text.split("┤")[0].strip() for text in lines if "┤" in text]
    assert "head" in labels and "base" in labels  # both distributions, one axis (one tick line)
    assert sum(1 for text in lines if "▲base" in text and "▲head" in text) == 1
    assert any(row.metric == "max_slowdown" and row.verdict is not None for row in ctl.rows
               if row.subject == "slow")

    ctl.save()
    text = path.read_text()
    assert 'against = "fast"' in text and "# keep this comment" in text
    assert load_profile(path).targets[1].against == "fast"

    # Another base: the comparison with fast no longer judges slow, and nothing is saved as it was.
    assert set_against(ctl, "slow", "plain") is None
    assert slow.comparison is None
    assert "not measured against plain yet" in ab_lines(ctl, "slow", 80, 24)[1][0]
    assert set_against(ctl, "slow", None) is None
    ctl.save()
    assert "against" not in path.read_text() and load_profile(path).targets[1].against is None


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_picks_the_base_in_the_terminal_and_w_saves_it(tmp_path: Path, tmux: Tmux) -> None:
    path = _profile(tmp_path)
    tmux.start_lightprof(tmp_path, [], size=(80, 24))
    tmux.wait_text("fast 1/3")
    tmux.keys("Down", "7")
    tmux.wait_text("slow · no base target · a: pick the base target")
    tmux.keys("a")
    tmux.wait_text("compare slow against", "nothing (no A/B)")
    tmux.keys("Up", "Up", "Enter")  # the first choice: fast
    tmux.wait_text("slow · against fast", "press r to run both, interleaved")
    tmux.keys("r")
    screen = tmux.wait_text("head/base p50", "timed runs, head and base on one axis", timeout=120)
    assert re.search(r"head/base p50 [\d.]+× · 95% [\d.]+×–[\d.]+×", screen)
    assert re.search(r"^\s*head┤", screen, re.M) and re.search(r"^\s*base┤", screen, re.M)
    assert all(len(line) <= 80 for line in screen.splitlines())
    tmux.keys("3", "w")
    tmux.wait_for(lambda _s: 'against = "fast"' in path.read_text(), timeout=20)
    tmux.quit()
