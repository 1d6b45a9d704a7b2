"""Result data of artifact and image sizing (filled in by the sizes measure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArtifactResult:
    name: str
    error: str | None = None
    raw_bytes: int | None = None
    gzip_bytes: int | None = None
    brotli_bytes: int | None = None
    files: int = 0
    largest: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ImageResult:
    name: str
    error: str | None = None
    size_bytes: int | None = None
    compressed_bytes: int | None = None
