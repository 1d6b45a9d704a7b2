"""The profile writer: budgets saved as unit strings, comments and order kept, files loadable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lightprof.profile.load import adhoc_profile, load_profile
from lightprof.profile.write import budget_text, duration_text, save_profile, size_text

HAND_WRITTEN = """\
# Budgets for the API, reviewed by the team.
version = 1
name = "api"

[defaults]
runs = 20  # enough for a p95 on CI
warmup = 2

[[target]]
name = "server"
command = ["python3", "-c", "pass"]
# keep this budget tight
[target.budget]
cold_start_p50 = "120ms"  # agreed in review
cold_start_p95 = "250ms"

[[target]]
name = "worker"
command = "python3 -c pass"
"""


def test_durations_are_written_with_a_unit_that_reads_back_exactly() -> None:
    assert duration_text(0.25) == "250ms"
    assert duration_text(1.5) == "1.5s"
    assert duration_text(0.0125) == "12.5ms"
    assert duration_text(0.0008) == "800us"


def test_sizes_are_written_in_iec_units_or_exact_bytes() -> None:
    assert size_text(80 * 1024 * 1024) == "80MiB"
    assert size_text(1536) == "1.5KiB"
    assert size_text(1000) == "1000B"
    assert size_text(1234567) == "1234567B"
    assert budget_text("rss_peak", 2 * 1024**3) == "2GiB"
    assert budget_text("cold_start_p95", 0.3) == "300ms"


def test_saving_into_a_hand_written_file_keeps_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "lightprof.toml"
    path.write_text(HAND_WRITTEN)
    profile = load_profile(path)

    save_profile(profile, {"server": {"cold_start_p95": 0.3, "rss_peak": 80 * 1024 * 1024}})

    text = path.read_text()
    assert "# Budgets for the API, reviewed by the team." in text
    assert "runs = 20  # enough for a p95 on CI" in text
    assert 'cold_start_p50 = "120ms"  # agreed in review' in text
    assert 'cold_start_p95 = "300ms"' in text
    assert 'rss_peak = "80MiB"' in text
    assert text.index('name = "server"') < text.index('name = "worker"')
    reloaded = load_profile(path)
    server = reloaded.targets[0]
    assert server.budget == {
        "cold_start_p50": 0.12,
        "cold_start_p95": 0.3,
        "rss_peak": 80 * 1024 * 1024,
    }
    assert reloaded.targets[1].budget == {}


def test_a_target_without_budget_gets_a_budget_table(tmp_path: Path) -> None:
    path = tmp_path / "lightprof.toml"
    path.write_text(HAND_WRITTEN)
    profile = load_profile(path)

    save_profile(profile, {"worker": {"rss_steady": 10 * 1024 * 1024}})

    assert load_profile(path).targets[1].budget == {"rss_steady": 10 * 1024 * 1024}


def test_an_adhoc_session_writes_a_new_version_1_profile(tmp_path: Path) -> None:
    profile = adhoc_profile([sys.executable, "-c", "pass"], cwd=tmp_path)
    dest = tmp_path / "lightprof.toml"

    written = save_profile(profile, {profile.targets[0].name: {"cold_start_p95": 0.045}}, path=dest)

    assert written == dest
    reloaded = load_profile(dest)
    assert reloaded.version == 1
    (target,) = reloaded.targets
    assert target.command == (sys.executable, "-c", "pass")
    assert target.budget == {"cold_start_p95": pytest.approx(0.045)}
    assert target.ready.kind == "exit"


def test_a_pyproject_profile_is_saved_under_tool_lightprof(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "demo"  # the package\n\n[tool.lightprof]\nversion = 1\n\n'
        '[[tool.lightprof.target]]\nname = "cli"\ncommand = ["python3", "-c", "pass"]\n'
    )
    profile = load_profile(path)

    save_profile(profile, {"cli": {"cold_start_p95": 0.2}})

    assert 'name = "demo"  # the package' in path.read_text()
    assert load_profile(path).targets[0].budget == {"cold_start_p95": 0.2}


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lightprof.toml"
    path.write_text(HAND_WRITTEN)
    profile = load_profile(path)

    def boom(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        save_profile(profile, {"server": {"cold_start_p95": 0.3}})
    assert path.read_text() == HAND_WRITTEN
    assert [p.name for p in tmp_path.iterdir()] == ["lightprof.toml"]


def test_the_writer_does_not_load_textual() -> None:
    code = "import sys, lightprof.profile.write; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
