"""Reading a report back (`--open report.json`): refused unless lightprof could have written it."""

from __future__ import annotations

from pathlib import Path

from lightprof.errors import ProfileError
from lightprof.model.result import SCHEMA_VERSION, Result
from lightprof.model.verdict import VERDICTS

# A report of 100,000 runs is ~40 MB; a file far beyond what lightprof writes is refused before it
# is parsed (json holds ~10 bytes of objects per byte of text).
MAX_REPORT_BYTES = 128 * 1024 * 1024
REPORT_EXIT_CODES = (0, 1, 2, 3, 130)


def load_report(path: str | Path) -> Result:
    """Load a report written by `--json`; a bad file is one clear ProfileError (exit 2).

    The file is read like a profile (a regular file, bounded) and checked like one: every field
    against its type (finite numbers, integers that fit 64 bits, arrays of objects), subject names
    unique and printable, verdicts and the exit code among those lightprof writes.
    """
    import json

    from lightprof.safefile import UnsafeInput, read_regular

    label = _label(path)
    try:
        raw = read_regular(path, label, MAX_REPORT_BYTES)
    except UnsafeInput as exc:
        raise ProfileError(exc.message) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProfileError(f"{label}: is not UTF-8 text, expected a lightprof JSON report") from None
    except RecursionError:
        raise ProfileError(f"{label}: arrays or objects nest too deeply to be a lightprof report") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{label}:{exc.lineno}: not a lightprof JSON report ({exc.msg})") from None
    if not isinstance(data, dict) or "schema" not in data or "targets" not in data:
        raise ProfileError(f"{label}: not a lightprof JSON report (no 'schema' and 'targets' fields)")
    if data["schema"] != SCHEMA_VERSION or isinstance(data["schema"], bool):
        raise ProfileError(
            f"{label}: report schema {_shown(repr(data['schema']))} is not supported; expected {SCHEMA_VERSION}"
        )
    from lightprof.model.codec import DecodeError

    try:
        result = Result.from_dict(data)
        _check_report(result)
    except DecodeError as exc:
        where = f"'{_shown(exc.path)}' " if exc.path else ""
        raise ProfileError(f"{label}: not a valid lightprof report: {where}{exc.message}") from None
    return result


def _check_report(result: Result) -> None:
    """What the types alone do not say: names, verdicts, exit code (raises DecodeError)."""
    from lightprof.model.codec import DecodeError

    seen: dict[str, str] = {}
    for kind in ("targets", "artifacts", "images", "kernels"):
        for i, subject in enumerate(getattr(result, kind)):
            where = f"{kind}[{i}].name"
            name = subject.name
            if not name or len(name) > 1000 or not name.isprintable():
                raise DecodeError(where, f"must be a printable subject name, got {_shown(repr(name))}")
            if name in seen:
                raise DecodeError(where, f"'{name}' is also the name of {seen[name]}; each subject has its own")
            seen[name] = kind[:-1] + f" {i}"
    for i, image in enumerate(result.images):
        indexes: set[int] = set()
        for j, layer in enumerate(image.layers):
            if layer.index in indexes:
                raise DecodeError(f"images[{i}].layers[{j}].index", f"{layer.index} is also another layer's index")
            indexes.add(layer.index)
    judged: set[tuple[str, str]] = set()
    for i, row in enumerate(result.budgets):
        if (row.subject, row.metric) in judged:
            raise DecodeError(f"budgets[{i}]", f"judges {_shown(repr(row.subject))} {_shown(repr(row.metric))} "
                                               "a second time; a report judges each budget once")
        judged.add((row.subject, row.metric))
        if row.verdict not in VERDICTS:
            got = _shown(repr(row.verdict))
            raise DecodeError(f"budgets[{i}].verdict", f"must be one of {', '.join(VERDICTS)}, got {got}")
    if result.exit_code not in REPORT_EXIT_CODES:
        codes = ", ".join(map(str, REPORT_EXIT_CODES))
        raise DecodeError("exit_code", f"must be one of {codes}, got {result.exit_code}")


def _label(path: str | Path) -> str:
    text = str(path)
    return text if text.isprintable() else repr(text)[1:-1]


def _shown(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
