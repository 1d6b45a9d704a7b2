"""Container images read from real archives built in each test: sizes, layers, waste, errors."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from lightprof.gate.images import image_figures
from lightprof.measure.images.image import measure_image
from lightprof.model.sizes import ImageResult
from lightprof.profile.spec import ImageSpec
from tests.sizes_helpers import (
    Layer,
    blob_sizes,
    compress,
    header_size_sum,
    oci_files,
    write_docker_save,
    write_oci_layout,
    write_tar,
)

REPO = Path(__file__).resolve().parent.parent


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _layers() -> list[Layer]:
    """A base layer, one that overwrites /bin/app, one that deletes /data (a folder) and /etc/config."""
    base = Layer(
        dirs=["etc", "bin", "data"],
        files={"etc/config": _bytes(100, 1), "bin/app": _bytes(5000, 2),
               "data/big": _bytes(3000, 3), "data/small": _bytes(200, 4)},
        created_by="/bin/sh -c #(nop) ADD file:base in /",
    )
    overwrite = Layer(files={"bin/app": _bytes(6000, 5), "opt/x": _bytes(50, 6)},
                      created_by="COPY app /bin/app")
    delete = Layer(whiteouts=["data", "etc/config"], created_by="RUN rm -rf /data /etc/config")
    return [base, overwrite, delete]


# dive's figures for _layers(), worked out by hand from its definitions:
# leaves and totals: etc/config 100+0 (2 layers), bin/app 5000+6000 (2), data/big 3000, data/small 200,
# opt/x 50, data (whiteout of a folder: 3000+200 below it) 3200.
SIZES = [8300, 6050, 0]
WASTED = 100 + 11000
EFFICIENCY = (0 + 5000 + 3000 + 200 + 50 + 3200) / (100 + 11000 + 3000 + 200 + 50 + 3200)


def _spec(tmp_path: Path, path: str, **budgets: float) -> ImageSpec:
    return ImageSpec(name="img", base_dir=tmp_path, path=path, **budgets)  # type: ignore[arg-type]


def _measure(tmp_path: Path, path: str, **budgets: float) -> ImageResult:
    result = measure_image(_spec(tmp_path, path, **budgets))
    assert result.error is None, result.error
    return result


def test_classic_docker_save_layer_sizes_equal_tar_header_sums(tmp_path: Path) -> None:
    layers = _layers()
    blobs = write_docker_save(tmp_path / "img.tar", layers)
    result = _measure(tmp_path, "img.tar")
    assert result.format == "docker-save"
    assert result.reference == "demo:1"
    assert [layer.size_bytes for layer in result.layers] == [header_size_sum(b) for b in blobs] == SIZES
    assert result.size_bytes == sum(SIZES)
    assert result.user_size_bytes == sum(SIZES[1:])
    assert [layer.stored_bytes for layer in result.layers] == [len(b) for b in blobs]


def test_created_by_comes_from_history_skipping_empty_layers(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    result = _measure(tmp_path, "img.tar")
    assert [layer.created_by for layer in result.layers] == [layer.created_by for layer in _layers()]


def test_overwrite_and_delete_give_dives_wasted_bytes_and_efficiency(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    result = _measure(tmp_path, "img.tar")
    assert result.wasted_bytes == WASTED
    assert result.efficiency == pytest.approx(EFFICIENCY, abs=1e-12)
    assert result.wasted_percent == pytest.approx(WASTED / sum(SIZES[1:]))
    assert [(w.path, w.total_bytes, w.layers) for w in result.wasted] == [
        ("/bin/app", 11000, 2), ("/etc/config", 100, 2)]


def test_largest_files_per_layer_are_listed_largest_first(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    result = _measure(tmp_path, "img.tar")
    assert result.layers[0].largest[:2] == [("/bin/app", 5000), ("/data/big", 3000)]
    assert result.layers[0].files == 4
    assert result.layers[2].whiteouts == 2


def test_uncompressed_layers_have_no_compressed_size_and_say_so(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    result = _measure(tmp_path, "img.tar")
    assert result.layer_compression == "none"
    assert result.compressed_bytes is None
    assert "stored uncompressed" in result.compression_note


def test_compressed_budget_on_uncompressed_layers_gets_a_labelled_gzip_estimate(tmp_path: Path) -> None:
    layers = _layers()
    write_docker_save(tmp_path / "img.tar", layers)
    result = _measure(tmp_path, "img.tar", budget_compressed=10**6)
    expected = sum(len(gzip.compress(layer.tar(), compresslevel=6, mtime=0)) for layer in layers)
    assert result.compressed_bytes == expected
    assert result.compressed_estimated
    assert "estimate" in result.compression_note


def test_docker_save_with_gzip_layers_counts_blob_sizes_as_compressed(tmp_path: Path) -> None:
    blobs = write_docker_save(tmp_path / "img.tar", _layers(), compression="gzip")
    result = _measure(tmp_path, "img.tar")
    assert result.layer_compression == "gzip"
    assert result.compressed_bytes == sum(len(b) for b in blobs)
    assert not result.compressed_estimated
    assert [layer.size_bytes for layer in result.layers] == SIZES
    assert result.wasted_bytes == WASTED


def test_oci_layout_folder_with_zstd_layers(tmp_path: Path) -> None:
    files = oci_files(_layers(), "zstd")
    write_oci_layout(tmp_path / "layout", files)
    result = _measure(tmp_path, "layout")
    assert result.format == "oci-layout"
    assert result.layer_compression == "zstd"
    assert result.compressed_bytes == blob_sizes(files)
    assert result.size_bytes == sum(SIZES)
    assert result.wasted_bytes == WASTED
    assert result.efficiency == pytest.approx(EFFICIENCY, abs=1e-12)


def test_oci_archive_with_gzip_layers_and_dot_slash_names(tmp_path: Path) -> None:
    files = oci_files(_layers(), "gzip")
    write_tar(tmp_path / "img.oci.tar", files, prefix="./")
    result = _measure(tmp_path, "img.oci.tar")
    assert result.format == "oci-archive"
    assert result.compressed_bytes == blob_sizes(files)
    assert result.size_bytes == sum(SIZES)
    assert result.layers[1].digest.startswith("sha256:")


def test_docker_25_save_is_read_through_its_oci_layout(tmp_path: Path) -> None:
    files = oci_files(_layers(), "none", docker_manifest=True)
    write_tar(tmp_path / "img.tar", files)
    result = _measure(tmp_path, "img.tar")
    assert result.format == "docker-save-oci"
    assert result.stored_bytes == blob_sizes(files)
    assert result.size_bytes == sum(SIZES)
    assert result.wasted_bytes == WASTED


def test_empty_layer_tar_counts_zero(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", [_layers()[0], Layer(created_by="RUN true")])
    result = _measure(tmp_path, "img.tar")
    assert [layer.size_bytes for layer in result.layers] == [8300, 0]
    assert result.efficiency == 1.0
    assert result.wasted_bytes == 0


def test_layer_without_end_of_archive_blocks_is_read_as_is(tmp_path: Path) -> None:
    layers = _layers()
    tars = [layer.tar() for layer in layers]
    # Cut the final zero blocks and the last member's padding, as umoci sometimes writes layers.
    with tarfile.open(fileobj=io.BytesIO(tars[1])) as tar:
        last = tar.getmembers()[-1]
    short = tars[1][: last.offset_data + last.size]
    files = _replace_layer(oci_files(layers, "none"), tars[1], short)
    write_oci_layout(tmp_path / "layout", files)
    result = _measure(tmp_path, "layout")
    assert [layer.size_bytes for layer in result.layers] == SIZES


def _replace_layer(files: dict[str, bytes], old: bytes, new: bytes) -> dict[str, bytes]:
    """The layout with one layer blob swapped, its manifest and index updated to match."""

    def name(data: bytes) -> str:
        return "blobs/sha256/" + hashlib.sha256(data).hexdigest()

    index = json.loads(files["index.json"])
    manifest_name = "blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(files.pop(manifest_name))
    old_digest = "sha256:" + hashlib.sha256(old).hexdigest()
    for layer in manifest["layers"]:
        if layer["digest"] == old_digest:
            layer["digest"] = "sha256:" + hashlib.sha256(new).hexdigest()
            layer["size"] = len(new)
    files.pop(name(old), None)
    files[name(new)] = new
    manifest_bytes = json.dumps(manifest).encode()
    files[name(manifest_bytes)] = manifest_bytes
    index["manifests"][0]["digest"] = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    index["manifests"][0]["size"] = len(manifest_bytes)
    files["index.json"] = json.dumps(index).encode()
    return files


# --------------------------------------------------------------------------- malformed inputs


def _error(tmp_path: Path, path: str) -> str:
    result = measure_image(_spec(tmp_path, path))
    assert result.error is not None
    assert "\n" not in result.error and "Traceback" not in result.error
    return result.error


def test_truncated_tarball_is_a_clear_error(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    data = (tmp_path / "img.tar").read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2 + 100])
    assert "truncated" in _error(tmp_path, "cut.tar")


def test_layer_cut_inside_a_file_is_a_clear_error(tmp_path: Path) -> None:
    layers = _layers()
    tars = [layer.tar() for layer in layers]
    files = _replace_layer(oci_files(layers, "none"), tars[0], tars[0][:3000])
    write_oci_layout(tmp_path / "layout", files)
    message = _error(tmp_path, "layout")
    assert "layer 1" in message and "truncated" in message


def test_truncated_gzip_layer_is_a_clear_error(tmp_path: Path) -> None:
    layers = _layers()
    tars = [layer.tar() for layer in layers]
    files = oci_files(layers, "gzip")
    blob = compress(tars[0], "gzip")
    files = _replace_layer(files, blob, blob[: len(blob) - 20])
    write_oci_layout(tmp_path / "layout", files)
    assert "truncated" in _error(tmp_path, "layout")


def test_blob_shorter_than_its_descriptor_is_a_clear_error(tmp_path: Path) -> None:
    files = oci_files(_layers(), "gzip")
    write_oci_layout(tmp_path / "layout", files)
    blob = max((tmp_path / "layout" / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    blob.write_bytes(blob.read_bytes()[:-10])
    assert "the manifest says" in _error(tmp_path, "layout")


def test_manifest_naming_a_missing_blob_is_a_clear_error(tmp_path: Path) -> None:
    files = oci_files(_layers(), "gzip")
    layer_name = "blobs/sha256/" + json.loads(
        files["blobs/sha256/" + json.loads(files["index.json"])["manifests"][0]["digest"].split(":")[1]]
    )["layers"][1]["digest"].split(":")[1]
    files.pop(layer_name)
    write_tar(tmp_path / "img.tar", files)
    message = _error(tmp_path, "img.tar")
    assert "missing" in message and layer_name in message


def test_docker_save_naming_a_missing_layer_is_a_clear_error(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    with tarfile.open(tmp_path / "img.tar") as full, tarfile.open(tmp_path / "broken.tar", "w") as broken:
        skipped = False
        for member in full.getmembers():
            if member.name.endswith("layer.tar") and not skipped:
                skipped = True
                continue
            broken.addfile(member, full.extractfile(member))
    assert "missing" in _error(tmp_path, "broken.tar")


def test_tar_that_is_not_an_image_is_a_clear_error(tmp_path: Path) -> None:
    write_tar(tmp_path / "notes.tar", {"README": b"hello"})
    assert "not a container image" in _error(tmp_path, "notes.tar")


def test_file_that_is_not_a_tar_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "img.tar").write_bytes(b"this is not a tar archive at all" * 40)
    assert "not a tar archive" in _error(tmp_path, "img.tar")


def test_gzipped_archive_asks_to_be_decompressed(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    (tmp_path / "img.tar.gz").write_bytes(gzip.compress((tmp_path / "img.tar").read_bytes()))
    assert "decompress it first" in _error(tmp_path, "img.tar.gz")


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path, "nowhere.tar")


def test_image_by_name_without_an_engine_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no docker or podman here
    result = measure_image(ImageSpec(name="img", base_dir=tmp_path, image="demo:1"))
    assert result.error is not None
    assert "no docker or podman engine" in result.error and "demo:1" in result.error


def test_image_by_name_is_saved_through_the_engine_that_answers(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in engine on PATH that answers `docker image save -o FILE NAME` with a real archive.
    write_docker_save(tmp_path / "saved.tar", _layers(), compression="gzip")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    engine = bin_dir / "docker"
    engine.write_text(f'#!/bin/sh\n[ "$1 $2 $3" = "image save -o" ] && cp {tmp_path / "saved.tar"} "$4"\n')
    engine.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = measure_image(ImageSpec(name="img", base_dir=tmp_path, image="demo:1"))
    assert result.error is None, result.error
    assert result.size_bytes == sum(SIZES)


# --------------------------------------------------------------------------- figures


def test_every_image_budget_becomes_one_figure(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers(), compression="gzip")
    spec = _spec(tmp_path, "img.tar", budget=10**6, budget_compressed=10**6, wasted_max=1000, efficiency_min=0.9)
    result = measure_image(spec)
    figures = {f.metric: f for f in image_figures(spec, result)}
    assert set(figures) == {"size", "size_compressed", "wasted_bytes", "efficiency"}
    assert figures["size"].measured == sum(SIZES)
    assert figures["wasted_bytes"].measured == WASTED
    assert figures["efficiency"].higher_is_better and figures["efficiency"].unit == "ratio"
    assert all(f.kind == "image" for f in figures.values())


def test_unbudgeted_image_yields_no_figures(tmp_path: Path) -> None:
    write_docker_save(tmp_path / "img.tar", _layers())
    spec = _spec(tmp_path, "img.tar")
    assert image_figures(spec, measure_image(spec)) == []


def test_unreadable_image_yields_an_unmeasured_size_figure(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "nowhere.tar")
    (figure,) = image_figures(spec, measure_image(spec))
    assert figure.metric == "size" and figure.measured is None and "does not exist" in figure.note


# --------------------------------------------------------------------------- umoci


def _umoci(*args: str) -> None:
    subprocess.run(["umoci", *args], check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("umoci") is None, reason="umoci is not installed (CI installs it)")
def test_umoci_built_layout_matches_umoci_stat_blob_sizes(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    bundle = tmp_path / "bundle"
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    _umoci("init", "--layout", str(layout))
    _umoci("new", "--image", f"{layout}:v1")
    _umoci("unpack", *rootless, "--image", f"{layout}:v1", str(bundle))
    rootfs = bundle / "rootfs"
    (rootfs / "app").mkdir()
    (rootfs / "app" / "big.bin").write_bytes(_bytes(40_000, 7))
    (rootfs / "app" / "gone.bin").write_bytes(_bytes(9_000, 8))
    _umoci("repack", "--image", f"{layout}:v1", str(bundle))
    # a repack diffs against the bundle's unpack, so the second layer needs a fresh unpack
    _umoci("unpack", *rootless, "--image", f"{layout}:v1", str(tmp_path / "bundle2"))
    rootfs = tmp_path / "bundle2" / "rootfs"
    (rootfs / "app" / "big.bin").write_bytes(_bytes(50_000, 9))  # overwrite
    (rootfs / "app" / "gone.bin").unlink()  # delete: a whiteout in the next layer
    _umoci("repack", "--image", f"{layout}:v1", str(tmp_path / "bundle2"))

    stat = json.loads(subprocess.run(["umoci", "stat", "--image", f"{layout}:v1", "--json"],
                                     check=True, capture_output=True, text=True).stdout)
    layer_sizes = [h["layer"]["size"] for h in stat["history"] if h.get("layer")]
    result = _measure(tmp_path, "layout")
    assert result.format == "oci-layout"
    assert [layer.stored_bytes for layer in result.layers] == layer_sizes
    assert result.compressed_bytes == sum(layer_sizes)
    # uncompressed: the header sums of the blobs, decompressed here with gzip + tarfile
    expected = []
    for h in stat["history"]:
        blob = layout / "blobs" / "sha256" / h["layer"]["digest"].split(":")[1]
        expected.append(header_size_sum(gzip.decompress(blob.read_bytes())))
    assert [layer.size_bytes for layer in result.layers] == expected
    # dive: big.bin 40000 + 50000 in two layers, gone.bin 9000 + its whiteout (0) in two layers
    assert result.wasted_bytes == 40_000 + 50_000 + 9_000


# --------------------------------------------------------------------------- end to end


def test_headless_run_on_a_broken_image_exits_3_with_one_sentence(tmp_path: Path) -> None:
    write_tar(tmp_path / "notes.tar", {"README": b"hello"})
    (tmp_path / "lightprof.toml").write_text(
        'version = 1\nname = "t"\n[[image]]\nname = "img"\npath = "notes.tar"\nbudget = "1MB"\n'
    )
    done = subprocess.run([sys.executable, "-m", "lightprof", "--headless", "-p", str(tmp_path / "lightprof.toml")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr + done.stdout
    assert "not a container image" in done.stdout + done.stderr
