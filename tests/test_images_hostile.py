"""Hostile image archives built in each test: never a read outside the image, never a hang, never a
traceback; every broken field is one sentence and an unmeasured image (exit 3)."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lightprof.measure.images.image import measure_image
from lightprof.profile.spec import ImageSpec
from tests.sizes_helpers import Layer, oci_files, write_oci_layout, write_tar

REPO = Path(__file__).resolve().parent.parent


def _layers() -> list[Layer]:
    return [Layer(files={"bin/app": b"a" * 500}), Layer(files={"etc/x": b"x" * 50})]


def _error(tmp_path: Path, path: str) -> str:
    result = measure_image(ImageSpec(name="img", base_dir=tmp_path, path=path))
    assert result.error is not None, result
    assert "\n" not in result.error and "Traceback" not in result.error
    return result.error


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_name(files: dict[str, bytes]) -> str:
    index = json.loads(files["index.json"])
    return "blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]


def _blob(files: dict[str, bytes], layer: int | None = None) -> str:
    """The layout path of the image's config blob, or of its layer number `layer`."""
    manifest = json.loads(files[_manifest_name(files)])
    descriptor = manifest["config"] if layer is None else manifest["layers"][layer]
    return "blobs/sha256/" + descriptor["digest"].split(":")[1]


def _with_manifest(files: dict[str, bytes], change: Any) -> dict[str, bytes]:
    """The layout with its image manifest changed by `change(manifest)` and index.json re-pointed."""
    name = _manifest_name(files)
    manifest = json.loads(files.pop(name))
    change(manifest)
    data = json.dumps(manifest).encode()
    files["blobs/sha256/" + _sha(data)] = data
    index = json.loads(files["index.json"])
    index["manifests"][0].update(digest="sha256:" + _sha(data), size=len(data))
    files["index.json"] = json.dumps(index).encode()
    return files


def test_a_traversal_digest_in_the_index_is_refused_and_nothing_outside_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.tar"
    outside.write_bytes(b"secret")
    files = oci_files(_layers(), "none")
    index = json.loads(files["index.json"])
    index["manifests"][0]["digest"] = "sha256:../../../outside.tar"
    files["index.json"] = json.dumps(index).encode()
    write_oci_layout(tmp_path / "layout", files)
    error = _error(tmp_path, "layout")
    assert "'sha256:../../../outside.tar', which is not a valid digest" in error


def test_a_traversal_digest_for_a_layer_is_refused(tmp_path: Path) -> None:
    files = _with_manifest(oci_files(_layers(), "none"),
                           lambda m: m["layers"][0].update(digest="sha256:../../../../etc/passwd"))
    write_oci_layout(tmp_path / "layout", files)
    assert "not a valid digest" in _error(tmp_path, "layout")


def test_a_blob_that_is_a_symlink_out_of_the_layout_is_refused(tmp_path: Path) -> None:
    files = oci_files(_layers(), "none")
    write_oci_layout(tmp_path / "layout", files)
    layer = tmp_path / "layout" / _blob(files, 0)
    (tmp_path / "elsewhere.tar").write_bytes(layer.read_bytes())
    layer.unlink()
    layer.symlink_to(tmp_path / "elsewhere.tar")
    assert "lies outside the image layout; refused" in _error(tmp_path, "layout")


def test_a_fifo_given_as_the_image_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "image.tar")
    assert "is a FIFO (named pipe), expected a regular file" in _error(tmp_path, "image.tar")


def test_a_fifo_as_a_blob_is_refused_without_blocking(tmp_path: Path) -> None:
    files = oci_files(_layers(), "none")
    write_oci_layout(tmp_path / "layout", files)
    layer = tmp_path / "layout" / _blob(files, 1)
    layer.unlink()
    os.mkfifo(layer)
    assert "is a FIFO (named pipe), expected a regular file" in _error(tmp_path, "layout")


def test_an_altered_config_does_not_match_its_digest(tmp_path: Path) -> None:
    files = oci_files(_layers(), "none")
    name = _blob(files)
    files[name] = files[name].replace(b'"linux"', b'"Linux"')  # same size, other bytes
    write_oci_layout(tmp_path / "layout", files)
    assert "does not match its digest" in _error(tmp_path, "layout")


def test_an_altered_gzip_layer_does_not_match_its_digest(tmp_path: Path) -> None:
    files = oci_files(_layers(), "gzip")
    name = _blob(files, 0)
    size = len(files[name])  # the size the manifest gives the layer
    files[name] = gzip.compress(gzip.decompress(files[name]).replace(b"a" * 500, b"b" * 500), mtime=0)
    files[name] = files[name][:size].ljust(size, b"\0")
    write_oci_layout(tmp_path / "layout", files)
    assert "does not match its digest" in _error(tmp_path, "layout")


def test_a_manifest_json_layer_climbing_out_is_refused(tmp_path: Path) -> None:
    files = oci_files(_layers(), "none", docker_manifest=True)
    legacy = json.loads(files["manifest.json"])
    legacy[0]["Layers"][0] = "../../outside.tar"
    files["manifest.json"] = json.dumps(legacy).encode()
    files.pop("index.json")
    write_oci_layout(tmp_path / "layout", files)
    assert "which lies outside the image; refused" in _error(tmp_path, "layout")


_FIELDS: list[tuple[str, str, type, bool]] = [
    # (document, field, right type, may be null/absent)
    ("index", "manifests", list, False),
    ("index", "digest", str, False),
    ("index", "size", int, True),
    ("index", "platform", dict, True),
    ("index", "annotation", str, True),
    ("manifest", "config", dict, False),
    ("manifest", "layers", list, True),
    ("manifest", "layer", dict, False),
    ("manifest", "mediaType", str, True),
]
_WRONG = [1, "x", [], {}, True, 1.5, None]


def _set(document: dict[str, Any], field: str, value: Any) -> None:
    if field == "manifests":
        document["manifests"] = value
    elif field == "annotation":
        document["manifests"][0]["annotations"] = {"io.containerd.image.name": value}
    elif field in ("digest", "size", "platform"):
        document["manifests"][0][field] = value
    elif field == "layer":
        document["layers"][0] = value
    elif field == "mediaType":
        document["layers"][0]["mediaType"] = value
    else:
        document[field] = value


_CASES = [(doc, name, right, nullable, value) for doc, name, right, nullable in _FIELDS for value in _WRONG
          if not isinstance(value, right) or (right is int and isinstance(value, bool))]


@pytest.mark.parametrize(("doc", "name", "right", "nullable", "value"), _CASES,
                         ids=[f"{d}-{n}={v!r}" for d, n, _r, _n, v in _CASES])
def test_wrongly_typed_fields_are_one_sentence(tmp_path: Path, doc: str, name: str, right: type, nullable: bool,
                                               value: Any) -> None:
    files = oci_files(_layers(), "none")
    if doc == "index":
        index = json.loads(files["index.json"])
        _set(index, name, value)
        files["index.json"] = json.dumps(index).encode()
    else:
        files = _with_manifest(files, lambda m: _set(m, name, value))
    write_oci_layout(tmp_path / "layout", files)
    result = measure_image(ImageSpec(name="img", base_dir=tmp_path, path="layout"))
    if value is None and nullable:
        assert result.error is None, result.error  # null is the field left out: valid
        return
    assert result.error is not None and "\n" not in result.error, result
    assert result.error.startswith("image 'img': ")


@pytest.mark.parametrize("config_change", [
    {"os": 3}, {"architecture": []}, {"rootfs": "layers"}, {"rootfs": {"diff_ids": "x"}},
    {"rootfs": {"diff_ids": [1]}}, {"history": {}}, {"history": [1]}, {"history": [{"created_by": 5}]},
    {"history": [{"empty_layer": "yes"}]},
])
def test_wrongly_typed_config_fields_are_one_sentence(tmp_path: Path, config_change: dict[str, Any]) -> None:
    files = oci_files(_layers(), "none")
    manifest_name = _manifest_name(files)
    manifest = json.loads(files[manifest_name])
    config_name = "blobs/sha256/" + manifest["config"]["digest"].split(":")[1]
    config = json.loads(files.pop(config_name))
    config.update(copy.deepcopy(config_change))
    data = json.dumps(config).encode()
    files["blobs/sha256/" + _sha(data)] = data
    files = _with_manifest(files, lambda m: m["config"].update(digest="sha256:" + _sha(data), size=len(data)))
    write_oci_layout(tmp_path / "layout", files)
    error = _error(tmp_path, "layout")
    assert "the image config" in error and "must be" in error


def test_headless_on_a_traversal_digest_exits_3_with_one_sentence(tmp_path: Path) -> None:
    files = oci_files(_layers(), "none")
    index = json.loads(files["index.json"])
    index["manifests"][0]["digest"] = "sha256:../../../outside.tar"
    files["index.json"] = json.dumps(index).encode()
    write_tar(tmp_path / "image.tar", files)
    (tmp_path / "lightprof.toml").write_text('version = 1\n[[image]]\nname = "img"\npath = "image.tar"\n')
    done = subprocess.run([sys.executable, "-m", "lightprof", "--headless", "-p", "lightprof.toml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "not a valid digest" in done.stdout + done.stderr


def _gzip_layer_variant(tmp_path: Path, make: Any) -> tuple[list[int], str | None]:
    """Layer 2 of test_images' image, re-encoded by `make(tar bytes)`; (layer sizes, error)."""
    import io
    import tarfile

    from tests.test_images import _layers as image_layers
    from tests.test_images import _replace_layer

    layers = image_layers()
    tars = [layer.tar() for layer in layers]
    with tarfile.open(fileobj=io.BytesIO(tars[1])) as tar:
        last = tar.getmembers()[-1]
    files = oci_files(layers, "gzip")
    old = gzip.compress(tars[1], compresslevel=6, mtime=0)
    files = _replace_layer(files, old, make(tars[1], last.offset_data + last.size))
    write_oci_layout(tmp_path / "layout", files)
    result = measure_image(ImageSpec(name="img", base_dir=tmp_path, path="layout"))
    return [layer.size_bytes for layer in result.layers], result.error


def test_gzip_layers_as_umoci_and_others_write_them_are_read(tmp_path: Path) -> None:
    from tests.test_images import SIZES

    variants = {
        "umoci: tar padding cut": lambda tar, end: gzip.compress(tar[:end], mtime=0),
        "two gzip members": lambda tar, end: gzip.compress(tar[:700], mtime=0) + gzip.compress(tar[700:], mtime=0),
        "zeros after the stream": lambda tar, end: gzip.compress(tar, mtime=0) + b"\0" * 1024,
        "zeros between members": lambda tar, end: (gzip.compress(tar[:700], mtime=0) + b"\0" * 3
                                                   + gzip.compress(tar[700:], mtime=0)),
    }
    for i, (what, make) in enumerate(variants.items()):
        sizes, error = _gzip_layer_variant(tmp_path / str(i), make)
        assert error is None and sizes == SIZES, what


def test_a_gzip_layer_cut_inside_a_file_is_one_sentence(tmp_path: Path) -> None:
    _sizes, error = _gzip_layer_variant(tmp_path, lambda tar, end: gzip.compress(tar, mtime=0)[:300])
    assert error is not None and "is truncated" in error and "\n" not in error


def test_gzip_stream_reads_what_gzipfile_reads_in_any_chunking() -> None:
    import io
    import random

    from lightprof.measure.images.layertar import GzipStream

    data = random.Random(3).randbytes(300_000) * 3
    blob = gzip.compress(data[:5], mtime=0) + b"\0" * 7 + gzip.compress(data[5:], mtime=0) + b"\0" * 2
    assert gzip.GzipFile(fileobj=io.BytesIO(blob)).read() == data  # the format, as the stdlib reads it
    for chunk in (1, 4096, 1 << 20):
        stream, out = GzipStream(io.BytesIO(blob)), bytearray()
        while piece := stream.read(chunk):
            out += piece
        assert bytes(out) == data
    with pytest.raises(EOFError):
        GzipStream(io.BytesIO(blob[:1000])).read(1 << 30)


@pytest.mark.parametrize(("key", "value"), [
    ("Config", 5), ("Config", None), ("Layers", "blobs/x"), ("Layers", [7]), ("RepoTags", "demo:1"),
    ("RepoTags", [None]), (None, "not an object"),
])
def test_wrongly_typed_docker_manifest_fields_are_one_sentence(tmp_path: Path, key: str | None, value: Any) -> None:
    files = oci_files(_layers(), "none", docker_manifest=True)
    legacy = json.loads(files.pop("manifest.json"))
    if key is None:
        legacy[0] = value
    else:
        legacy[0][key] = value
    files["manifest.json"] = json.dumps(legacy).encode()
    files.pop("index.json")
    write_oci_layout(tmp_path / "layout", files)
    error = _error(tmp_path, "layout")
    assert error.startswith("image 'img': manifest.json") and ("must be" in error or "has no 'Config'" in error)


def test_an_archive_with_more_files_than_any_image_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lightprof.measure.images import blobsource

    monkeypatch.setattr(blobsource, "ARCHIVE_FILES", 50)  # the real limit is 100,000: same path, fewer files
    files = oci_files(_layers(), "none")
    files.update({f"junk/{i}": b"" for i in range(60)})
    write_tar(tmp_path / "image.tar", files)
    assert "holds more than 50 files; an image archive holds a few per layer" in _error(tmp_path, "image.tar")
    files = {name: data for name, data in files.items() if not name.startswith("junk/")}
    write_tar(tmp_path / "fine.tar", files)
    assert measure_image(ImageSpec(name="img", base_dir=tmp_path, path="fine.tar")).error is None


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar is not installed")
def test_a_blob_stored_sparse_in_the_archive_is_one_sentence(tmp_path: Path) -> None:
    files = oci_files([Layer(files={"zeros": bytes(4 << 20), "bin/app": b"a" * 500})], "none")
    write_oci_layout(tmp_path / "layout", files)
    name = _blob(files, 0)
    data = files[name]
    hole_from, hole_to = 4096, (4 << 20) - 4096  # inside the zeros: rewritten as a hole, same bytes
    with open(tmp_path / "layout" / name, "wb") as out:
        out.write(data[:hole_from])
        out.seek(hole_to)
        out.write(data[hole_to:])
    assert (tmp_path / "layout" / name).read_bytes() == data
    subprocess.run(["tar", "--format=gnu", "-S", "-cf", str(tmp_path / "image.tar"), "-C", str(tmp_path / "layout"),
                    "."], check=True, capture_output=True)
    assert "is stored as a sparse file inside the archive" in _error(tmp_path, "image.tar")
