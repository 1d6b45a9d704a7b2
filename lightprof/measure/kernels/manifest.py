"""kernel.toml: what a kernel folder declares (export, signature, input, output, comparison).

The format is documented in docs/kernels.md. Every problem is a `KernelFailure("manifest", ...)`
naming the file and the key, so one bad kernel never stops the others.
"""

from __future__ import annotations

import math
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from lightprof.errors import shown
from lightprof.measure.kernels.failure import KernelFailure
from lightprof.profile.load import data_dir
from lightprof.profile.spec import KernelSpec
from lightprof.safefile import UnsafeInput, read_regular_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MANIFEST = "kernel.toml"
VALUE_TYPES = ("i32", "i64", "f32", "f64")
OUTPUTS = ("i32", "u32", "i64", "u64", "f32", "f64", "u32_array")
INPUTS = ("bytes", "f32_pairs")
COMPARES = ("exact", "approx")
DEFAULT_INPUT_OFFSET = 65536  # the first page belongs to the kernel (tables, scratch)
_KEYS = (
    "summary", "wasm", "export", "memory", "params", "results", "input", "args", "output",
    "output_count", "compare", "rtol", "atol", "imports", "fallback", "input_offset",
    "call_timeout_s", "fallback_timeout_s",
)
MAX_TIMEOUT_S = 3600.0
MANIFEST_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class KernelManifest:
    """A kernel folder, validated. The export is called as (input_ptr, input_len[, out_ptr], *args)."""

    name: str
    folder: Path
    builtin: bool
    summary: str
    wasm: Path
    export: str
    memory: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    input: str
    args: tuple[int | float, ...]
    output: str
    output_count: int
    compare: str
    rtol: float
    atol: float
    imports: tuple[str, ...]
    fallback: Path
    input_offset: int
    call_timeout_s: float
    fallback_timeout_s: float = 10.0

    @property
    def out_bytes(self) -> int:
        """Bytes the kernel writes at out_ptr (u32_array outputs only)."""
        return 4 * self.output_count if self.output == "u32_array" else 0

    def expected_params(self) -> tuple[str, ...]:
        """The parameter types the calling convention needs, given output and args."""
        layout = ["i32", "i32"] + (["i32"] if self.output == "u32_array" else [])
        return tuple(layout) + self.params[len(layout):]


def kernel_folder(spec: KernelSpec) -> tuple[Path, bool]:
    """The folder of `spec`'s kernel and whether it is a built-in."""
    if spec.path is None:
        return data_dir("kernels") / spec.name, True
    return (spec.base_dir / spec.path).resolve(), False


def builtin_names() -> list[str]:
    root = data_dir("kernels")
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def load_manifest(spec: KernelSpec) -> KernelManifest:
    folder, builtin = kernel_folder(spec)
    file = folder / MANIFEST
    if not os.path.lexists(file):
        if builtin:
            known = ", ".join(builtin_names()) or "none"
            raise KernelFailure("manifest", f"there is no built-in kernel named '{spec.name}' "
                                            f"(built-ins: {known}); set path = \"...\" for your own")
        raise KernelFailure("manifest", f"{file} does not exist: a kernel folder needs a kernel.toml")
    try:
        data = tomllib.loads(read_regular_text(file, str(file), MANIFEST_LIMIT))
    except UnsafeInput as exc:
        raise KernelFailure("manifest", exc.message) from None
    except tomllib.TOMLDecodeError as exc:
        raise KernelFailure("manifest", f"{file}: cannot be read as TOML ({exc})") from None
    except RecursionError:
        raise KernelFailure("manifest", f"{file}: its tables or arrays nest too deeply to be a kernel.toml") from None
    return _validate(data, file, spec.name, builtin)


def _fail(file: Path, message: str) -> KernelFailure:
    return KernelFailure("manifest", f"{file}: {message}")


def _types(data: dict, key: str, file: Path) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or any(v not in VALUE_TYPES for v in value):
        raise _fail(file, f"'{key}' must be a list of {', '.join(VALUE_TYPES)}")
    return tuple(value)


def _str(data: dict, key: str, file: Path, default: str | None = None, choices: tuple[str, ...] = ()) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise _fail(file, f"'{key}' must be a non-empty string")
    if choices and value not in choices:
        raise _fail(file, f"'{key}' must be one of {', '.join(choices)}, got {shown(repr(value))}")
    return value


def _number(data: dict, key: str, file: Path, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise _fail(file, f"'{key}' must be a finite number of at least 0")
    return float(value)


def _seconds(data: dict, key: str, file: Path, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_TIMEOUT_S:
        raise _fail(file, f"'{key}' must be a number of seconds above 0 and at most {MAX_TIMEOUT_S:g}, "
                          f"got {shown(repr(value))}")
    return float(value)


def _check_regular(path: Path, key: str, file: Path) -> None:
    """`path` is a regular file (a FIFO would block whoever reads it; a device never ends)."""
    from lightprof.safefile import kind_of

    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        why = "does not exist" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc.strerror})"
        raise _fail(file, f"'{key}' names {shown(path.name)}, which {why}") from None
    except ValueError:  # a NUL byte: no file can have that name
        raise _fail(file, f"'{key}' must name a file; the name contains a NUL byte") from None
    if not stat.S_ISREG(mode):
        raise _fail(file, f"'{key}' names {shown(path.name)}, which is {kind_of(mode)}; expected a regular file")


def _validate(data: dict, file: Path, name: str, builtin: bool) -> KernelManifest:
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise _fail(file, f"unknown key '{shown(unknown[0])}' (expected one of: {', '.join(_KEYS)})")
    folder = file.parent
    wasm = folder / _str(data, "wasm", file)
    if wasm.suffix not in (".wat", ".wasm"):
        raise _fail(file, f"'wasm' must name a .wat or .wasm file, got {shown(repr(wasm.name))}")
    _check_regular(wasm, "wasm", file)
    fallback = folder / _str(data, "fallback", file, "fallback.py")
    _check_regular(fallback, "fallback", file)
    output = _str(data, "output", file, choices=OUTPUTS)
    output_count = data.get("output_count", 0)
    count_ok = isinstance(output_count, int) and not isinstance(output_count, bool) and 0 < output_count <= 1 << 20
    if output == "u32_array" and not count_ok:
        raise _fail(file, "'output_count' must be an integer from 1 to 1048576 for output = \"u32_array\"")
    args = data.get("args", [])
    if not isinstance(args, list) or any(isinstance(a, bool) or not isinstance(a, (int, float)) for a in args):
        raise _fail(file, "'args' must be a list of numbers")
    imports = data.get("imports", [])
    if not isinstance(imports, list) or any(not isinstance(i, str) or "." not in i for i in imports):
        raise _fail(file, "'imports' must be a list of \"module.name\" strings")
    input_offset = data.get("input_offset", DEFAULT_INPUT_OFFSET)
    if not isinstance(input_offset, int) or isinstance(input_offset, bool) or input_offset < 0:
        raise _fail(file, "'input_offset' must be a byte offset of at least 0")
    manifest = KernelManifest(
        name=name,
        folder=folder,
        builtin=builtin,
        summary=str(data.get("summary", "")),
        wasm=wasm,
        export=_str(data, "export", file),
        memory=_str(data, "memory", file, "memory"),
        params=_types(data, "params", file),
        results=_types(data, "results", file),
        input=_str(data, "input", file, "bytes", INPUTS),
        args=tuple(args),
        output=output,
        output_count=output_count if output == "u32_array" else 0,
        compare=_str(data, "compare", file, "exact", COMPARES),
        rtol=_number(data, "rtol", file, 0.0),
        atol=_number(data, "atol", file, 0.0),
        imports=tuple(imports),
        fallback=fallback,
        input_offset=input_offset,
        call_timeout_s=_seconds(data, "call_timeout_s", file, 1.0),
        fallback_timeout_s=_seconds(data, "fallback_timeout_s", file, 10.0),
    )
    _check_convention(manifest, file)
    return manifest


def _check_convention(m: KernelManifest, file: Path) -> None:
    """The declared signature must fit the calling convention; the module is checked later."""
    layout = 3 if m.output == "u32_array" else 2
    if len(m.params) != layout + len(m.args) or tuple(m.params[:layout]) != ("i32",) * layout:
        want = ", ".join(["i32"] * layout + ["<arg>"] * len(m.args))
        raise _fail(file, f"'params' must be [{want}] for output = {m.output!r} with {len(m.args)} args")
    if m.output == "u32_array":
        if m.results:
            raise _fail(file, "'results' must be [] for output = \"u32_array\" (counts are written at out_ptr)")
    elif len(m.results) != 1:
        raise _fail(file, f"'results' must hold exactly one type for output = {m.output!r}")
    elif (m.output in ("f32", "f64")) != (m.results[0] in ("f32", "f64")):
        raise _fail(file, f"'results' = [{m.results[0]!r}] does not fit output = {m.output!r}")
