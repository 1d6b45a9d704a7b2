"""Inputs a user names are read only when they are regular files: FIFOs, devices, loops refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lightprof.safefile import UnsafeInput, read_regular, read_regular_text


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    file = tmp_path / "a.toml"
    file.write_text("version = 1\n")
    assert read_regular_text(file, "a.toml") == "version = 1\n"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeInput, match="FIFO"):
        read_regular(fifo, "pipe")


def test_a_device_is_refused() -> None:
    with pytest.raises(UnsafeInput, match="character device"):
        read_regular("/dev/zero", "/dev/zero")


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(UnsafeInput, match="symlink loop"):
        read_regular(tmp_path / "a", "a")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeInput, match="folder"):
        read_regular(tmp_path, "here")


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "big"
    file.write_bytes(b"x" * 101)
    with pytest.raises(UnsafeInput, match="larger than 100 bytes"):
        read_regular(file, "big", limit=100)


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "bin"
    file.write_bytes(b"\xff\xfe")
    with pytest.raises(UnsafeInput, match="not UTF-8"):
        read_regular_text(file, "bin")


def test_a_name_with_a_nul_byte_is_refused() -> None:
    with pytest.raises(UnsafeInput, match="NUL byte"):
        read_regular("kernel\x00.wasm", "kernel.toml: wasm")
