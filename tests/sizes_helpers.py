"""Builders of real image archives for the sizes tests: layer tars, docker save, OCI layout/archive.

Written with tarfile and json from the formats' specs, independently of lightprof's reader.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


@dataclass
class Layer:
    """A layer to write: files (path -> bytes), directories, and whiteouts of lower paths."""

    files: dict[str, bytes] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    created_by: str = ""

    def tar(self) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for folder in self.dirs:
                info = tarfile.TarInfo(folder.rstrip("/") + "/")
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            for path in self.whiteouts:
                folder, _, base = path.rpartition("/")
                info = tarfile.TarInfo(f"{folder}/.wh.{base}" if folder else f".wh.{base}")
                tar.addfile(info, io.BytesIO(b""))
            for path, data in self.files.items():
                info = tarfile.TarInfo(path)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()


def header_size_sum(layer_tar: bytes) -> int:
    """The sum of the sizes in a layer tar's headers, read back with tarfile."""
    with tarfile.open(fileobj=io.BytesIO(layer_tar), mode="r:") as tar:
        return sum(member.size for member in tar.getmembers())


def compress(data: bytes, method: str) -> bytes:
    if method == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if method == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(data)
    return data


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_for(layers: list[Layer], tars: list[bytes]) -> bytes:
    history = []
    for layer in layers:
        history.append({"created_by": "ENV X=1", "empty_layer": True})  # made no layer: skipped
        history.append({"created_by": layer.created_by})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digest(t) for t in tars]},
        "history": history,
    }
    return json.dumps(config).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def write_docker_save(path: Path, layers: list[Layer], *, compression: str = "none") -> list[bytes]:
    """A classic `docker save` tarball: manifest.json, <id>.json, <id>/layer.tar. Returns the blobs."""
    tars = [layer.tar() for layer in layers]
    blobs = [compress(t, compression) for t in tars]
    config = config_for(layers, tars)
    config_name = digest(config).split(":")[1] + ".json"
    names = [f"{digest(t).split(':')[1]}/layer.tar" for t in tars]
    manifest = [{"Config": config_name, "RepoTags": ["demo:1"], "Layers": names}]
    with tarfile.open(path, "w") as tar:
        _add(tar, "manifest.json", json.dumps(manifest).encode())
        _add(tar, config_name, config)
        for name, blob in zip(names, blobs, strict=True):
            _add(tar, name, blob)
    return blobs


def oci_files(layers: list[Layer], compression: str, *, docker_manifest: bool = False) -> dict[str, bytes]:
    """Every file of an OCI image layout (index.json, oci-layout, blobs), by relative name."""
    tars = [layer.tar() for layer in layers]
    blobs = [compress(t, compression) for t in tars]
    config = config_for(layers, tars)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest(config), "size": len(config)},
        "layers": [
            {"mediaType": LAYER_TYPES[compression], "digest": digest(b), "size": len(b)} for b in blobs
        ],
    }
    manifest_bytes = json.dumps(manifest).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": digest(manifest_bytes), "size": len(manifest_bytes),
            "annotations": {"org.opencontainers.image.ref.name": "1"},
        }],
    }
    files = {
        "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
        "index.json": json.dumps(index).encode(),
    }
    for blob in [config, manifest_bytes, *blobs]:
        files["blobs/sha256/" + digest(blob).split(":")[1]] = blob
    if docker_manifest:  # Docker >= 25 writes the legacy manifest.json beside the OCI layout
        legacy = [{
            "Config": "blobs/sha256/" + digest(config).split(":")[1],
            "RepoTags": ["demo:1"],
            "Layers": ["blobs/sha256/" + digest(b).split(":")[1] for b in blobs],
        }]
        files["manifest.json"] = json.dumps(legacy).encode()
    return files


def write_oci_layout(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def write_tar(path: Path, files: dict[str, bytes], *, prefix: str = "") -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            _add(tar, prefix + name, data)


def blob_sizes(files: dict[str, bytes]) -> int:
    """Sum of the layer blob sizes listed in the layout's manifest (read back from its JSON)."""
    index = json.loads(files["index.json"])
    manifest = json.loads(files["blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]])
    return sum(layer["size"] for layer in manifest["layers"])
