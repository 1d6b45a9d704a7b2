"""The folder and glob walk against os.walk and du -sb, on real trees with links, loops and FIFOs."""

from __future__ import annotations

import os
import random
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from lightprof.errors import MeasureError
from lightprof.measure.sizes.treewalk import Tally, split_glob, walk_folder, walk_glob


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
    (root / "a4" / "loop").symlink_to(root)  # a symlink loop: never followed
    os.mkfifo(root / "a2" / "pipe")
    os.link(root / "top.wasm", root / "a3" / "hard-link.wasm")  # a second name of the same file
    return root


def _expected(root: Path) -> dict[tuple[int, int], tuple[str, int]]:
    """Regular files by (device, inode), as du counts them; os.walk does not follow symlinks."""
    found: dict[tuple[int, int], tuple[str, int]] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            info = os.lstat(os.path.join(folder, name))
            if os.path.isfile(os.path.join(folder, name)) and not os.path.islink(os.path.join(folder, name)):
                found.setdefault((info.st_dev, info.st_ino), (os.path.join(folder, name), info.st_size))
    return found


def _du_apparent_files(folder: Path) -> int:
    """`du -sb` of a folder without the folders' own sizes (du adds each folder's st_size)."""
    du = int(subprocess.run(["du", "-sb", str(folder)], capture_output=True, text=True, check=True).stdout.split()[0])
    folders = sum(os.lstat(os.path.join(top, d)).st_size for top, dirs, _ in os.walk(folder) for d in dirs)
    links = sum(os.lstat(os.path.join(top, n)).st_size for top, _, names in os.walk(folder) for n in names
                if os.path.islink(os.path.join(top, n)))
    return du - os.lstat(folder).st_size - folders - links


def test_walk_counts_every_regular_file_once(tree: Path) -> None:
    tally = Tally(top=5)
    walk_folder(str(tree), tally)
    expected = _expected(tree)
    assert tally.files == len(expected)
    assert tally.total_bytes == sum(size for _, size in expected.values())
    assert tally.total_bytes == _du_apparent_files(tree)
    assert (tally.extra_links, tally.symlinks, tally.special) == (1, 3, 1)
    assert "1 extra hard-link name" in tally.not_counted() and "3 symlink(s)" in tally.not_counted()


def test_a_file_under_two_hard_linked_names_counts_once_like_du(tmp_path: Path) -> None:
    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / "esbuild").write_bytes(os.urandom(10 * 1000 * 1000))
    os.link(folder / "esbuild", folder / "esbuild-copy")
    tally = Tally()
    walk_folder(str(folder), tally)
    assert tally.total_bytes == 10_000_000 and tally.files == 1
    assert tally.total_bytes == _du_apparent_files(folder)


def test_a_symlink_loop_below_a_glob_ends_and_is_not_followed(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "js").mkdir(parents=True)
    (dist / "js" / "app.js").write_bytes(b"a" * 100)
    (dist / "loop").symlink_to(dist)
    (dist / "js" / "up").symlink_to("..")
    tally = Tally()
    walk_glob(str(dist), ["**"], tally)
    assert (tally.files, tally.total_bytes) == (1, 100)
    tally = Tally()
    walk_glob(str(dist), ["**", "*.js"], tally)
    assert (tally.files, tally.total_bytes) == (1, 100)


def test_a_glob_counts_a_file_once_however_many_ways_it_matches(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.js").write_bytes(b"x" * 10)
    (tmp_path / "a" / "y.js").write_bytes(b"y" * 20)
    (tmp_path / "a" / ".hidden.js").write_bytes(b"h" * 40)
    tally = Tally()
    walk_glob(str(tmp_path), ["**", "*.js"], tally)
    assert (tally.files, tally.total_bytes) == (2, 30)  # like glob: '*' skips dot files
    tally = Tally()
    walk_glob(str(tmp_path), ["a", "**"], tally)  # matches a/, a/b, a/b/x.js...: counted once
    assert (tally.files, tally.total_bytes) == (3, 70)


def test_split_glob_keeps_the_literal_folder() -> None:
    assert split_glob("dist/js/**/*.js") == ("dist/js", ["**", "*.js"])
    assert split_glob("*.js") == ("", ["*.js"])
    assert split_glob("/abs/x*/y") == ("/abs", ["x*", "y"])


def test_an_unreadable_folder_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(MeasureError, match=r"^cannot read folder '.*missing': No such file or directory$"):
        walk_folder(str(tmp_path / "missing"), Tally())


def test_largest_does_not_depend_on_listing_order(tmp_path: Path) -> None:
    for name, size in (("b", 5), ("a", 5), ("c.wasm", 9), ("z", 1), ("k.wasm", 5)):
        (tmp_path / name).write_bytes(b"x" * size)
    tally = Tally(top=3)
    walk_folder(str(tmp_path), tally)
    prefix = str(tmp_path) + "/"
    assert tally.largest() == [(prefix + "c.wasm", 9), (prefix + "k.wasm", 5), (prefix + "b", 5)]
    assert sorted(tally.wasm) == [(prefix + "c.wasm", 9), (prefix + "k.wasm", 5)]
    assert (tally.total_bytes, tally.files, tally.wasm_count, tally.wasm_bytes) == (25, 5, 2, 14)


def test_an_empty_folder_is_an_empty_tally(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    tally = Tally()
    walk_folder(str(tmp_path), tally)
    assert (tally.files, tally.total_bytes, tally.largest(), tally.wasm, tally.not_counted()) == (0, 0, [], [], "")


def _walk_peak(folder: Path) -> int:
    tracemalloc.start()
    try:
        tally = Tally(top=10)
        walk_folder(str(folder), tally)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_files(tmp_path: Path) -> None:
    """What a walk keeps is bounded by what it reports (top N, totals), not by the files seen."""
    small, large = tmp_path / "small", tmp_path / "large"
    for folder, count in ((small, 1_000), (large, 20_000)):
        folder.mkdir()
        for i in range(count):
            (folder / f"file-with-a-longish-name-{i:06d}.txt").write_bytes(b"x")
    peak_small, peak_large = _walk_peak(small), _walk_peak(large)
    # A list of 20,000 paths alone would hold ~2 MB; the walk's own peak stays where 1,000 put it.
    assert peak_large < peak_small + 256 * 1024, (peak_small, peak_large)
