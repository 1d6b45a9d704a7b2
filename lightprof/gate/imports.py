"""A target's import budgets as figures: `import_time` (the median of its own imports) and
`forbid_imports` (how many forbidden modules it imported on the way to ready; the limit is 0)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightprof.gate.figures import Figure
from lightprof.measure.attribution.importtime import forbidden
from lightprof.profile.spec import TargetSpec

if TYPE_CHECKING:
    from lightprof.model.target import TargetResult

NOT_PYTHON = "import budgets need a Python target (no -X importtime lines came from this one)"


def import_figures(spec: TargetSpec, result: TargetResult) -> list[Figure]:
    attribution = None if result.error else result.attribution
    imports = attribution if attribution is not None and attribution.kind == "python" else None
    if imports is not None or result.error:
        note = ""
    else:
        note = attribution.error if attribution is not None and attribution.error else NOT_PYTHON
    figures: list[Figure] = []
    if "import_time" in spec.budget:
        value = imports.import_time_s if imports is not None else None
        said = f"median of {imports.runs} starts; interpreter start-up apart" if imports is not None else note
        # The starts' range is the figure's interval: against a stored baseline's one number, only a
        # change beyond the tolerance by the whole range is a regression (a few starts are noisy).
        figures.append(Figure(spec.name, "import_time", value, spec.budget["import_time"], "s",
                              tolerance=spec.tolerance, note=said,
                              ci=imports.import_time_range_s if imports is not None else None))
    if spec.forbid_imports:
        if imports is not None:
            found = forbidden(imports.imports, spec.forbid_imports)
            said = f"imported: {', '.join(found[:5])}{' …' if len(found) > 5 else ''}" if found else ""
            figures.append(Figure(spec.name, "forbid_imports", float(len(found)), 0.0, "count",
                                  tolerance=0.0, note=said))
        else:
            figures.append(Figure(spec.name, "forbid_imports", None, 0.0, "count", note=note))
    return figures
