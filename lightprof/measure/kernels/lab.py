"""The kernels lab: one kernel measured end to end, Wasm against its fallback (and NumPy).

Order of work: read kernel.toml and the fallback, load the module (disk cache), check imports
and signature, instantiate in a sandboxed store, compare outputs on edge cases and random input,
time the empty call (call overhead), then each payload size, then estimate the break-even size.
Every failure is a `KernelFailure` that ends this kernel only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import wasmtime

from lightprof.measure.events import EventSink, Progress, ignore
from lightprof.measure.kernels import cache, outputs, sandbox
from lightprof.measure.kernels.call import DirectCaller, LinearMemory, PublicCaller, make_caller
from lightprof.measure.kernels.counters import COUNTERS
from lightprof.measure.kernels.engine import ticking, wasmtime_version
from lightprof.measure.kernels.failure import KernelFailure
from lightprof.measure.kernels.manifest import load_manifest
from lightprof.measure.kernels.worker import FallbackWorker
from lightprof.model.kernels import CorrectnessCheck, KernelResult, KernelSizeRow, SandboxConfig
from lightprof.model.target import Summary
from lightprof.profile.spec import KernelSpec
from lightprof.stats import summarize

EDGE_SIZES = (0, 1, 15, 17, 255, 4099)  # empty, one byte, around one SIMD vector, not /16
PROBE_SIZES = (0, 64, 256, 1024)  # extra points for the break-even estimate
OVERHEAD_CALLS = 200
PUBLIC_OVERHEAD_CALLS = 50
MAX_PAYLOAD = (1 << 31) - (1 << 24)  # i32 arguments above 2^31 are silently truncated


def measure_kernel(spec: KernelSpec, on_event: EventSink = ignore,
                   cancel: threading.Event | None = None, *, direct: bool = True,
                   use_cache: bool = True) -> KernelResult:
    """Measure one kernel. Never raises for a bad kernel: the result carries `error`/`failure`.

    Emits `Progress` events; the caller (session) emits `SubjectFinished` with the result."""
    result = KernelResult(name=spec.name, wasmtime_version=wasmtime_version())
    lab: _Lab | None = None
    try:
        with ticking() as eng:
            lab = _Lab(spec, result, on_event, cancel, eng, direct, use_cache)
            lab.run()
    except KernelFailure as failure:
        result.failure = failure.kind
        if failure.kind == "mismatch":
            result.mismatch = failure.message  # measured and wrong: the gate fails it (exit 1)
        else:
            result.error = failure.message
    finally:
        if lab is not None and lab.worker is not None:
            lab.worker.close()
    result.instantiates_total = COUNTERS.instantiates_total
    result.cache_hits_total = COUNTERS.cache_hits_total
    result.compiles_total = COUNTERS.compiles_total
    return result


@dataclass
class _Timed:
    """Per-run samples of one implementation at one size (nanoseconds) and its CPU time."""

    e2e: list[int]
    op: list[int]
    marshal: list[int]
    cpu_ns: int


class _Lab:
    def __init__(self, spec: KernelSpec, result: KernelResult, on_event: EventSink,
                 cancel: threading.Event | None, eng: wasmtime.Engine, direct: bool, use_cache: bool) -> None:
        self.spec = spec
        self.result = result
        self.on_event = on_event
        self.cancel = cancel
        self.eng = eng
        self.direct = direct
        self.use_cache = use_cache
        self.step = 0
        self.total_steps = 5 + len(spec.sizes) + len(PROBE_SIZES)
        self.worker: FallbackWorker | None = None

    # ------------------------------------------------------------------ orchestration

    def run(self) -> None:
        spec, result = self.spec, self.result
        too_big = [s for s in spec.sizes if s > MAX_PAYLOAD]
        if too_big:
            raise KernelFailure("memory", f"payload size {too_big[0]} bytes is beyond what a 32-bit "
                                          f"Wasm memory can take (at most {MAX_PAYLOAD})")
        self.progress("reading kernel.toml")
        m = self.manifest = load_manifest(spec)
        result.summary = m.summary
        result.source = str(m.wasm)
        result.builtin = m.builtin
        self.progress("starting the fallback's worker")
        self.worker = FallbackWorker(m.fallback, m.fallback_timeout_s, self.cancel)
        result.fallback_start_s = self.worker.start_s
        self.numpy_run = "run_numpy" if self.worker.has("run_numpy") else None
        wasm = sandbox.read_wasm(m)
        result.module_sha256 = hashlib.sha256(wasm).hexdigest()

        self.progress("loading module")
        try:
            loaded = cache.load_module(self.eng, wasm, use_cache=self.use_cache)
        except wasmtime.WasmtimeError as exc:
            reason = sandbox.first_line(exc)
            raise KernelFailure("malformed", f"{m.wasm.name} is not a valid Wasm module: {reason}") from None
        result.cache_hit = loaded.cache_hit
        result.cache_note = loaded.note
        result.compile_s = loaded.compile_s
        result.deserialize_s = loaded.deserialize_s
        sandbox.check_module(loaded.module, m)

        self.out_ptr = m.input_offset
        self.in_ptr = _align(self.out_ptr + m.out_bytes, 64)
        largest = max((*spec.sizes, *EDGE_SIZES))
        inst = sandbox.instantiate(self.eng, loaded.module, m, self.in_ptr + largest)
        self.inst = inst
        result.instantiate_s = inst.instantiate_s
        result.sandbox = SandboxConfig(interruption="epoch", call_timeout_s=m.call_timeout_s,
                                       memory_cap_bytes=inst.memory_cap, imports=list(m.imports))
        self.memory = LinearMemory(inst.store, inst.memory)
        self.caller = make_caller(inst.store, inst.func, m.params, m.results, m.call_timeout_s, direct=self.direct)
        result.call_path = self.caller.path
        self._prepare(self.caller)

        self.progress("comparing outputs")
        self.check_outputs()
        self.progress("call overhead")
        self.measure_overhead()
        result.fallback_ipc_s = summarize(self.worker.round_trip_s())
        samples: dict[int, tuple[float, float]] = {}
        for size in spec.sizes:
            self.progress(f"{size} bytes")
            row = self.measure_size(size, spec.runs)
            result.sizes.append(row)
            if row.wasm_e2e_s and row.fallback_s:
                samples[size] = (row.wasm_e2e_s.p50, row.fallback_s.p50)
        for size in PROBE_SIZES:
            self.progress(f"break-even probe {size} bytes")
            if size not in samples:
                data = self.payload(size, seed=size)
                wasm_t = self.time_wasm(data, min(spec.runs, 15))
                fb_t = self.time_python("run", data, min(spec.runs, 15), "fallback")
                samples[size] = (_p50(wasm_t.e2e), _p50(fb_t.e2e))
        result.break_even_bytes, result.break_even_note = break_even(samples)
        if any(not c.ok for c in result.correctness):
            bad = next(c for c in result.correctness if not c.ok)
            raise KernelFailure("mismatch", f"outputs differ from the fallback's: {bad.implementation} "
                                            f"on {bad.case}: {bad.detail}")

    def progress(self, message: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise KernelFailure("cancelled", "measuring was cancelled")
        self.on_event(Progress(subject=self.spec.name, message=message, done=self.step, total=self.total_steps))
        self.step += 1

    def _prepare(self, caller: DirectCaller | PublicCaller) -> None:
        m = self.manifest
        caller.set_arg(0, self.in_ptr)
        caller.set_arg(1, 0)
        first_arg = 2
        if m.output == "u32_array":
            caller.set_arg(2, self.out_ptr)
            first_arg = 3
        for i, value in enumerate(m.args):
            caller.set_arg(first_arg + i, value)

    def payload(self, size: int, seed: int) -> bytes:
        assert self.worker is not None
        if self.worker.has("make_input"):
            return self.worker.make_input(size, seed)
        return outputs.make_input(self.manifest, size, seed)

    # ------------------------------------------------------------------ calls

    def call_wasm(self, data: bytes) -> Any:
        """Copy in, call, read out: the output as a Python value."""
        self.caller.set_arg(1, len(data))
        self.memory.check()
        self.memory.write(self.in_ptr, data)
        value = self._guarded_call(len(data))
        out = self.memory.read(self.out_ptr, self.manifest.out_bytes) if self.manifest.out_bytes else None
        return outputs.from_wasm(self.manifest, value, out)

    def _guarded_call(self, size: int, caller: DirectCaller | PublicCaller | None = None) -> Any:
        try:
            return (caller or self.caller)()
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            try:
                grown = self.inst.memory.data_len(self.inst.store)
            except (wasmtime.WasmtimeError, ValueError):
                grown = None
            raise sandbox.classify(exc, f"on a {size} byte payload", self.inst.memory_cap, grown,
                                   self.manifest.call_timeout_s) from None

    def call_python(self, impl: str, data: bytes, label: str) -> Any:
        """`impl` of the fallback in its worker, its output checked and in from_wasm's shape."""
        assert self.worker is not None
        return outputs.normalise(self.manifest, self.worker.call(impl, data, self.manifest.args), label)

    # ------------------------------------------------------------------ correctness

    def check_outputs(self) -> None:
        m, spec = self.manifest, self.spec
        largest = max(spec.sizes)
        cases: list[tuple[str, int, bytes | None]] = []
        seen: set[int] = set()
        for size in (*EDGE_SIZES, *sorted(spec.sizes), max(largest - 1, 0)):
            if size in seen:
                continue
            seen.add(size)
            label = {0: "empty", 1: "1 byte"}.get(size, f"{size} bytes")
            if size == largest:
                label = f"largest ({size} bytes)"
            cases.append((label, size, None))
        if m.input == "bytes":
            cases.append((f"all 0xff ({largest} bytes)", largest, b"\xff" * largest))
        for index, (label, size, fixed) in enumerate(cases):
            data = fixed if fixed is not None else self.payload(size, seed=1000 + index)
            want = self.call_python("run", data, "fallback")
            got = self.call_wasm(data)
            self._record(label, size, "wasm", got, want)
            if self.numpy_run is not None:
                got_np = self.call_python(self.numpy_run, data, "NumPy implementation")
                self._record(label, size, "numpy", got_np, want)

    def _record(self, label: str, size: int, impl: str, got: Any, want: Any) -> None:
        ok = outputs.same(self.manifest, got, want)
        detail = "" if ok else (f"got {outputs.describe(got)}, fallback {outputs.describe(want)}"
                                f"{outputs.first_difference(got, want)}")
        self.result.correctness.append(
            CorrectnessCheck(case=label, size_bytes=size, implementation=impl, ok=ok, detail=detail))

    # ------------------------------------------------------------------ timing

    def measure_overhead(self) -> None:
        """The empty-payload call: what crossing from Python into Wasm costs, per path."""
        self.caller.set_arg(1, 0)
        self.result.call_overhead_s = summarize(self._time_calls(self.caller, OVERHEAD_CALLS))
        if isinstance(self.caller, DirectCaller):
            public = PublicCaller(self.inst.store, self.inst.func, self.manifest.params,
                                  self.manifest.results, self.manifest.call_timeout_s)
            self._prepare(public)
            self.result.public_call_overhead_s = summarize(self._time_calls(public, PUBLIC_OVERHEAD_CALLS))
        else:
            self.result.public_call_overhead_s = self.result.call_overhead_s

    def _time_calls(self, caller: DirectCaller | PublicCaller, n: int) -> list[float]:
        clock = time.perf_counter_ns
        for _ in range(5):
            self._guarded_call(0, caller)
        samples = []
        for _ in range(n):
            started = clock()
            self._guarded_call(0, caller)
            samples.append((clock() - started) / 1e9)
        return samples

    def time_wasm(self, data: bytes, runs: int) -> _Timed:
        clock = time.perf_counter_ns
        memory, caller, call = self.memory, self.caller, self._guarded_call
        in_ptr, out_ptr, out_bytes, size = self.in_ptr, self.out_ptr, self.manifest.out_bytes, len(data)
        caller.set_arg(1, size)
        e2e, op, marshal = [], [], []
        warmup = min(3, runs)
        cpu_started = 0
        for i in range(warmup + runs):
            if i == warmup:
                cpu_started = time.process_time_ns()
                self._check_cancel()
            t0 = clock()
            memory.check()
            memory.write(in_ptr, data)
            t1 = clock()
            call(size)
            t2 = clock()
            if out_bytes:
                memory.read(out_ptr, out_bytes)
            t3 = clock()
            if i >= warmup:
                e2e.append(t3 - t0)
                op.append(t2 - t1)
                marshal.append((t1 - t0) + (t3 - t2))
        return _Timed(e2e, op, marshal, time.process_time_ns() - cpu_started)

    def time_python(self, impl: str, data: bytes, runs: int, label: str) -> _Timed:
        """`impl` timed in its worker: each call alone, as time_wasm times the Wasm side in this
        process; the pipe between the two is measured apart (`fallback_ipc_s`)."""
        assert self.worker is not None
        self._check_cancel()
        self.call_python(impl, data, label)  # surfaces a failing implementation as a named failure
        samples, cpu_ns = self.worker.time(impl, data, self.manifest.args, min(3, runs), runs)
        return _Timed(samples, samples, [], cpu_ns)

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise KernelFailure("cancelled", "measuring was cancelled")

    def measure_size(self, size: int, runs: int) -> KernelSizeRow:
        data = self.payload(size, seed=size)
        wasm = self.time_wasm(data, runs)
        fallback = self.time_python("run", data, runs, "fallback")
        numpy = self.time_python(self.numpy_run, data, runs, "NumPy implementation") if self.numpy_run else None
        row = KernelSizeRow(
            size_bytes=size,
            runs=runs,
            wasm_e2e_s=_summary(wasm.e2e),
            wasm_op_s=_summary(wasm.op),
            marshal_s=_summary(wasm.marshal),
            fallback_s=_summary(fallback.e2e),
            numpy_s=_summary(numpy.e2e) if numpy else None,
            wasm_e2e_samples_s=[s / 1e9 for s in wasm.e2e],
            fallback_samples_s=[s / 1e9 for s in fallback.e2e],
            numpy_samples_s=[s / 1e9 for s in numpy.e2e] if numpy else [],
        )
        assert row.wasm_e2e_s and row.fallback_s and row.marshal_s
        wasm_p50 = row.wasm_e2e_s.p50
        row.speedup = row.fallback_s.p50 / wasm_p50 if wasm_p50 > 0 else None
        if row.numpy_s is not None and wasm_p50 > 0:
            row.numpy_speedup = row.numpy_s.p50 / wasm_p50
        row.marshal_share = row.marshal_s.p50 / wasm_p50 if wasm_p50 > 0 else None
        row.wasm_bytes_per_cpu_s, row.wasm_ops_per_cpu_s = _throughput(size, runs, wasm.cpu_ns)
        row.fallback_bytes_per_cpu_s, row.fallback_ops_per_cpu_s = _throughput(size, runs, fallback.cpu_ns)
        if numpy is not None:
            row.numpy_bytes_per_cpu_s, row.numpy_ops_per_cpu_s = _throughput(size, runs, numpy.cpu_ns)
        return row


def break_even(samples: dict[int, tuple[float, float]]) -> tuple[int | None, str]:
    """The payload size from which Wasm (e2e p50) stays faster than the fallback (p50).

    Linear interpolation between the two measured sizes where the difference changes sign for
    the last time; 0 when Wasm wins at every measured size, None when it never wins.
    """
    sizes = sorted(samples)
    diff = [samples[s][0] - samples[s][1] for s in sizes]
    losing = [i for i, d in enumerate(diff) if d > 0]
    if not losing:
        return 0, f"Wasm is faster at every measured size ({sizes[0]} to {sizes[-1]} bytes)"
    last = losing[-1]
    if last == len(sizes) - 1:
        return None, f"the fallback is faster at every size up to {sizes[-1]} bytes measured"
    lo, hi = sizes[last], sizes[last + 1]
    d_lo, d_hi = diff[last], diff[last + 1]
    estimate = lo + (hi - lo) * d_lo / (d_lo - d_hi)
    return int(-(-estimate // 1)), f"interpolated between {lo} and {hi} bytes (p50 latency, Wasm e2e vs fallback)"


def _align(value: int, to: int) -> int:
    return -(-value // to) * to


def _p50(samples_ns: list[int]) -> float:
    return summarize([s / 1e9 for s in samples_ns]).p50


def _summary(samples_ns: list[int]) -> Summary | None:
    return summarize([s / 1e9 for s in samples_ns]) if samples_ns else None


def _throughput(size: int, runs: int, cpu_ns: int) -> tuple[float | None, float | None]:
    if cpu_ns <= 0:
        return None, None
    cpu_s = cpu_ns / 1e9
    return size * runs / cpu_s, runs / cpu_s
