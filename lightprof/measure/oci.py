"""Find an image's config and layer blobs in a docker save tarball, OCI layout or OCI archive.

No daemon and no network: the files are read where they lie. A tarball is indexed once (tarfile
seeks over member data, so a 1 GB archive costs a pass over its headers only) and blobs are then
opened in place as seekable streams. Every way the input can be broken is one MeasureError.
"""

from __future__ import annotations

import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from lightprof.errors import MeasureError

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _normal(name: str) -> str:
    """Member names as "blobs/sha256/…": tar tools write "./x", "x" or "/x" for the same file."""
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/")


class BlobSource:
    """Named files inside an image container (a folder or a tar)."""

    label: str

    def has(self, name: str) -> bool:
        raise NotImplementedError

    def size(self, name: str) -> int:
        raise NotImplementedError

    def open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def close(self) -> None:
        """Release the open archive, if any."""

    def read_json(self, name: str, what: str) -> Any:
        if not self.has(name):
            raise MeasureError(f"{self.label}: {what} '{name}' is missing")
        with self.open(name) as stream:
            data = stream.read(64 * 1024 * 1024)
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise MeasureError(f"{self.label}: {what} '{name}' is not valid JSON") from None


class DirSource(BlobSource):
    """An OCI image layout (or an unpacked docker save) as a folder."""

    def __init__(self, root: Path, label: str) -> None:
        self.root = root
        self.label = label

    def _path(self, name: str) -> Path:
        return self.root / name

    def has(self, name: str) -> bool:
        return self._path(name).is_file()

    def size(self, name: str) -> int:
        return self._path(name).stat().st_size

    def open(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except OSError as exc:
            raise MeasureError(f"{self.label}: cannot read '{name}': {exc.strerror or exc}") from None


class TarSource(BlobSource):
    """A docker save tarball or an OCI archive, read in place."""

    def __init__(self, path: Path, label: str) -> None:
        self.label = label
        try:
            with open(path, "rb") as probe:
                magic = probe.read(4)
        except OSError as exc:
            raise MeasureError(f"{label}: cannot read '{path}': {exc.strerror or exc}") from None
        if magic.startswith(_GZIP_MAGIC) or magic == _ZSTD_MAGIC:
            kind = "gzip" if magic.startswith(_GZIP_MAGIC) else "zstd"
            raise MeasureError(
                f"{label}: '{path}' is a {kind}-compressed file; decompress it first "
                "(a docker save tarball or OCI archive is read as a plain tar)"
            )
        try:
            self.tar = tarfile.open(path, "r:")  # noqa: SIM115 - kept open until close(): blobs are read in place
            members = self.tar.getmembers()
        except tarfile.ReadError as exc:
            message = str(exc)
            if "unexpected end of data" in message:
                raise MeasureError(f"{label}: '{path}' is truncated: the tar ends inside a member") from None
            raise MeasureError(
                f"{label}: '{path}' is not a tar archive ({message}); "
                "expected a docker save tarball, an OCI archive or an OCI layout folder"
            ) from None
        except OSError as exc:
            raise MeasureError(f"{label}: cannot read '{path}': {exc.strerror or exc}") from None
        self.members = {_normal(m.name): m for m in members if m.isreg()}

    def has(self, name: str) -> bool:
        return name in self.members

    def size(self, name: str) -> int:
        return self.members[name].size

    def open(self, name: str) -> BinaryIO:
        stream = self.tar.extractfile(self.members[name])
        assert stream is not None  # members holds regular files only
        return stream

    def close(self) -> None:
        self.tar.close()


@dataclass
class LayerBlob:
    """One layer as the image's manifest names it."""

    name: str  # where the blob lies inside the source
    digest: str
    stored_bytes: int
    media_type: str = ""
    compression: str = "none"  # from the blob's first bytes, not its (often wrong) media type


@dataclass
class ImageLayout:
    """What the manifest says: format, config, layers in order from the base up."""

    format: str
    reference: str
    config: dict[str, Any]
    config_bytes: int
    layers: list[LayerBlob] = field(default_factory=list)


def open_source(path: Path, label: str) -> BlobSource:
    """A folder or tar at `path`, ready to be read; a missing path is a clear error."""
    if path.is_dir():
        return DirSource(path, label)
    if not path.exists():
        raise MeasureError(
            f"{label}: '{path}' does not exist; expected a docker save tarball, OCI archive or OCI layout"
        )
    return TarSource(path, label)


def _blob_name(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"blobs/{algorithm}/{encoded}"


def _check_blob(source: BlobSource, digest: str, expected: int | None, what: str) -> str:
    name = _blob_name(digest)
    if not source.has(name):
        raise MeasureError(f"{source.label}: the manifest names {what} {digest} but '{name}' is missing")
    actual = source.size(name)
    if expected is not None and actual != expected:
        raise MeasureError(
            f"{source.label}: {what} {digest} is {actual} bytes but the manifest says {expected} (truncated or corrupt)"
        )
    return name


def _sniff(source: BlobSource, name: str) -> str:
    with source.open(name) as stream:
        magic = stream.read(4)
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic == _ZSTD_MAGIC:
        return "zstd"
    return "none"


def _pick_manifest(source: BlobSource, index: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Follow index.json (through nested image indexes) to one image manifest descriptor."""
    for _depth in range(4):
        manifests = [m for m in index.get("manifests", []) if isinstance(m, dict) and "digest" in m]
        if not manifests:
            raise MeasureError(f"{source.label}: index.json lists no image manifest")

        def platform(m: dict[str, Any]) -> tuple[str, str]:
            p = m.get("platform") or {}
            return (p.get("os", ""), p.get("architecture", ""))

        # attestation manifests carry platform unknown/unknown; prefer a real linux/amd64 image
        usable = [m for m in manifests if platform(m) != ("unknown", "unknown")] or manifests
        chosen = next((m for m in usable if platform(m) == ("linux", "amd64")), usable[0])
        annotations = chosen.get("annotations") or {}
        reference = (annotations.get("io.containerd.image.name")
                     or annotations.get("org.opencontainers.image.ref.name", ""))
        name = _check_blob(source, chosen["digest"], chosen.get("size"), "manifest")
        document = source.read_json(name, "manifest")
        if chosen.get("mediaType") in _INDEX_TYPES or document.get("mediaType") in _INDEX_TYPES:
            index = document
            continue
        return document, reference
    raise MeasureError(f"{source.label}: image indexes nest too deeply")


def _oci_layout(source: BlobSource, fmt: str) -> ImageLayout:
    index = source.read_json("index.json", "index")
    manifest, reference = _pick_manifest(source, index)
    config_desc = manifest.get("config")
    if not isinstance(config_desc, dict) or "digest" not in config_desc:
        raise MeasureError(f"{source.label}: the image manifest has no config descriptor")
    config_name = _check_blob(source, config_desc["digest"], config_desc.get("size"), "config")
    config = source.read_json(config_name, "config")
    layout = ImageLayout(fmt, reference, config, source.size(config_name))
    for desc in manifest.get("layers", []):
        name = _check_blob(source, desc["digest"], desc.get("size"), "layer")
        layout.layers.append(
            LayerBlob(name, desc["digest"], source.size(name), desc.get("mediaType", ""), _sniff(source, name))
        )
    return layout


def _docker_save(source: BlobSource) -> ImageLayout:
    manifest = source.read_json("manifest.json", "manifest")
    if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
        raise MeasureError(f"{source.label}: manifest.json lists no image")
    entry = manifest[0]
    config_name = _normal(str(entry.get("Config", "")))
    if not source.has(config_name):
        raise MeasureError(f"{source.label}: manifest.json names config '{config_name}' but it is missing")
    config = source.read_json(config_name, "config")
    tags = entry.get("RepoTags") or []
    layout = ImageLayout("docker-save", tags[0] if tags else "", config, source.size(config_name))
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    for i, raw_name in enumerate(entry.get("Layers") or []):
        name = _normal(str(raw_name))
        if not source.has(name):
            raise MeasureError(f"{source.label}: manifest.json names layer '{name}' but it is missing")
        if name.startswith("blobs/"):  # Docker >= 25 names blobs by digest; trust the name
            digest = name.split("/", 1)[1].replace("/", ":", 1)
        else:
            digest = diff_ids[i] if i < len(diff_ids) else os.path.dirname(name)
        layout.layers.append(LayerBlob(name, digest, source.size(name), "", _sniff(source, name)))
    return layout


def read_layout(source: BlobSource, is_dir: bool) -> ImageLayout:
    """Detect the format and read the manifest: which config and which layer blobs, in order."""
    if source.has("index.json"):
        if source.has("manifest.json"):
            return _oci_layout(source, "docker-save-oci")
        return _oci_layout(source, "oci-layout" if is_dir else "oci-archive")
    if source.has("manifest.json"):
        return _docker_save(source)
    raise MeasureError(
        f"{source.label}: not a container image: it has neither index.json (OCI) nor manifest.json (docker save)"
    )
