"""Helpers for the kernels tests: kernel folders written from WAT text in a temporary directory."""

from __future__ import annotations

from pathlib import Path

from lightprof.profile.spec import KernelSpec

SUM_FALLBACK = "def run(data):\n    return sum(data)\n"

SUM_TOML = """
summary = "test kernel"
wasm = "{wasm}"
export = "k"
params = ["i32", "i32"]
results = ["i64"]
input = "bytes"
output = "u64"
compare = "exact"
imports = {imports}
fallback = "fallback.py"
"""


def make_kernel(root: Path, name: str, *, wat: str | None = None, wasm: bytes | None = None,
                imports: str = "[]", toml: str | None = None, fallback: str = SUM_FALLBACK) -> Path:
    """A kernel folder `root/name` with kernel.toml, the module (WAT text or .wasm bytes) and
    a fallback (by default the byte sum)."""
    folder = root / name
    folder.mkdir(parents=True)
    if wat is not None:
        (folder / "kernel.wat").write_text(wat)
        file = "kernel.wat"
    else:
        assert wasm is not None
        (folder / "kernel.wasm").write_bytes(wasm)
        file = "kernel.wasm"
    (folder / "kernel.toml").write_text(toml or SUM_TOML.format(wasm=file, imports=imports))
    (folder / "fallback.py").write_text(fallback)
    return folder


def spec_for(root: Path, name: str, sizes: tuple[int, ...] = (1024,), runs: int = 3, **extra: object) -> KernelSpec:
    return KernelSpec(name=name, base_dir=root, path=name, sizes=sizes, runs=runs, **extra)


def builtin(name: str, sizes: tuple[int, ...] = (4096,), runs: int = 3, **extra: object) -> KernelSpec:
    return KernelSpec(name=name, base_dir=Path.cwd(), sizes=sizes, runs=runs, **extra)


# A correct scalar byte sum, the base of several hostile variants.
GOOD_SUM = """
(module
  (memory (export "memory") 1)
  (func (export "k") (param $p i32) (param $n i32) (result i64)
    (local $end i32) (local $s i64)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l)))
    (local.get $s)))
"""
