"""Result data of the Wasm kernels lab (filled in by the kernels measure).

Latency distributions are `Summary` (lightprof.model.target). A headless run without kernels
does not import this module (lightprof.model.result names KernelResult for type checkers only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lightprof.model.target import Summary


@dataclass
class KernelSizeRow:
    """One payload size: Wasm end to end (copy in + call + read out) against the fallback.

    `wasm_op_s` is the call alone (call overhead included), `marshal_s` the copy into linear
    memory plus reading the output back. Speedups are fallback (or NumPy) p50 over Wasm e2e p50:
    above 1 Wasm wins. Throughput is per second of process CPU time.
    """

    size_bytes: int
    runs: int = 0
    wasm_e2e_s: Summary | None = None
    wasm_op_s: Summary | None = None
    marshal_s: Summary | None = None
    fallback_s: Summary | None = None
    numpy_s: Summary | None = None
    speedup: float | None = None
    numpy_speedup: float | None = None
    marshal_share: float | None = None
    wasm_bytes_per_cpu_s: float | None = None
    wasm_ops_per_cpu_s: float | None = None
    fallback_bytes_per_cpu_s: float | None = None
    fallback_ops_per_cpu_s: float | None = None
    numpy_bytes_per_cpu_s: float | None = None
    numpy_ops_per_cpu_s: float | None = None
    # The raw runs (seconds), for distributions in the TUI and in reports.
    wasm_e2e_samples_s: list[float] = field(default_factory=list)
    fallback_samples_s: list[float] = field(default_factory=list)
    numpy_samples_s: list[float] = field(default_factory=list)


@dataclass
class CorrectnessCheck:
    """Outputs of one implementation compared with the fallback's on one input."""

    case: str  # "empty", "1 byte", "17 bytes", "largest (1048576 bytes)", ...
    size_bytes: int
    implementation: str  # "wasm" or "numpy"
    ok: bool
    detail: str = ""


@dataclass
class SandboxConfig:
    """How a kernel was confined: no WASI, only declared imports (as trapping stubs)."""

    interruption: str = "epoch"  # "epoch" (engine epoch deadline per call) or "fuel"
    call_timeout_s: float = 1.0
    memory_cap_bytes: int = 0
    imports: list[str] = field(default_factory=list)
    wasi: bool = False


@dataclass
class KernelResult:
    name: str
    error: str | None = None  # why the kernel could not be measured (None when it was)
    failure: str | None = None  # "timeout", "trap", "memory", "malformed", "signature", "imports",
    #                             "fallback", "manifest", "cancelled", "runtime"; or "mismatch"
    mismatch: str | None = None  # measured, but outputs differ from the fallback's: a gate failure
    summary: str = ""
    source: str = ""
    builtin: bool = True
    module_sha256: str = ""
    wasmtime_version: str = ""
    call_path: str = ""  # "direct" (ctypes into wasmtime_func_call) or "public" (Func.__call__)
    sizes: list[KernelSizeRow] = field(default_factory=list)
    call_overhead_s: Summary | None = None
    public_call_overhead_s: Summary | None = None
    break_even_bytes: int | None = None
    break_even_note: str = ""
    compile_s: float | None = None
    deserialize_s: float | None = None
    cache_hit: bool = False
    instantiate_s: float | None = None
    instantiates_total: int = 0
    cache_hits_total: int = 0
    compiles_total: int = 0
    correctness: list[CorrectnessCheck] = field(default_factory=list)
    sandbox: SandboxConfig | None = None
    # The fallback runs in a worker process (docs/kernels.md, "Isolation"); its ops are timed
    # inside the worker. What the worker costs, apart from them: its start (spawn + importing the
    # fallback) and one empty request's round trip through its pipe.
    fallback_isolation: str = "worker process"
    fallback_start_s: float | None = None
    fallback_ipc_s: Summary | None = None
    cache_note: str = ""  # why the compiled-module cache was not used, when it was not

