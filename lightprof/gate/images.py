"""Budget → figure for a container image: size, compressed size, dive's waste and efficiency."""

from __future__ import annotations

from lightprof.gate.figures import Figure
from lightprof.model.sizes import ImageResult
from lightprof.profile.spec import ImageSpec


def image_figures(spec: ImageSpec, result: ImageResult) -> list[Figure]:
    """One Figure per budget set on the image (size, size_compressed, wasted_bytes, efficiency).

    An image that could not be measured yields a `size` figure with measured None even without a
    budget, so the gate reports it as unmeasured.
    """
    wanted: list[tuple[str, float | None, float | None, str, bool, str]] = [
        ("size", spec.budget, result.size_bytes, "bytes", False, "uncompressed (sum of layer tar headers)"),
        ("size_compressed", spec.budget_compressed, result.compressed_bytes, "bytes", False,
         "estimated: " + result.compression_note if result.compressed_estimated else "sum of layer blobs"),
        ("wasted_bytes", spec.wasted_max, result.wasted_bytes, "bytes", False, "dive's wasted bytes"),
        ("efficiency", spec.efficiency_min, result.efficiency, "ratio", True, "dive's efficiency"),
    ]
    figures: list[Figure] = []
    for metric, limit, measured, unit, higher, note in wanted:
        if limit is None and not (result.error and metric == "size"):
            continue
        figures.append(Figure(
            subject=spec.name,
            metric=metric,
            measured=None if result.error else measured,
            limit=limit,
            unit=unit,
            kind="image",
            higher_is_better=higher,
            tolerance=spec.tolerance,
            note=result.error or (note if measured is not None else result.compression_note),
        ))
    return figures
