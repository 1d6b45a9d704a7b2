"""Read a speedscope file (what py-spy writes): check its shape, fold its samples into functions.

The file format (https://www.speedscope.app/file-format-schema.json): `shared.frames` lists every
frame once ({name, file, line}); each of `profiles` is "sampled" (`samples`: stacks of frame
indices, root first, with `weights`) or "evented" (open/close events). py-spy writes one sampled
profile per thread (and per process with --subprocesses).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightprof.model.attribution import FunctionRow

SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"
MAX_FILE_BYTES = 256 * 1024 * 1024


class NotSpeedscope(ValueError):
    """The file is not a speedscope file lightprof can read; the message says what is wrong."""


@dataclass(frozen=True)
class Frame:
    name: str
    file: str
    line: int | None


@dataclass
class Samples:
    """Every sampled stack (frame indices, root first) with its weight, and the frames they index."""

    frames: list[Frame]
    stacks: list[tuple[tuple[int, ...], float]]

    @property
    def total(self) -> float:
        return sum(weight for _, weight in self.stacks)


def read(path: Path, *, conform: bool = False) -> Samples:
    """The samples of a speedscope file; NotSpeedscope when it is not one.

    With `conform`, the file is first rewritten to follow the schema where py-spy does not: it
    writes `null` for absent optional numbers (`activeProfileIndex`, a frame's `col`), which the
    schema types as numbers; speedscope's validators refuse them, so they are left out.
    """
    if path.stat().st_size > MAX_FILE_BYTES:
        raise NotSpeedscope(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotSpeedscope(f"{path} is not JSON ({exc})") from None
    samples = parse(data)
    if conform:
        _drop_nulls(data)
        path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    return samples


def _drop_nulls(data: dict[str, Any]) -> None:
    """Leave out the optional fields that are null: the file itself and each frame."""
    for key in [k for k, v in data.items() if v is None]:
        del data[key]
    for frame in data["shared"]["frames"]:
        for key in [k for k, v in frame.items() if v is None]:
            del frame[key]


def parse(data: object) -> Samples:
    if not isinstance(data, dict) or data.get("$schema") != SCHEMA_URL:
        raise NotSpeedscope(f"no \"$schema\": \"{SCHEMA_URL}\"")
    shared = data.get("shared")
    raw_frames = shared.get("frames") if isinstance(shared, dict) else None
    if not isinstance(raw_frames, list):
        raise NotSpeedscope("no shared.frames array")
    frames = []
    for i, frame in enumerate(raw_frames):
        if not isinstance(frame, dict) or not isinstance(frame.get("name"), str):
            raise NotSpeedscope(f"shared.frames[{i}] has no name")
        line = frame.get("line")
        frames.append(Frame(frame["name"], str(frame.get("file") or ""), line if isinstance(line, int) else None))
    profiles = data.get("profiles")
    if not isinstance(profiles, list):
        raise NotSpeedscope("no profiles array")
    stacks: list[tuple[tuple[int, ...], float]] = []
    for i, profile in enumerate(profiles):
        if not isinstance(profile, dict) or profile.get("type") not in ("sampled", "evented"):
            raise NotSpeedscope(f"profiles[{i}] is neither sampled nor evented")
        if profile["type"] == "evented":
            continue  # py-spy writes sampled profiles only; an evented one has no samples to count
        samples, weights = profile.get("samples"), profile.get("weights")
        if not isinstance(samples, list) or not isinstance(weights, list) or len(samples) != len(weights):
            raise NotSpeedscope(f"profiles[{i}] needs samples and weights of the same length")
        for stack, weight in zip(samples, weights, strict=True):
            if not isinstance(stack, list) or not all(isinstance(f, int) and 0 <= f < len(frames) for f in stack):
                raise NotSpeedscope(f"profiles[{i}] has a sample that is not a list of frame indices")
            if not isinstance(weight, (int, float)) or weight < 0:
                raise NotSpeedscope(f"profiles[{i}] has a weight that is not a number ≥ 0")
            stacks.append((tuple(stack), float(weight)))
    return Samples(frames, stacks)


def functions(samples: Samples, *, skip_file_prefix: str = "<frozen ") -> list[FunctionRow]:
    """One row per function, by self share (the samples where it ran) then total share (on the stack).

    The import machinery's frozen frames are on nearly every stack of a start and explain nothing:
    they are left out of the rows, though their samples still count in the total.
    """
    total = samples.total
    if total <= 0:
        return []
    # py-spy names a frame by the line running in it: one function sampled on two lines is two
    # frames. A function is its name in its file; its row shows the first line sampled.
    key = [(frame.name, frame.file) for frame in samples.frames]
    first_line: dict[tuple[str, str], int | None] = {}
    for k, frame in zip(key, samples.frames, strict=True):
        seen = first_line.get(k)
        first_line[k] = frame.line if seen is None or (frame.line is not None and frame.line < seen) else seen
    own: dict[tuple[str, str], float] = defaultdict(float)
    anywhere: dict[tuple[str, str], float] = defaultdict(float)
    for stack, weight in samples.stacks:
        if not stack:
            continue
        own[key[stack[-1]]] += weight
        for function in {key[i] for i in stack}:
            anywhere[function] += weight
    rows = [
        FunctionRow(name, file, first_line[(name, file)], own[(name, file)] / total, share / total)
        for (name, file), share in anywhere.items()
        if file and not file.startswith(skip_file_prefix)  # no file: py-spy's "process N" root frames
    ]
    rows.sort(key=lambda row: (-row.self_share, -row.total_share, row.name))
    return rows
