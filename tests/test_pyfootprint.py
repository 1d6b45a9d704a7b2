"""Python install footprint per distribution, from RECORD files and the files on disk."""

from __future__ import annotations

import csv
import importlib.metadata
import os
from pathlib import Path

import pytest

from lightprof.measure.sizes.artifacts import measure_artifact
from lightprof.measure.sizes.pyfootprint import find_site_packages, scan_environment
from lightprof.profile.spec import ArtifactSpec


def _install(site: Path, name: str, version: str, files: dict[str, bytes], *,
             record_extra: tuple[str, ...] = ()) -> None:
    """A distribution as pip leaves it: its files, a dist-info with a RECORD naming them."""
    meta = site / f"{name}-{version}.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    for rel, data in files.items():
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    rows = [[rel, "sha256=x", str(len(data))] for rel, data in files.items()]
    rows += [[rel, "", ""] for rel in record_extra]
    rows += [[f"{meta.name}/METADATA", "", ""], [f"{meta.name}/RECORD", "", ""]]
    with (meta / "RECORD").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def _pyc(site: Path, rel_py: str, size: int) -> Path:
    """The byte-code pip compiles beside a module at install time (RECORD does not list it)."""
    folder, name = os.path.split(rel_py)
    cache = site / folder / "__pycache__"
    cache.mkdir(parents=True, exist_ok=True)
    pyc = cache / f"{name[:-3]}.cpython-311.pyc"
    pyc.write_bytes(b"p" * size)
    return pyc


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / ".venv"
    site = env / "lib" / "python3.11" / "site-packages"
    _install(site, "big", "2.0", {"big/__init__.py": b"a" * 30_000, "big/_core.so": b"b" * 200_000})
    _pyc(site, "big/__init__.py", 12_000)
    _install(site, "small", "1.0", {"small.py": b"c" * 500},
             record_extra=("small_missing.py", "../../../bin/small-cli"))
    _pyc(site, "small.py", 700)
    (env / "bin").mkdir()
    (env / "bin" / "small-cli").write_bytes(b"#!/bin/sh\n" * 10)
    (site / "stray.pth").write_text("import os\n")  # a file no distribution claims
    (env / "lib64").symlink_to("lib")  # as venv makes it on Linux: must not count twice
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return tmp_path


def _meta_size(site: Path, name: str) -> int:
    meta = next(site.glob(f"{name}-*.dist-info"))
    return sum(p.stat().st_size for p in meta.iterdir())


def test_distributions_come_largest_first_with_their_stat_sizes(venv: Path) -> None:
    site = venv / ".venv" / "lib" / "python3.11" / "site-packages"
    result = measure_artifact(ArtifactSpec(name="env", base_dir=venv, python_env=".venv"))
    assert result.error is None, result.error
    names = [d.name for d in result.distributions]
    assert names == ["big", "small"]
    big, small = result.distributions
    assert big.size_bytes == 30_000 + 200_000 + 12_000 + _meta_size(site, "big")
    assert small.size_bytes == 500 + 700 + 100 + _meta_size(site, "small")
    assert (big.version, small.version) == ("2.0", "1.0")


def test_pycache_beside_a_listed_module_counts_for_its_distribution(venv: Path) -> None:
    footprint = scan_environment(venv / ".venv")
    big = next(d for d in footprint.distributions if d.name == "big")
    assert big.files == 2 + 1 + 2  # two listed files, one .pyc, METADATA and RECORD


def test_files_listed_but_absent_are_counted_as_missing(venv: Path) -> None:
    footprint = scan_environment(venv / ".venv")
    small = next(d for d in footprint.distributions if d.name == "small")
    assert small.missing_files == 1


def test_raw_size_is_site_packages_plus_scripts_and_unowned_files_are_reported(venv: Path) -> None:
    env = venv / ".venv"
    site = env / "lib" / "python3.11" / "site-packages"
    result = measure_artifact(ArtifactSpec(name="env", base_dir=venv, python_env=".venv"))
    on_disk = sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) + 100
    assert result.raw_bytes == on_disk
    assert result.unowned_bytes == len("import os\n")
    assert result.site_packages == ["lib/python3.11/site-packages"]


def test_a_site_packages_folder_can_be_named_directly(venv: Path) -> None:
    site = venv / ".venv" / "lib" / "python3.11" / "site-packages"
    assert find_site_packages(site) == [site]


def test_a_folder_that_is_no_environment_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    result = measure_artifact(ArtifactSpec(name="env", base_dir=tmp_path, python_env="docs"))
    assert result.error is not None and "neither a virtual environment" in result.error


def test_a_missing_environment_is_a_clear_error(tmp_path: Path) -> None:
    result = measure_artifact(ArtifactSpec(name="env", base_dir=tmp_path, python_env=".venv"))
    assert result.error is not None and "does not exist" in result.error


def test_real_environment_matches_importlib_metadata_for_a_distribution() -> None:
    # Independent reference: importlib.metadata's own view of the files of one installed package.
    dist = importlib.metadata.distribution("tomli_w")
    listed = {os.path.normpath(str(dist.locate_file(f))) for f in dist.files or []}
    pyc = {os.path.join(os.path.dirname(p), "__pycache__", q)
           for p in listed if p.endswith(".py") and os.path.isdir(os.path.join(os.path.dirname(p), "__pycache__"))
           for q in os.listdir(os.path.join(os.path.dirname(p), "__pycache__"))
           if q.split(".", 1)[0] == os.path.basename(p)[:-3]}
    expected = sum(os.path.getsize(p) for p in listed | pyc if os.path.isfile(p))
    site = Path(str(dist.locate_file("")))
    footprint = scan_environment(site)
    found = next(d for d in footprint.distributions if d.name.lower().replace("-", "_") == "tomli_w")
    assert found.size_bytes == expected


def test_record_entries_outside_the_env_or_special_are_not_counted(tmp_path: Path) -> None:
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"o" * 50_000)
    site.mkdir(parents=True)
    os.mkfifo(env / "fifo")
    _install(site, "evil", "1.0", {"evil.py": b"e" * 100},
             record_extra=("../../../../outside.bin", "/dev/zero", "../../../fifo", "/etc/hostname"))
    result = measure_artifact(ArtifactSpec(name="env", base_dir=tmp_path, python_env="env", compression="gzip"))
    assert result.error is None, result.error
    (dist,) = result.distributions
    assert dist.size_bytes < 50_000 and result.raw_bytes is not None and result.raw_bytes < 50_000
    assert "3 RECORD path(s) outside the environment" in result.not_counted
    assert "1 RECORD path(s) that are not regular files" in result.not_counted


def test_a_fifo_as_a_record_is_one_sentence(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _install(site, "odd", "1.0", {"odd.py": b"x"})
    record = next(site.glob("odd-*.dist-info")) / "RECORD"
    record.unlink()
    os.mkfifo(record)
    result = measure_artifact(ArtifactSpec(name="env", base_dir=tmp_path, python_env="site-packages"))
    assert result.error is not None and "is a FIFO (named pipe), expected a regular file" in result.error
