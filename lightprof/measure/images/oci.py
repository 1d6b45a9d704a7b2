"""Find an image's config and layer blobs in a docker save tarball, OCI layout or OCI archive.

No daemon and no network: the files are read where they lie (blobsource.py). Every way the
manifests can be broken is one MeasureError naming the document and the field.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from lightprof.errors import MeasureError, shown
from lightprof.measure.images.blobsource import GZIP_MAGIC, ZSTD_MAGIC, BlobSource, normal_name

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
# The digests the OCI image spec registers, each with its exact length: anything else is refused,
# so a digest can never name a path ("sha256:../../outside.tar").
DIGEST = re.compile(r"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})\Z")


@dataclass
class LayerBlob:
    """One layer as the image's manifest names it."""

    name: str  # where the blob lies inside the source
    digest: str
    stored_bytes: int
    media_type: str = ""
    compression: str = "none"  # from the blob's first bytes, not its (often wrong) media type
    verify: bool = False  # `digest` is the blob's own: check it when the blob is read whole


@dataclass
class ImageLayout:
    """What the manifest says: format, config, layers in order from the base up."""

    format: str
    reference: str
    config: dict[str, Any]
    config_bytes: int
    layers: list[LayerBlob] = field(default_factory=list)


_KINDS: dict[str, type | tuple[type, ...]] = {"a string": str, "an integer": int, "an object": dict, "a list": list,
                                             "true or false": bool}


def field_of(document: Any, key: str, kind: str, where: str, label: str, *, required: bool = False) -> Any:
    """document[key], checked to be `kind` ("a string", "an integer", ...); None when absent and
    not required. A wrong type is one sentence naming the document and the field."""
    if not isinstance(document, dict):
        raise MeasureError(f"{label}: {where} must be a JSON object, got {_json_type(document)}")
    value = document.get(key)
    if value is None:
        if required:
            raise MeasureError(f"{label}: {where} has no '{key}' ({kind} expected)")
        return None
    expected = _KINDS[kind]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise MeasureError(f"{label}: {where} field '{key}' must be {kind}, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _items(document: Any, key: str, kind: str, where: str, label: str) -> list[Any]:
    """document[key] as a list whose every item is `kind` (absent: empty)."""
    values = field_of(document, key, "a list", where, label) or []
    expected = _KINDS[kind]
    for i, value in enumerate(values):
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise MeasureError(f"{label}: {where} field '{key}' item {i + 1} must be {kind}, got {_json_type(value)}")
    return values


def _blob_name(digest: str) -> str:
    algorithm, _, encoded = digest.partition(":")
    return f"blobs/{algorithm}/{encoded}"


def _descriptor(source: BlobSource, desc: Any, what: str, where: str) -> tuple[str, str, int]:
    """(digest, blob name, size) of a content descriptor, every field checked, the blob present and
    of the size the descriptor gives."""
    label = source.label
    digest = field_of(desc, "digest", "a string", where, label, required=True)
    if not DIGEST.match(digest):
        raise MeasureError(f"{label}: {where} names {what} digest '{shown(digest)}', which is not a valid digest "
                           "(expected sha256: and 64 lowercase hex digits, or sha512: and 128)")
    expected = field_of(desc, "size", "an integer", where, label)
    field_of(desc, "mediaType", "a string", where, label)
    name = _blob_name(digest)
    if not source.has(name):
        raise MeasureError(f"{label}: the manifest names {what} {digest} but '{name}' is missing")
    actual = source.size(name)
    if expected is not None and actual != expected:
        raise MeasureError(
            f"{label}: {what} {digest} is {actual} bytes but the manifest says {expected} "
            f"({where} field 'size'): truncated or corrupt"
        )
    return digest, name, actual


def _sniff(source: BlobSource, name: str) -> str:
    with source.open(name) as stream:
        magic = stream.read(4)
    if magic.startswith(GZIP_MAGIC):
        return "gzip"
    if magic == ZSTD_MAGIC:
        return "zstd"
    return "none"


def _platform(source: BlobSource, desc: dict[str, Any], where: str) -> tuple[str, str]:
    platform = field_of(desc, "platform", "an object", where, source.label) or {}
    return (field_of(platform, "os", "a string", where + " platform", source.label) or "",
            field_of(platform, "architecture", "a string", where + " platform", source.label) or "")


def _pick_manifest(source: BlobSource, index: Any) -> tuple[dict[str, Any], str]:
    """Follow index.json (through nested image indexes) to one image manifest descriptor."""
    where = "index.json"
    for _depth in range(4):
        manifests = _items(index, "manifests", "an object", where, source.label)
        if not manifests:
            raise MeasureError(f"{source.label}: {where} lists no image manifest")
        platforms = [_platform(source, m, f"{where} manifest {i + 1}") for i, m in enumerate(manifests)]
        # attestation manifests carry platform unknown/unknown; prefer a real linux/amd64 image
        usable = [i for i, p in enumerate(platforms) if p != ("unknown", "unknown")] or list(range(len(manifests)))
        chosen_at = next((i for i in usable if platforms[i] == ("linux", "amd64")), usable[0])
        chosen = manifests[chosen_at]
        chosen_where = f"{where} manifest {chosen_at + 1}"
        annotations = field_of(chosen, "annotations", "an object", chosen_where, source.label) or {}
        reference = (field_of(annotations, "io.containerd.image.name", "a string", chosen_where, source.label)
                     or field_of(annotations, "org.opencontainers.image.ref.name", "a string", chosen_where,
                                 source.label) or "")
        digest, name, _size = _descriptor(source, chosen, "manifest", chosen_where)
        document = source.read_json(name, "manifest", digest)
        where = f"manifest {digest[:19]}"
        media = field_of(document, "mediaType", "a string", where, source.label)
        declared = field_of(chosen, "mediaType", "a string", chosen_where, source.label)
        if declared in _INDEX_TYPES or media in _INDEX_TYPES:
            index = document
            continue
        return document, reference
    raise MeasureError(f"{source.label}: image indexes nest too deeply")


def _oci_layout(source: BlobSource, fmt: str) -> ImageLayout:
    index = source.read_json("index.json", "index")
    manifest, reference = _pick_manifest(source, index)
    where = "the image manifest"
    config_desc = field_of(manifest, "config", "an object", where, source.label, required=True)
    config_digest, config_name, config_size = _descriptor(source, config_desc, "config", where + " config")
    config = source.read_json(config_name, "config", config_digest)
    layout = ImageLayout(fmt, reference, check_config(config, source.label), config_size)
    for i, desc in enumerate(_items(manifest, "layers", "an object", where, source.label)):
        digest, name, size = _descriptor(source, desc, "layer", f"{where} layer {i + 1}")
        media = field_of(desc, "mediaType", "a string", where, source.label) or ""
        layout.layers.append(LayerBlob(name, digest, size, media, _sniff(source, name), verify=True))
    return layout


def check_config(config: Any, label: str) -> dict[str, Any]:
    """The image config with every field lightprof reads type-checked (os, architecture, rootfs,
    history)."""
    where = "the image config"
    for key in ("os", "architecture"):
        field_of(config, key, "a string", where, label)
    rootfs = field_of(config, "rootfs", "an object", where, label)
    if rootfs is not None:
        _items(rootfs, "diff_ids", "a string", where + " rootfs", label)
    for i, item in enumerate(_items(config, "history", "an object", where, label)):
        field_of(item, "created_by", "a string", f"{where} history item {i + 1}", label)
        field_of(item, "empty_layer", "true or false", f"{where} history item {i + 1}", label)
    return config


def _member(raw: str, what: str, label: str) -> str:
    """A file named by manifest.json, relative to the archive or folder and never climbing out."""
    name = normal_name(raw)
    if not name or ".." in name.split("/"):
        raise MeasureError(f"{label}: manifest.json names {what} '{shown(raw)}', which lies outside the image; refused")
    return name


def _docker_save(source: BlobSource) -> ImageLayout:
    label = source.label
    manifest = source.read_json("manifest.json", "manifest")
    if not isinstance(manifest, list) or not manifest:
        raise MeasureError(f"{label}: manifest.json lists no image")
    entry = manifest[0]
    where = "manifest.json image 1"
    config_name = _member(field_of(entry, "Config", "a string", where, label, required=True), "config", label)
    if not source.has(config_name):
        raise MeasureError(f"{label}: {where} field 'Config' names config '{shown(config_name)}' but it is missing")
    config = check_config(source.read_json(config_name, "config"), label)
    tags = _items(entry, "RepoTags", "a string", where, label)
    layout = ImageLayout("docker-save", tags[0] if tags else "", config, source.size(config_name))
    diff_ids = _items(config.get("rootfs") or {}, "diff_ids", "a string", "the image config rootfs", label)
    for i, raw_name in enumerate(_items(entry, "Layers", "a string", where, label)):
        name = _member(raw_name, "layer", label)
        if not source.has(name):
            raise MeasureError(
                f"{label}: {where} field 'Layers' item {i + 1} names layer '{shown(name)}' but it is missing"
            )
        verify = False
        if name.startswith("blobs/"):  # Docker >= 25 names blobs by digest: checked where it is read whole
            digest = name.split("/", 1)[1].replace("/", ":", 1)
            verify = bool(DIGEST.match(digest))
        else:
            digest = diff_ids[i] if i < len(diff_ids) else os.path.dirname(name)
        layout.layers.append(LayerBlob(name, digest, source.size(name), "", _sniff(source, name), verify=verify))
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
