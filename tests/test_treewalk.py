"""The folder walk, alone and with its helper process, against sizes computed with os.walk."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from lightprof.errors import MeasureError
from lightprof.measure import treewalk
from lightprof.measure._walker import WalkError
from lightprof.measure.treewalk import Inventory, walk_folder


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """~700 files in nested folders, plus what a walk must skip: symlinks, a FIFO, odd names."""
    rng = random.Random(7)
    root = tmp_path / "tree"
    for a in range(6):
        for b in range(5):
            folder = root / f"a{a}" / f"b{b}"
            folder.mkdir(parents=True)
            for i in range(rng.randint(10, 35)):
                (folder / f"f{i}.bin").write_bytes(rng.randbytes(rng.randint(0, 3000)))
    (root / "empty").mkdir()
    (root / "top.wasm").write_bytes(b"\0asm\x01\0\0\0")
    (root / "a1" / "b2" / "new\nline \udcff.js".encode("utf-8", "surrogateescape").decode(
        "utf-8", "surrogateescape")).write_bytes(b"x" * 77)
    (root / "link-to-file").symlink_to(root / "top.wasm")
    (root / "link-to-folder").symlink_to(root / "a0")
    os.mkfifo(root / "a2" / "pipe")
    os.link(root / "top.wasm", root / "a3" / "hard-link.wasm")  # a second name: shipped twice
    return root


def _expected(root: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for folder, _dirs, names in os.walk(root):  # os.walk does not follow symlinked folders
        for name in names:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if os.path.isfile(path) and not os.path.islink(path):
                sizes[path] = info.st_size
    return sizes


def _children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def test_walk_without_helper_matches_os_walk(tree: Path) -> None:
    inventory = walk_folder(str(tree))
    assert inventory.as_dict() == _expected(tree)
    assert len(inventory) == len(_expected(tree))
    assert inventory.total() == sum(_expected(tree).values())


def test_walk_with_helper_matches_and_leaves_no_process(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[treewalk._Helper] = []
    answered: list[str] = []
    real_init, real_receive = treewalk._Helper.__init__, treewalk._Helper.receive

    def spy_init(self: treewalk._Helper) -> None:
        real_init(self)
        started.append(self)

    def spy_receive(self: treewalk._Helper) -> list:
        listings = real_receive(self)
        answered.extend(listing[0] for listing in listings)
        return listings

    def patient_has_reply(self: treewalk._Helper) -> bool:
        # This tree is small enough to list before a helper is up, and a helper that has not
        # answered yet is given up on; wait for its first answer so it really takes part.
        return bool(self._poll.poll(0 if self.answered else 10_000))

    monkeypatch.setattr(treewalk, "SPLIT_AFTER", 20)
    monkeypatch.setattr(treewalk, "_spare_cpus", lambda: 1)
    monkeypatch.setattr(treewalk._Helper, "__init__", spy_init)
    monkeypatch.setattr(treewalk._Helper, "receive", spy_receive)
    monkeypatch.setattr(treewalk._Helper, "has_reply", patient_has_reply)

    inventory = walk_folder(str(tree))

    assert len(started) == 1 and len(answered) >= 5, "the helper was started and listed folders"
    assert inventory.as_dict() == _expected(tree)
    assert not any(group[0] == "" for group in inventory.groups)
    assert _children() == []


def test_a_helper_still_starting_is_not_waited_for(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper that has not answered when this process runs out of folders is ended, and its
    folders listed here: here a stopped one, which would never answer."""
    real_init = treewalk._Helper.__init__

    def frozen_init(self: treewalk._Helper) -> None:
        real_init(self)
        assert self.pid is not None
        os.kill(self.pid, signal.SIGSTOP)

    monkeypatch.setattr(treewalk, "SPLIT_AFTER", 20)
    monkeypatch.setattr(treewalk, "_spare_cpus", lambda: 1)
    monkeypatch.setattr(treewalk._Helper, "__init__", frozen_init)
    signal.alarm(20)  # a walk that waits for the frozen helper fails here instead of hanging CI
    try:
        assert walk_folder(str(tree)).as_dict() == _expected(tree)
    finally:
        signal.alarm(0)
    assert _children() == []


def test_a_helper_that_dies_midway_costs_nothing_but_time(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(treewalk, "SPLIT_AFTER", 20)
    monkeypatch.setattr(treewalk, "_spare_cpus", lambda: 1)
    real_send = treewalk._Helper.send

    def send_then_die(self: treewalk._Helper, batch: list[str]) -> bool:
        ok = real_send(self, batch)
        assert self.pid is not None
        os.kill(self.pid, 9)  # with batches in flight: they must be listed here instead
        return ok

    monkeypatch.setattr(treewalk._Helper, "send", send_then_die)
    assert walk_folder(str(tree)).as_dict() == _expected(tree)
    assert _children() == []


def test_helper_reports_a_folder_it_cannot_read(tmp_path: Path) -> None:
    helper = treewalk._Helper()
    try:
        assert helper.send([str(tmp_path), str(tmp_path / "gone")])
        with pytest.raises(WalkError) as caught:
            helper.receive()
        assert caught.value.folder == str(tmp_path / "gone")
        assert "No such file" in caught.value.reason
    finally:
        helper.stop()
    assert _children() == []


def test_an_unreadable_folder_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(MeasureError, match=r"^cannot read folder '.*missing': No such file or directory$"):
        walk_folder(str(tmp_path / "missing"))


def test_helper_ends_when_lightprof_dies(tmp_path: Path) -> None:
    """A lightprof killed mid-walk leaves its helper with a closed pipe; the helper must go too."""
    script = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})\n"
        "from lightprof.measure import treewalk\n"
        "helper = treewalk._Helper()\n"
        "print(helper.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == -9
    helper_pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while psutil.pid_exists(helper_pid) and psutil.Process(helper_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the walk helper outlived lightprof"
        time.sleep(0.05)


def test_largest_and_suffix_do_not_depend_on_listing_order() -> None:
    a = Inventory()
    a.add_listing("/x", ["b", "a", "c.wasm"], [5, 5, 9])
    a.add_listing("/y/", ["z", "k.wasm"], [1, 5])
    b = Inventory()
    b.add_listing("/y", ["k.wasm", "z"], [5, 1])
    b.add_listing("/x/", ["c.wasm", "a", "b"], [9, 5, 5])
    for inventory in (a, b):
        assert inventory.largest(3) == [("/x/c.wasm", 9), ("/y/k.wasm", 5), ("/x/b", 5)]
        assert inventory.largest(10)[-1] == ("/y/z", 1)
        assert inventory.ending_with(".wasm") == [("/x/c.wasm", 9), ("/y/k.wasm", 5)]
        assert inventory.total() == 25 and len(inventory) == 5
    assert Inventory().largest(3) == [] and Inventory().ending_with(".wasm") == []


def test_an_empty_folder_is_an_empty_inventory(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    inventory = walk_folder(str(tmp_path))
    assert (len(inventory), inventory.total(), inventory.largest(10), inventory.ending_with(".wasm")) == (0, 0, [], [])


def test_largest_with_fewer_folders_than_asked(tmp_path: Path) -> None:
    sizes = {f"/big/f{i}": (i * 7919) % 1000 for i in range(5000)}
    inventory = Inventory.from_sizes(sizes)
    expected = sorted(((size, path) for path, size in sizes.items()), reverse=True)[:20]
    assert inventory.largest(20) == [(path, size) for size, path in expected]
