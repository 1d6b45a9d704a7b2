"""Hostile invocations of the real `lightprof` command: real FIFOs, devices, symlink loops, folders,
file names that are not UTF-8, paths that cannot be written. Each is one sentence and exit 2,
found before anything is measured, and never a hang or a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE_REPORT = REPO / "tests" / "fixtures" / "report.json"
# The target touches a marker: a check that happens "before measuring" must leave no marker.
MARKED_PROFILE = 'version = 1\n[[target]]\nname = "t"\ncommand = ["touch", "measured"]\nruns = 1\nwarmup = 0\n'


def lightprof(*args: str | bytes, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real command; `timeout` turns a hang into a test failure, not a stuck suite."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "lightprof", *args], cwd=cwd, capture_output=True, text=True,
        errors="backslashreplace", timeout=timeout, stdin=subprocess.DEVNULL, env=env,
    )


def assert_one_sentence(proc: subprocess.CompletedProcess[str], *words: str, code: int = 2) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "ok.toml").write_text(MARKED_PROFILE)
    return tmp_path


# ------------------------------------------------------------------ special files as inputs


@pytest.mark.parametrize("option", ["-p", "--open"])
def test_a_fifo_as_profile_or_report_is_refused_at_once(workdir: Path, option: str) -> None:
    os.mkfifo(workdir / "input.fifo")
    args = ["--headless", option, "input.fifo"] if option == "-p" else [option, "input.fifo"]
    assert_one_sentence(lightprof(*args, cwd=workdir, timeout=30), "input.fifo", "FIFO")


def test_a_fifo_named_lightprof_toml_is_refused_not_waited_on(workdir: Path) -> None:
    os.mkfifo(workdir / "lightprof.toml")
    assert_one_sentence(lightprof("--headless", cwd=workdir, timeout=30), "lightprof.toml", "FIFO")


@pytest.mark.parametrize("option", ["-p", "--open"])
def test_dev_zero_as_profile_or_report_is_refused(workdir: Path, option: str) -> None:
    args = ["--headless", option, "/dev/zero"] if option == "-p" else [option, "/dev/zero"]
    assert_one_sentence(lightprof(*args, cwd=workdir, timeout=30), "/dev/zero", "character device")


@pytest.mark.parametrize("option", ["-p", "--open"])
def test_a_symlink_loop_as_profile_or_report_is_refused(workdir: Path, option: str) -> None:
    (workdir / "a.toml").symlink_to("b.toml")
    (workdir / "b.toml").symlink_to("a.toml")
    args = ["--headless", option, "a.toml"] if option == "-p" else [option, "a.toml"]
    assert_one_sentence(lightprof(*args, cwd=workdir), "a.toml", "symlink loop")


def test_a_discovered_profile_that_is_a_symlink_loop_is_an_error_not_the_default(workdir: Path) -> None:
    (workdir / "lightprof.toml").symlink_to("lightprof.toml")
    assert_one_sentence(lightprof("--headless", cwd=workdir), "lightprof.toml", "symlink loop")


@pytest.mark.parametrize("option", ["-p", "--open"])
def test_a_folder_as_profile_or_report_is_refused(workdir: Path, option: str) -> None:
    (workdir / "folder").mkdir()
    args = ["--headless", option, "folder"] if option == "-p" else [option, "folder"]
    assert_one_sentence(lightprof(*args, cwd=workdir), "folder", "is a folder")


@pytest.mark.parametrize("option", ["-p", "--open"])
def test_an_empty_path_is_refused(workdir: Path, option: str) -> None:
    assert_one_sentence(lightprof("--headless", option, "", cwd=workdir), option, "empty")


def test_a_current_folder_that_was_deleted_is_a_sentence(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (f"import os, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
            f"sys.path.insert(0, {str(REPO)!r}); from lightprof.cli import main; sys.exit(main(['--headless']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert_one_sentence(proc, "current folder no longer exists")


# ------------------------------------------------------------------ hostile reports through --open


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d["targets"][0]["runs"][0].update(wall_s=float("nan")), ["targets[0].runs[0].wall_s", "finite"]),
        (lambda d: d.update(budgets=[None]), ["budgets[0]", "object"]),
        (lambda d: d["targets"][1].update(name=d["targets"][0]["name"]), ["targets[1].name", "also the name"]),
        (lambda d: d["kernels"][0].update(name="server"), ["kernels[0].name", "also the name"]),
        (lambda d: d.update(exit_code=0.5), ["exit_code", "integer"]),
    ],
    ids=["nan", "budgets-null", "duplicate-target", "duplicate-across-kinds", "exit-code-float"],
)
def test_a_report_that_parses_but_is_not_valid_is_exit_2_before_the_ui(
    workdir: Path, mutate: object, words: list[str]
) -> None:
    data = json.loads(FIXTURE_REPORT.read_text())
    mutate(data)  # type: ignore[operator]
    (workdir / "bad.json").write_text(json.dumps(data))
    assert_one_sentence(lightprof("--open", "bad.json", cwd=workdir), "bad.json", *words)


def test_a_report_nested_500_deep_is_exit_2(workdir: Path) -> None:
    (workdir / "deep.json").write_text('{"schema": 1, "targets": ' + "[" * 500 + "]" * 500 + "}")
    assert_one_sentence(lightprof("--open", "deep.json", cwd=workdir), "deep.json")


def test_a_profile_nested_500_deep_is_exit_2(workdir: Path) -> None:
    (workdir / "deep.toml").write_text("version = 1\nx = " + "[" * 500 + "]" * 500 + "\n")
    assert_one_sentence(lightprof("--headless", "-p", "deep.toml", cwd=workdir), "deep.toml", "nest too deeply")


# ------------------------------------------------------------------ output paths, checked before measuring


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--json", "/proc/lightprof-report.json"], ["--json /proc/lightprof-report.json", "cannot be written"]),
        (["--junit", "ok.toml/x.xml"], ["--junit", "does not exist"]),
        (["--json", "."], ["--json .", "folder"]),
        (["--json", "ok.toml"], ["is the profile itself"]),
        (["--markdown", "ok.baseline.toml"], ["is the baseline itself"]),
        (["--json", "r.json", "--markdown", "r.json"], ["--markdown r.json", "same file"]),
        (["--json", "-", "--markdown", "-"], ["both write to stdout"]),
        (["--junit", "-"], ["--junit needs a file path"]),
        (["--json", "x" * 300 + ".json"], ["cannot be written", "too long"]),
    ],
    ids=["proc", "under-a-file", "folder", "the-profile", "the-baseline", "same-twice", "stdout-twice",
         "junit-stdout", "name-too-long"],
)
def test_an_output_that_cannot_be_written_is_refused_before_measuring(
    workdir: Path, args: list[str], words: list[str]
) -> None:
    assert_one_sentence(lightprof("--headless", "-p", "ok.toml", *args, cwd=workdir), *words)
    assert not (workdir / "measured").exists()


def test_a_report_over_the_discovered_profile_is_refused(workdir: Path) -> None:
    (workdir / "lightprof.toml").write_text(MARKED_PROFILE)
    assert_one_sentence(lightprof("--headless", "--json", "lightprof.toml", cwd=workdir), "is the profile itself")
    assert (workdir / "lightprof.toml").read_text() == MARKED_PROFILE
    assert not (workdir / "measured").exists()


def test_update_baseline_where_a_folder_takes_its_name_is_refused_before_measuring(workdir: Path) -> None:
    (workdir / "ok.baseline.toml").mkdir()
    assert_one_sentence(lightprof("--headless", "-p", "ok.toml", "--update-baseline", cwd=workdir),
                        "ok.baseline.toml", "folder")
    assert not (workdir / "measured").exists()


def test_update_baseline_into_a_read_only_folder_is_refused_before_measuring(workdir: Path) -> None:
    folder = workdir / "ro"
    folder.mkdir()
    (folder / "ok.toml").write_text(MARKED_PROFILE)
    # Root ignores permission bits; a read-only bind mount is refused to root too.
    if subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True).returncode:
        pytest.skip("cannot make a read-only bind mount here")
    try:
        proc = lightprof("--headless", "-p", "ro/ok.toml", "--update-baseline", cwd=workdir)
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    assert_one_sentence(proc, "cannot write the baseline", "Read-only file system")
    assert not (folder / "measured").exists()


def test_a_fifo_output_without_a_reader_is_a_sentence_not_a_hang(workdir: Path) -> None:
    os.mkfifo(workdir / "out.fifo")
    assert_one_sentence(lightprof("--headless", "-p", "ok.toml", "--json", "out.fifo", cwd=workdir, timeout=60),
                        "out.fifo", "nobody reads")


def test_dev_null_as_an_output_is_written_to_not_replaced(workdir: Path) -> None:
    before = os.stat("/dev/null")
    proc = lightprof("--headless", "-p", "ok.toml", "--json", "/dev/null", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev, after.st_mode) == (before.st_ino, before.st_rdev, before.st_mode)


def test_a_symlinked_output_keeps_its_link(workdir: Path) -> None:
    (workdir / "reports").mkdir()
    (workdir / "latest.json").symlink_to("reports/real.json")
    proc = lightprof("--headless", "-p", "ok.toml", "--json", "latest.json", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert (workdir / "latest.json").is_symlink()
    assert json.loads((workdir / "reports" / "real.json").read_text())["schema"] == 1


# ------------------------------------------------------------------ names that are not UTF-8


def test_a_profile_in_a_folder_that_is_not_utf8_writes_a_report_that_opens_again(workdir: Path) -> None:
    folder = os.fsencode(workdir) + b"/d\xff"
    os.mkdir(folder)
    shutil.copy(workdir / "ok.toml", os.fsdecode(folder + b"/p.toml"))
    proc = lightprof("--headless", "-p", os.fsdecode(folder + b"/p.toml"), "--json", os.fsdecode(b"r\xfe.json"),
                     "--markdown", "-", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    raw = (os.fsencode(workdir) + b"/r\xfe.json")
    text = Path(os.fsdecode(raw)).read_bytes().decode("utf-8")  # the report stays UTF-8
    from lightprof.model.report_file import load_report

    report = load_report(os.fsdecode(raw))
    assert report.profile.path is not None and os.fsencode(report.profile.path).endswith(b"/d\xff/p.toml")
    assert "\\udcff" in text


# ------------------------------------------------------------------ the CLI as a whole


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--headless", "--bogus"], ["unrecognized arguments: --bogus"]),
        (["--headless", "-p", "ok.toml", "stray"], ["unrecognized arguments: stray"]),
        (["--open", "x.json", "--headless"], ["cannot be combined with --headless"]),
        (["--open", "x.json", "-p", "ok.toml"], ["cannot be combined with -p"]),
        (["-p", "ok.toml", "--", "true"], ["either -p PROFILE or a command"]),
        (["--headless", "--"], ["nothing to run after '--'"]),
        (["--json", "r.json"], ["need --headless"]),
        (["--open", "ok.toml"], ["ok.toml:1: not a lightprof JSON report"]),
        (["--open", str(FIXTURE_REPORT)], ["needs a terminal"]),
        (["--headless", "-p", "missing.toml"], ["missing.toml: no such file"]),
    ],
    ids=["unknown-flag", "stray-argument", "open-headless", "open-profile", "profile-and-command", "empty-command",
         "json-without-headless", "open-a-profile", "open-without-a-terminal", "missing-profile"],
)
def test_hostile_invocations_are_one_sentence_and_exit_2(workdir: Path, args: list[str], words: list[str]) -> None:
    assert_one_sentence(lightprof(*args, cwd=workdir), *words)
    assert not (workdir / "measured").exists()
