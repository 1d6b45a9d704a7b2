"""Budget → figure for an artifact: its shipped size, counting the compression its spec names."""

from __future__ import annotations

from lightprof.gate.figures import Figure
from lightprof.model.sizes import ArtifactResult
from lightprof.profile.spec import ArtifactSpec


def artifact_figures(spec: ArtifactSpec, result: ArtifactResult) -> list[Figure]:
    """The budgeted figure (`size`, counting spec.compression) of one artifact.

    An artifact that could not be measured yields a `size` figure with measured None even without
    a budget, so the gate reports it as unmeasured rather than silently dropping it.
    """
    if spec.budget is None and result.error is None:
        return []
    note = result.error or ("raw bytes" if spec.compression == "none" else f"{spec.compression} bytes")
    return [
        Figure(
            subject=spec.name,
            metric="size",
            measured=None if result.error else result.counted_bytes,
            limit=spec.budget,
            unit="bytes",
            kind="artifact",
            tolerance=spec.tolerance,
            note=note,
        )
    ]
