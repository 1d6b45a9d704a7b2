"""Atomic writes under SIGKILL: the target is never torn, and the temporary a killed writer left is
removed by the next lightprof that writes there, once its writer is gone, and never anyone else's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lightprof.atomicio import (
    STALE_AFTER_S,
    atomic_write_text,
    check_writable,
    remove_stale_temporaries,
)

REPO = Path(__file__).resolve().parent.parent

# A writer that stops inside the write, after the temporary holds half the data and before the
# rename: os.fsync blocks on a pipe nobody writes to, and the parent kills it there.
WRITER = """
import os, sys
sys.path.insert(0, {repo!r})
import lightprof.atomicio as atomicio
read_end, _keep = os.pipe()
def stuck(fd):
    print("in-fsync", flush=True)
    os.read(read_end, 1)
atomicio.os.fsync = stuck
atomicio.atomic_write_text({target!r}, "new " * 100000)
"""


def killed_writer_leaves_a_temporary(target: Path) -> tuple[Path, int]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(repo=str(REPO), target=str(target))],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "in-fsync"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    [temporary] = [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    return temporary, proc.pid


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_sigkill_in_the_middle_of_a_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    temporary, pid = killed_writer_leaves_a_temporary(target)
    assert target.read_text() == "old"
    assert temporary.name.startswith(f".report.json.lightprof-{pid}-")


def test_the_next_lightprof_writing_there_removes_the_stale_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    temporary, _pid = killed_writer_leaves_a_temporary(target)
    age(temporary, STALE_AFTER_S + 60)
    (tmp_path / "p.toml").write_text('version = 1\n[[target]]\nname = "t"\ncommand = ["true"]\nruns = 1\nwarmup = 0\n')
    proc = subprocess.run([sys.executable, "-m", "lightprof", "--headless", "-p", "p.toml", "--json", "report.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    assert not temporary.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml", "report.json"]


def test_only_stale_temporaries_of_lightprof_for_that_target_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    dead, _pid = killed_writer_leaves_a_temporary(target)
    fresh_dead = tmp_path / dead.name.replace(".tmp", "x.tmp")
    fresh_dead.write_text("a write that may still be renamed by a writer in another pid namespace")
    age(dead, STALE_AFTER_S + 1)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        live = tmp_path / f".report.json.lightprof-{sleeper.pid}-abc.tmp"
        live.write_text("a live writer's")
        age(live, STALE_AFTER_S + 600)
        other_tool = tmp_path / ".report.json.abcdefgh.tmp"
        other_tool.write_text("not ours")
        age(other_tool, 10 * 24 * 3600)
        other_target = tmp_path / f".summary.md.lightprof-{dead.name.split('-')[1]}-abc.tmp"
        other_target.write_text("another target's")
        age(other_target, STALE_AFTER_S + 1)
        assert remove_stale_temporaries(target) == [dead]
        assert live.exists() and other_tool.exists() and fresh_dead.exists() and other_target.exists()
        age(live, 2 * 24 * 3600)  # a pid alive for two days is not the writer any more: reused
        assert remove_stale_temporaries(target) == [live]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_long_target_name_still_gets_a_temporary(tmp_path: Path) -> None:
    target = tmp_path / ("r" * 250)
    atomic_write_text(target, "x")
    assert target.read_text() == "x"


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to("real.json")
    atomic_write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "new"


def test_a_fifo_is_written_as_a_stream_and_one_without_reader_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="nobody reads"):
        atomic_write_text(fifo, "x")
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:  # until cat has the FIFO open for reading
        try:
            atomic_write_text(fifo, "through the pipe")
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    out, _ = reader.communicate(timeout=30)
    assert out == b"through the pipe"
    assert fifo.is_fifo()


@pytest.mark.parametrize(("name", "words"), [("folder", "folder"), ("missing/x.json", "No such file")])
def test_check_writable_says_why_before_anything_is_written(tmp_path: Path, name: str, words: str) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(OSError, match=words):
        check_writable(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
