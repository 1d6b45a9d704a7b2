"""Confinement of one kernel: read and check the module, instantiate it with limits.

No WASI and no host access: the only imports a module may have are those kernel.toml declares,
and they are linked to functions that trap when called. Each store gets a memory cap
(`Store.set_limits`) and an epoch deadline before any guest code runs (start functions too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import wasmtime

from lightprof.measure.kernels.counters import COUNTERS
from lightprof.measure.kernels.engine import deadline_ticks
from lightprof.measure.kernels.failure import KernelFailure
from lightprof.measure.kernels.manifest import KernelManifest
from lightprof.units import format_size

PAGE = 65536
HEADROOM = 16 * 1024 * 1024  # what a kernel may grow beyond the lab's layout before the cap
MODULE_LIMIT = 256 * 1024 * 1024  # a module (or its WAT) larger than this is refused unread


def read_wasm(manifest: KernelManifest) -> bytes:
    """The module's binary: a .wasm as is, a .wat compiled by wasmtime.wat2wasm."""
    from lightprof.safefile import UnsafeInput, read_regular

    try:
        raw = read_regular(manifest.wasm, str(manifest.wasm), MODULE_LIMIT)
    except UnsafeInput as exc:
        raise KernelFailure("malformed", exc.message) from None
    if manifest.wasm.suffix == ".wasm":
        return raw
    try:
        return bytes(wasmtime.wat2wasm(raw.decode("utf-8")))
    except (UnicodeDecodeError, wasmtime.WasmtimeError) as exc:
        raise KernelFailure("malformed", f"{manifest.wasm.name} is not valid WAT: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    """The reason of a wasmtime error in one line: the "Caused by:" part when there is one
    (a trap's first line is only "error while executing at wasm backtrace:")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if "Caused by:" in lines:
        return "; ".join(lines[lines.index("Caused by:") + 1:]) or lines[0]
    return lines[0] if lines else type(exc).__name__


def check_module(module: wasmtime.Module, manifest: KernelManifest) -> None:
    """Imports all declared functions, the export exists with the declared signature, and
    the memory is exported."""
    for imp in module.imports:
        name = f"{imp.module}.{imp.name}"
        if name not in manifest.imports:
            raise KernelFailure("imports", f"the module imports {name}, which kernel.toml does not "
                                           "declare (kernels get no host access)")
        if not isinstance(imp.type, wasmtime.FuncType):
            raise KernelFailure("imports", f"the module imports {name}, which is not a function; "
                                           "only function imports can be declared")
    exports = {e.name: e.type for e in module.exports}
    func_type = exports.get(manifest.export)
    if not isinstance(func_type, wasmtime.FuncType):
        raise KernelFailure("signature", f"the module has no exported function '{manifest.export}'")
    params = tuple(str(p) for p in func_type.params)
    results = tuple(str(r) for r in func_type.results)
    if params != manifest.params or results != manifest.results:
        raise KernelFailure(
            "signature",
            f"export '{manifest.export}' has signature ({', '.join(params)}) -> ({', '.join(results)}), "
            f"kernel.toml declares ({', '.join(manifest.params)}) -> ({', '.join(manifest.results)})",
        )
    if not isinstance(exports.get(manifest.memory), wasmtime.MemoryType):
        raise KernelFailure("signature", f"the module exports no memory named '{manifest.memory}'")


@dataclass
class Instance:
    """A kernel instantiated in its own store, memory grown once to fit the layout."""

    store: wasmtime.Store
    func: wasmtime.Func
    memory: wasmtime.Memory
    memory_cap: int
    instantiate_s: float


def _stub(name: str) -> Callable[..., None]:
    def trap(*_args: object) -> None:
        raise wasmtime.Trap(f"kernel called host import {name}; lightprof gives kernels no host access")

    return trap


def instantiate(eng: wasmtime.Engine, module: wasmtime.Module, manifest: KernelManifest, needed_bytes: int) -> Instance:
    """Instantiate with a memory cap of the layout plus HEADROOM; grow memory once to the layout."""
    needed_pages = -(-needed_bytes // PAGE)
    cap = needed_pages * PAGE + HEADROOM
    store = wasmtime.Store(eng)
    store.set_limits(memory_size=cap, instances=1, memories=1, tables=4)
    store.set_epoch_deadline(deadline_ticks(manifest.call_timeout_s))
    linker = wasmtime.Linker(eng)
    for imp in module.imports:
        # check_module let only declared function imports through; this narrows the types to them.
        if isinstance(imp.type, wasmtime.FuncType) and imp.name is not None:
            linker.define_func(imp.module, imp.name, imp.type, _stub(f"{imp.module}.{imp.name}"))
    started = time.perf_counter()
    try:
        instance = linker.instantiate(store, module)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        raise classify(exc, "while instantiating", cap, timeout_s=manifest.call_timeout_s) from None
    elapsed = time.perf_counter() - started
    COUNTERS.add("instantiates_total")
    exports = instance.exports(store)
    func = exports[manifest.export]
    memory = exports[manifest.memory]
    assert isinstance(func, wasmtime.Func) and isinstance(memory, wasmtime.Memory)
    have = memory.size(store)
    if have < needed_pages:
        try:
            memory.grow(store, needed_pages - have)
        except wasmtime.WasmtimeError as exc:
            raise KernelFailure("memory", f"its memory cannot grow to the {needed_pages * PAGE} bytes "
                                          f"the payloads need ({first_line(exc)})") from None
    return Instance(store, func, memory, cap, elapsed)


def classify(exc: BaseException, where: str, cap: int, memory_bytes: int | None = None,
             timeout_s: float = 1.0) -> KernelFailure:
    """A trap or runtime error of the guest as a named failure."""
    text = first_line(exc)
    lowered = text.lower()
    limit = format_size(cap)
    if "interrupt" in lowered or "fuel" in lowered:
        return KernelFailure("timeout", f"did not return within its {timeout_s:g} s time bound {where} "
                                        f"and was stopped ({text})")
    if memory_bytes is not None and memory_bytes + PAGE > cap:
        return KernelFailure("memory", f"grew its linear memory to the {limit} cap and then failed {where} ({text})")
    if "memory" in lowered and ("limit" in lowered or "exceed" in lowered or "minimum" in lowered):
        return KernelFailure("memory", f"needs more memory than the {limit} cap {where} ({text})")
    if isinstance(exc, wasmtime.Trap) or "trap" in lowered:
        return KernelFailure("trap", f"trapped {where}: {text}")
    return KernelFailure("trap", f"failed {where}: {text}")
