"""Artifact sizes of real files, checked against the gzip and brotli command-line tools."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lightprof.gate.sizes import artifact_figures
from lightprof.measure.sizes import artifacts
from lightprof.measure.sizes.artifacts import measure_artifact
from lightprof.model.sizes import ArtifactResult
from lightprof.profile.spec import ArtifactSpec

REPO = Path(__file__).resolve().parent.parent
needs_root_free = pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")


def _text(n: int, seed: int) -> bytes:
    """Compressible bytes that look like a bundle: words and numbers, not random noise."""
    rng = random.Random(seed)
    words = [b"function", b"return", b"const", b"lightprof", b"=>", b"{", b"}", b";", b"\n", b"value"]
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words) + b" " + str(rng.randint(0, 999)).encode() + b" "
    return bytes(out[:n])


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """dist/: three JS files of different sizes (one under 4 KiB, one over 512 KiB), a .wasm, a map."""
    dist = tmp_path / "dist"
    (dist / "js").mkdir(parents=True)
    (dist / "js" / "app.js").write_bytes(_text(120_000, 1))
    (dist / "js" / "tiny.js").write_bytes(_text(3_150, 2))
    (dist / "vendor.js").write_bytes(_text(600_000, 3))
    (dist / "kernel.wasm").write_bytes(b"\0asm\x01\0\0\0" + random.Random(4).randbytes(20_000))
    (dist / "app.js.map").write_bytes(_text(10_000, 5))
    return tmp_path


def _spec(base: Path, path: str, **kw: object) -> ArtifactSpec:
    return ArtifactSpec(name="bundle", base_dir=base, path=path, **kw)  # type: ignore[arg-type]


def _measure(base: Path, path: str, extra: tuple[str, ...] = (), **kw: object) -> ArtifactResult:
    result = measure_artifact(_spec(base, path, **kw), extra=extra)
    assert result.error is None, result.error
    return result


def _files(base: Path, pattern: str) -> list[Path]:
    return sorted(p for p in base.glob(pattern) if p.is_file())


def test_single_file_raw_size_is_its_byte_count(bundle: Path) -> None:
    result = _measure(bundle, "dist/js/app.js")
    assert result.kind == "file"
    assert result.raw_bytes == result.counted_bytes == 120_000
    assert result.files == 1


def test_folder_sums_every_file_below_it(bundle: Path) -> None:
    result = _measure(bundle, "dist")
    expected = sum(p.stat().st_size for p in _files(bundle, "dist/**/*"))
    assert result.kind == "folder"
    assert result.raw_bytes == expected
    assert result.files == 5


def test_glob_sums_its_matches_recursively(bundle: Path) -> None:
    result = _measure(bundle, "dist/**/*.js")
    assert result.kind == "glob"
    assert result.raw_bytes == 120_000 + 3_150 + 600_000
    assert result.files == 3


_NO_BROTLI = pytest.mark.skipif(shutil.which("brotli") is None, reason="the brotli CLI is not installed")
_NO_GZIP = pytest.mark.skipif(shutil.which("gzip") is None, reason="the gzip CLI is not installed")


@_NO_BROTLI
def test_brotli_size_equals_the_brotli_cli_byte_for_byte(bundle: Path) -> None:
    result = _measure(bundle, "dist/**/*.js", compression="brotli")
    cli = sum(len(subprocess.run(["brotli", "-q", "11", "-c", str(p)], capture_output=True, check=True).stdout)
              for p in _files(bundle, "dist/**/*.js"))
    assert result.brotli_bytes == cli
    assert result.counted_bytes == cli


@_NO_GZIP
def test_gzip_size_is_zlib_level_9_within_half_a_percent_of_the_gzip_cli(bundle: Path) -> None:
    result = _measure(bundle, "dist/**/*.js", compression="gzip")
    paths = _files(bundle, "dist/**/*.js")
    zlib9 = sum(len(gzip.compress(p.read_bytes(), compresslevel=9, mtime=0)) for p in paths)
    cli = sum(len(subprocess.run(["gzip", "-9", "-n", "-c", str(p)], capture_output=True, check=True).stdout)
              for p in paths)
    assert result.gzip_bytes == result.counted_bytes == zlib9  # what the budget counts, exactly
    assert abs(result.gzip_bytes - cli) / cli < 0.005  # GNU gzip's own deflate: close, not equal


@_NO_GZIP
@_NO_BROTLI
def test_empty_file_compresses_like_the_clis(tmp_path: Path) -> None:
    (tmp_path / "empty.js").write_bytes(b"")
    result = _measure(tmp_path, "empty.js", compression="brotli", extra=("gzip",))
    brotli_cli = subprocess.run(["brotli", "-q", "11", "-c", str(tmp_path / "empty.js")],
                                capture_output=True, check=True).stdout
    gzip_cli = subprocess.run(["gzip", "-9", "-n", "-c", str(tmp_path / "empty.js")],
                              capture_output=True, check=True).stdout
    assert (result.raw_bytes, result.brotli_bytes, result.gzip_bytes) == (0, len(brotli_cli), len(gzip_cli))


@pytest.mark.skipif(shutil.which("zstd") is None, reason="the zstd CLI is not installed")
def test_zstd_size_is_within_3_percent_of_the_zstd_cli_at_level_19(bundle: Path) -> None:
    # python-zstandard bundles its own libzstd, which need not be the CLI's version: close, not equal
    result = _measure(bundle, "dist/js/app.js", extra=("zstd",))
    cli = subprocess.run(["zstd", "-19", "-q", "-c", str(bundle / "dist/js/app.js")], capture_output=True, check=True)
    assert result.zstd_bytes is not None
    assert abs(result.zstd_bytes - len(cli.stdout)) / len(cli.stdout) < 0.03


def test_no_compression_counts_raw_bytes_and_compresses_nothing_unasked(bundle: Path) -> None:
    result = _measure(bundle, "dist/js/app.js", compression="none")
    assert result.counted_bytes == result.raw_bytes == 120_000
    assert (result.gzip_bytes, result.brotli_bytes, result.zstd_bytes) == (None, None, None)
    assert result.compressed_note == ""


def test_a_caller_that_shows_other_compressions_gets_them_while_small(bundle: Path) -> None:
    result = _measure(bundle, "dist/js/app.js", compression="none", extra=("gzip", "brotli"))
    assert result.gzip_bytes is not None and result.gzip_bytes < 120_000
    assert result.brotli_bytes is not None and result.zstd_bytes is None


def test_shown_compressions_are_skipped_for_many_files_with_a_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.js").write_bytes(b"x" * i)
    monkeypatch.setattr(artifacts, "EXTRA_MAX_FILES", 4)
    result = _measure(tmp_path, "*.js", extra=("gzip",))
    assert result.gzip_bytes is None and "gzip not computed" in result.compressed_note
    assert "5 files" in result.compressed_note


def test_unasked_slow_compression_is_skipped_on_big_artifacts_with_a_note(
        bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(artifacts.EXTRA_LIMITS, "brotli", 1_000)
    result = _measure(bundle, "dist/js/app.js", compression="gzip", extra=("brotli",))
    assert result.brotli_bytes is None
    assert "brotli not computed" in result.compressed_note
    assert result.counted_bytes == result.gzip_bytes


def test_largest_files_come_largest_first_up_to_top(bundle: Path) -> None:
    result = _measure(bundle, "dist", top=2)
    assert result.largest == [("vendor.js", 600_000), ("js/app.js", 120_000)]


def test_wasm_files_inside_an_artifact_are_listed(bundle: Path) -> None:
    result = _measure(bundle, "dist")
    assert result.wasm_files == ["kernel.wasm"]
    assert result.wasm_bytes == (bundle / "dist" / "kernel.wasm").stat().st_size


# --------------------------------------------------------------------------- figures


def test_budget_becomes_one_size_figure_counting_the_chosen_compression(bundle: Path) -> None:
    spec = _spec(bundle, "dist/js/app.js", compression="brotli", budget=150_000, tolerance=0.05)
    result = measure_artifact(spec)
    (figure,) = artifact_figures(spec, result)
    assert (figure.subject, figure.metric, figure.unit, figure.kind) == ("bundle", "size", "bytes", "artifact")
    assert figure.measured == result.brotli_bytes and figure.limit == 150_000 and figure.tolerance == 0.05


def test_unbudgeted_artifact_yields_no_figure(bundle: Path) -> None:
    spec = _spec(bundle, "dist")
    assert artifact_figures(spec, measure_artifact(spec)) == []


def test_unmeasurable_artifact_yields_an_unmeasured_figure(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "dist/*.js", budget=1000)
    (figure,) = artifact_figures(spec, measure_artifact(spec))
    assert figure.measured is None and "matches nothing" in figure.note


# --------------------------------------------------------------------------- malformed inputs


def _error(base: Path, path: str, **kw: object) -> str:
    result = measure_artifact(_spec(base, path, **kw))
    assert result.error is not None
    assert "\n" not in result.error
    return result.error


def test_glob_matching_nothing_is_a_clear_error(tmp_path: Path) -> None:
    assert "'dist/*.js' matches nothing" in _error(tmp_path, "dist/*.js")


def test_an_empty_folder_or_a_glob_of_only_symlinks_is_unmeasured_not_0_bytes(tmp_path: Path) -> None:
    """An empty dist/ after a failed build must not pass a size budget."""
    (tmp_path / "dist").mkdir()
    assert "'dist' holds no files" in _error(tmp_path, "dist")
    (tmp_path / "dist" / "app.js").symlink_to(tmp_path / "elsewhere.js")
    (tmp_path / "elsewhere.js").write_text("x")
    assert "'dist/*.js' matches no files" in _error(tmp_path, "dist/*.js")


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path, "dist/app.js")


def test_dangling_symlink_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "app.js").symlink_to(tmp_path / "gone.js")
    assert "dangling symlink" in _error(tmp_path, "app.js")


def test_fifo_in_place_of_a_file_is_a_clear_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "app.js")
    assert "not a regular file or folder" in _error(tmp_path, "app.js", compression="gzip")


@needs_root_free
def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_bytes(b"x" * 100)
    (tmp_path / "app.js").chmod(0)
    assert "cannot read" in _error(tmp_path, "app.js", compression="gzip")


@needs_root_free
def test_unreadable_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_bytes(b"x")
    (tmp_path / "dist").chmod(0)
    try:
        assert "cannot read folder" in _error(tmp_path, "dist")
    finally:
        (tmp_path / "dist").chmod(0o755)


def test_headless_run_with_a_glob_matching_nothing_exits_3_with_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "lightprof.toml").write_text(
        'version = 1\nname = "t"\n[[artifact]]\nname = "bundle"\npath = "dist/*.js"\n'
        'compression = "brotli"\nbudget = "150kB"\n'
    )
    done = subprocess.run([sys.executable, "-m", "lightprof", "--headless", "-p", str(tmp_path / "lightprof.toml")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 3
    assert "Traceback" not in done.stdout + done.stderr
    assert "matches nothing" in done.stdout + done.stderr


def _du_files(folder: Path) -> int:
    """du -sb of a folder less the folders' own sizes, which lightprof does not count."""
    du = int(subprocess.run(["du", "-sb", str(folder)], capture_output=True, text=True, check=True).stdout.split()[0])
    return du - sum(os.lstat(os.path.join(top, d)).st_size for top, dirs, _ in os.walk(folder) for d in dirs) \
        - os.lstat(folder).st_size


def test_one_file_under_two_hard_linked_names_sizes_once_like_du(tmp_path: Path) -> None:
    folder = tmp_path / "node_modules"
    (folder / "a" / "bin").mkdir(parents=True)
    (folder / "b" / "bin").mkdir(parents=True)
    (folder / "a" / "bin" / "esbuild").write_bytes(os.urandom(10_000_000))
    os.link(folder / "a" / "bin" / "esbuild", folder / "b" / "bin" / "esbuild")
    result = _measure(tmp_path, "node_modules", compression="gzip")
    assert result.raw_bytes == 10_000_000 == _du_files(folder)
    assert result.files == 1 and "1 extra hard-link name" in result.not_counted
    glob = _measure(tmp_path, "node_modules/**/esbuild")
    assert glob.raw_bytes == 10_000_000


def test_a_symlink_loop_under_a_glob_ends(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "app.js").write_bytes(b"x" * 1000)
    (dist / "self").symlink_to(dist)
    result = _measure(tmp_path, "dist/**", compression="gzip")
    assert (result.raw_bytes, result.files) == (1000, 1) and "1 symlink(s) (not followed)" in result.not_counted


def test_a_fifo_inside_a_folder_is_never_opened(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "app.js").write_bytes(b"x" * 10)
    os.mkfifo(tmp_path / "dist" / "pipe")
    result = _measure(tmp_path, "dist", compression="brotli")
    assert result.raw_bytes == 10 and "1 FIFO(s), socket(s) or device(s)" in result.not_counted


def test_a_fifo_named_as_the_artifact_is_one_sentence(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "bundle.js")
    result = measure_artifact(_spec(tmp_path, "bundle.js", compression="gzip"))
    assert result.error is not None and "is not a regular file or folder (a FIFO" in result.error


def test_shipped_wasm_is_recorded_with_its_sha256(bundle: Path) -> None:
    result = _measure(bundle, "dist")
    assert result.wasm_files == ["kernel.wasm"]
    assert result.wasm_sha256 == [hashlib.sha256((bundle / "dist" / "kernel.wasm").read_bytes()).hexdigest()]


def test_a_symlink_named_as_the_artifact_is_followed_and_compressed(bundle: Path) -> None:
    (bundle / "latest.js").symlink_to(bundle / "dist" / "js" / "app.js")
    result = _measure(bundle, "latest.js", compression="gzip")
    assert result.raw_bytes == 120_000 and result.gzip_bytes is not None and result.gzip_bytes < 120_000
