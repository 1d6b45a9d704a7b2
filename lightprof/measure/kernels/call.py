"""Calling from Python into Wasm as cheaply as correctness allows, and copying data in and out.

The public `Func.__call__` fetches and converts the function's type and boxes every argument on
each call (24-38 us here; FIELD-NOTES). The direct path prepares the argument and result arrays
once and calls `wasmtime_func_call` through wasmtime-py's private ctypes bindings (~2 us). Those
are private API: the direct path is used only when the names it needs exist, the public path
stays available (`DirectCaller` falls back to `PublicCaller`), and tests check both agree.
wasmtime_func_call still type-checks the arguments natively, so a wrong array traps, never
corrupts.
"""

from __future__ import annotations

import ctypes
from typing import Any

import wasmtime

from lightprof.measure.kernels.engine import deadline_ticks

_KIND = {"i32": 0, "i64": 1, "f32": 2, "f64": 3}  # wasmtime_valkind_t


def _bindings() -> Any | None:
    """wasmtime's private bindings if they have what the direct path needs, else None."""
    try:
        from wasmtime import _bindings as b
        from wasmtime import _func

        needed = (
            (b, "_wasmtime_func_call"), (b, "_wasmtime_context_set_epoch_deadline"),
            (b, "wasmtime_val_t"), (b, "wasm_trap_t"), (_func, "LAST_EXCEPTION"),
            (wasmtime.Trap, "_from_ptr"), (wasmtime.WasmtimeError, "_from_ptr"),
        )
        if not all(hasattr(owner, name) for owner, name in needed):
            return None
    except (ImportError, AttributeError):
        return None
    return b


class PublicCaller:
    """Calls through the public API; sets the epoch deadline before every call."""

    path = "public"

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, params: tuple[str, ...],
                 results: tuple[str, ...], timeout_s: float) -> None:
        self.store = store
        self.func = func
        self.args: list[int | float] = [0] * len(params)
        self.ticks = deadline_ticks(timeout_s)

    def set_arg(self, index: int, value: int | float) -> None:
        self.args[index] = value

    def __call__(self) -> int | float | None:
        self.store.set_epoch_deadline(self.ticks)
        return self.func(self.store, *self.args)


class DirectCaller:
    """Calls `wasmtime_func_call` with argument/result arrays built once (results as public)."""

    path = "direct"

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, params: tuple[str, ...],
                 results: tuple[str, ...], timeout_s: float) -> None:
        b = _bindings()
        if b is None or len(results) > 1:
            raise RuntimeError("direct call path unavailable")
        self._b = b
        self.store = store
        self._func_keep = func  # keeps the Func (and its store handle) alive
        self._ctx = store._context()
        self._func_ref = ctypes.byref(func._func)
        self._params = (b.wasmtime_val_t * max(1, len(params)))()
        self._fields = [_field(t) for t in params]
        for i, t in enumerate(params):
            self._params[i].kind = _KIND[t]
        self._nparams = len(params)
        self._results = (b.wasmtime_val_t * max(1, len(results)))()
        self._nresults = len(results)
        self._result_field = _field(results[0]) if results else None
        self._trap = ctypes.POINTER(b.wasm_trap_t)()
        self._trap_ref = ctypes.byref(self._trap)
        self._call = b._wasmtime_func_call
        self._set_deadline = b._wasmtime_context_set_epoch_deadline
        self.ticks = deadline_ticks(timeout_s)

    def set_arg(self, index: int, value: int | float) -> None:
        setattr(self._params[index].of, self._fields[index], value)

    def __call__(self) -> int | float | None:
        self._set_deadline(self._ctx, self.ticks)
        error = self._call(self._ctx, self._func_ref, self._params, self._nparams,
                           self._results, self._nresults, self._trap_ref)
        if error:
            failure = wasmtime.WasmtimeError._from_ptr(error)
            host = _take_host_exception()  # a trap raised by a host stub arrives as an error
            raise host if isinstance(host, wasmtime.Trap) else failure
        if self._trap:
            trap = wasmtime.Trap._from_ptr(self._trap)
            self._trap = ctypes.POINTER(self._b.wasm_trap_t)()
            self._trap_ref = ctypes.byref(self._trap)
            host = _take_host_exception()
            raise host if isinstance(host, wasmtime.Trap) else trap
        if self._result_field is None:
            return None
        return getattr(self._results[0].of, self._result_field)


def _field(type_name: str) -> str:
    return type_name  # the union's field names are the value type names (i32, i64, f32, f64)


def _take_host_exception() -> BaseException | None:
    """A host stub that raised leaves its exception where the public path would re-raise it
    on a later call; take it (so it is not raised twice) and return it."""
    from wasmtime import _func

    host, _func.LAST_EXCEPTION = _func.LAST_EXCEPTION, None
    return host


def make_caller(store: wasmtime.Store, func: wasmtime.Func, params: tuple[str, ...],
                results: tuple[str, ...], timeout_s: float, *, direct: bool = True) -> DirectCaller | PublicCaller:
    if direct:
        try:
            return DirectCaller(store, func, params, results, timeout_s)
        except RuntimeError:
            pass
    return PublicCaller(store, func, params, results, timeout_s)


class LinearMemory:
    """Copies payloads into the instance's linear memory with one memmove, reads outputs back.

    The base address is re-read whenever the memory's size changed (a kernel grew it), so a
    moved memory is never written through a stale pointer.
    """

    def __init__(self, store: wasmtime.Store, memory: wasmtime.Memory) -> None:
        self.store = store
        self.memory = memory
        self._refresh()

    def _refresh(self) -> None:
        self.size = self.memory.data_len(self.store)
        self.base = ctypes.addressof(self.memory.data_ptr(self.store).contents)

    def check(self) -> None:
        if self.memory.data_len(self.store) != self.size:
            self._refresh()

    def write(self, offset: int, data: bytes) -> None:
        if offset + len(data) > self.size:
            raise ValueError("payload does not fit the kernel's memory")
        ctypes.memmove(self.base + offset, data, len(data))

    def read(self, offset: int, length: int) -> bytes:
        if offset + length > self.size:
            raise ValueError("output lies outside the kernel's memory")
        return ctypes.string_at(self.base + offset, length)
