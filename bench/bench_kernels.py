"""Wasm kernels on this machine, in one run: each built-in against its fallback and NumPy.

    .venv/bin/python bench/bench_kernels.py [--runs N] [--sizes 4096,1048576]

Prints, per built-in and payload size, p50 latencies (Wasm end to end = copy in + call + read
out), throughput per CPU-second and speedups; then the acceptance figures of issue 5: byte-sum
SIMD vs NumPy's uint8 sum at 1 MiB, disk-cache load vs compile, the per-call overhead of the
public and the direct call path, break-even sizes, and what epoch interruption costs; then what
running fallbacks in a worker process costs against running them in lightprof's own process (the
op timed inside each alike, rounds interleaved), and the worker's start and pipe round trip apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightprof.measure.kernels.manifest import builtin_names  # noqa: E402
from lightprof.model.kernels import KernelResult  # noqa: E402
from lightprof.profile.spec import KernelSpec  # noqa: E402

MiB = 1 << 20


def us(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e6:9.1f}µs"


def rate(bytes_per_s: float | None) -> str:
    return "—" if bytes_per_s is None else f"{bytes_per_s / 1e9:6.2f} GB/cpu-s"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:7.2f}x"


def measure_all(runs: int, sizes: tuple[int, ...]) -> list[KernelResult]:
    from lightprof.measure.kernels import measure_kernel

    results = []
    for name in builtin_names():
        result = measure_kernel(KernelSpec(name=name, base_dir=REPO, sizes=sizes, runs=runs))
        results.append(result)
    return results


def print_table(results: list[KernelResult]) -> None:
    print(f"{'kernel':<13} {'size':>8}  {'wasm e2e':>11} {'(op)':>11} {'marshal':>7}  {'fallback':>11} "
          f"{'numpy':>11}  {'vs fallback':>11} {'vs numpy':>9}  {'wasm thr.':>16} {'fallback thr.':>16}")
    for r in results:
        if r.error:
            print(f"{r.name:<13} FAILED: {r.error}")
            continue
        for row in r.sizes:
            print(f"{r.name:<13} {row.size_bytes:>8}  {us(row.wasm_e2e_s.p50)} {us(row.wasm_op_s.p50)} "
                  f"{row.marshal_share:6.0%}  {us(row.fallback_s.p50)} "
                  f"{us(row.numpy_s.p50 if row.numpy_s else None)}  {ratio(row.speedup):>11} "
                  f"{ratio(row.numpy_speedup):>9}  {rate(row.wasm_bytes_per_cpu_s):>16} "
                  f"{rate(row.fallback_bytes_per_cpu_s):>16}")


def instantiate(eng, module) -> None:  # noqa: ANN001 - wasmtime types, imported lazily
    import wasmtime

    store = wasmtime.Store(eng)
    store.set_epoch_deadline(1 << 30)
    wasmtime.Instance(store, module, [])


def cache_vs_compile(repeats: int = 41) -> dict[str, float]:
    """Median seconds of the lab's module load (`cache.load_module`) in one warm process: a miss
    on an empty cache (key, compile, serialize, store) and a hit (key, read, MAC check,
    deserialize), each in runs of its own so neither pays for the other's cache pollution; compile
    and deserialize alone; and an instantiation (store + instance), which both then pay."""
    from lightprof.measure.kernels import cache
    from lightprof.measure.kernels.engine import engine
    from lightprof.measure.kernels.manifest import load_manifest
    from lightprof.measure.kernels.sandbox import read_wasm

    wasm = read_wasm(load_manifest(KernelSpec(name="sum_u8", base_dir=REPO)))
    eng = engine()
    cache.load_module(eng, wasm, use_cache=False)  # warm: the first compile pays one-time setup
    times: dict[str, list[float]] = {"miss": [], "hit": [], "compile": [], "deserialize": [], "instantiate": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(repeats):
            os.environ["LIGHTPROF_CACHE_DIR"] = os.path.join(tmp, str(round_))
            started = time.perf_counter()
            first = cache.load_module(eng, wasm)
            times["miss"].append(time.perf_counter() - started)
            times["compile"].append(first.compile_s)
        for round_ in range(repeats):
            os.environ["LIGHTPROF_CACHE_DIR"] = os.path.join(tmp, str(round_))
            started = time.perf_counter()
            second = cache.load_module(eng, wasm)
            times["hit"].append(time.perf_counter() - started)
            times["deserialize"].append(second.deserialize_s)
            assert second.cache_hit
            started = time.perf_counter()
            instantiate(eng, second.module)
            times["instantiate"].append(time.perf_counter() - started)
    os.environ.pop("LIGHTPROF_CACHE_DIR", None)
    return {name: statistics.median(values) for name, values in times.items()}


_FRESH = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
import wasmtime
from lightprof.measure.kernels import cache
from lightprof.measure.kernels.engine import engine
from lightprof.measure.kernels.manifest import load_manifest
from lightprof.measure.kernels.sandbox import read_wasm
from lightprof.profile.spec import KernelSpec
eng = engine()
wasmtime.Module(eng, "(module)")  # the engine's own start-up, paid alike with or without a cache
wasm = read_wasm(load_manifest(KernelSpec(name="sum_u8", base_dir=Path({repo!r}))))
started = time.perf_counter()
loaded = cache.load_module(eng, wasm)
store = wasmtime.Store(eng)
store.set_epoch_deadline(1 << 30)
wasmtime.Instance(store, loaded.module, [])
print(json.dumps({{"hit": loaded.cache_hit, "s": time.perf_counter() - started}}))
"""


def cache_in_fresh_processes(repeats: int = 7) -> tuple[float, float]:
    """Median seconds from asking for the module to an instance, in a fresh process: the first
    run of lightprof (compile, store) and the next one (disk-cache hit)."""
    import json
    import subprocess

    script = _FRESH.format(repo=str(REPO))
    first, second = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "LIGHTPROF_CACHE_DIR": tmp}
            for bucket in (first, second):
                done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                      check=True)
                bucket.append(json.loads(done.stdout)["s"])
    return statistics.median(first), statistics.median(second)


def epoch_cost(size: int = MiB, repeats: int = 200) -> dict[str, tuple[float, float]]:
    """p50 op time with and without epoch interruption compiled in, for a SIMD and a scalar kernel."""
    import ctypes

    import wasmtime

    from lightprof.measure.kernels.manifest import load_manifest
    from lightprof.measure.kernels.sandbox import read_wasm

    out: dict[str, tuple[float, float]] = {}
    for name in ("sum_u8", "fnv1a32"):
        wasm = read_wasm(load_manifest(KernelSpec(name=name, base_dir=REPO)))
        timings = []
        for epoch in (False, True):
            config = wasmtime.Config()
            config.epoch_interruption = epoch
            eng = wasmtime.Engine(config)
            store = wasmtime.Store(eng)
            if epoch:
                store.set_epoch_deadline(1 << 30)
            instance = wasmtime.Instance(store, wasmtime.Module(eng, wasm), [])
            memory = instance.exports(store)["memory"]
            func = instance.exports(store)[name]
            memory.grow(store, size // 65536 + 2)
            base = ctypes.addressof(memory.data_ptr(store).contents)
            ctypes.memmove(base + 65536, os.urandom(size), size)
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                func(store, 65536, size)
                samples.append(time.perf_counter() - started)
            timings.append(statistics.median(samples))
        out[name] = (timings[0], timings[1])
    return out


def worker_vs_in_process(sizes: tuple[int, ...], runs: int, rounds: int = 5) -> None:
    """Each built-in fallback's p50 timed in lightprof's process and in its worker, same run."""
    import importlib.util
    import random

    from lightprof.measure.kernels.manifest import load_manifest
    from lightprof.measure.kernels.outputs import make_input
    from lightprof.measure.kernels.worker import FallbackWorker

    print(f"\nFallback in a worker process vs in lightprof's process (p50 of {runs} runs x {rounds} interleaved "
          "rounds; the op timed inside each, the pipe apart):")
    print(f"  {'kernel':<13} {'size':>8}  {'in-process':>11} {'worker':>11} {'worker÷in':>9}   "
          f"{'worker start':>12} {'round trip':>11} {'send payload':>13}")
    for name in builtin_names():
        manifest = load_manifest(KernelSpec(name=name, base_dir=REPO))
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", manifest.fallback)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        started = time.perf_counter()
        worker = FallbackWorker(manifest.fallback, 60.0)
        start_s = time.perf_counter() - started
        try:
            trip = statistics.median(worker.round_trip_s(50))
            for size in sizes:
                maker = getattr(module, "make_input", None)
                data = bytes(maker(size, random.Random(size))) if maker else make_input(manifest, size, size)
                inside: list[float] = []
                outside: list[float] = []
                for _ in range(rounds):
                    for run in random.sample(("in", "worker"), 2):
                        if run == "worker":
                            samples, _cpu = worker.time("run", data, manifest.args, 3, runs)
                            outside.extend(s / 1e9 for s in samples)
                        else:
                            for i in range(3 + runs):
                                t0 = time.perf_counter_ns()
                                module.run(data, *manifest.args)
                                if i >= 3:
                                    inside.append((time.perf_counter_ns() - t0) / 1e9)
                calls = []
                for _ in range(5):  # a call round trip carries the payload: less the op and a ping
                    t0 = time.perf_counter()
                    worker.call("run", data, manifest.args)
                    calls.append(time.perf_counter() - t0)
                p_in, p_out = statistics.median(inside), statistics.median(outside)
                payload_s = max(0.0, statistics.median(calls) - p_out - trip)
                print(f"  {name:<13} {size:>8}  {us(p_in)} {us(p_out)} {p_out / p_in:8.2f}x   "
                      f"{start_s * 1e3:10.1f}ms {us(trip)} {us(payload_s)}")
        finally:
            worker.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--sizes", default=f"4096,{MiB}")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LIGHTPROF_CACHE_DIR"] = tmp
        import platform

        import wasmtime  # noqa: F401

        from lightprof.measure.kernels.engine import wasmtime_version

        print(f"lightprof kernels bench · wasmtime {wasmtime_version()} · Python {platform.python_version()} · "
              f"{os.cpu_count()} cpus · {args.runs} runs per size\n")
        results = measure_all(args.runs, sizes)
    print_table(results)

    print("\nCall overhead (empty payload, p50) and break-even payload size (Wasm e2e p50 <= fallback p50):")
    for r in results:
        if r.error:
            continue
        be = "never (fallback wins)" if r.break_even_bytes is None else f"{r.break_even_bytes} B"
        print(f"  {r.name:<13} direct {us(r.call_overhead_s.p50)}  public {us(r.public_call_overhead_s.p50)}  "
              f"break-even {be:<22} ({r.break_even_note})")

    print("\nAcceptance figures")
    by_name = {r.name: r for r in results}
    sum_row = next((row for row in by_name["sum_u8"].sizes if row.size_bytes == MiB), None)
    if sum_row and sum_row.numpy_s:
        verdict = "PASS" if sum_row.wasm_e2e_s.p50 < sum_row.numpy_s.p50 else "FAIL"
        print(f"  byte-sum SIMD at 1 MiB, marshaling + call included: {us(sum_row.wasm_e2e_s.p50).strip()} "
              f"vs NumPy uint8 sum {us(sum_row.numpy_s.p50).strip()}  -> Wasm {sum_row.numpy_speedup:.2f}x "
              f"faster [{verdict}] (copy in: {us(sum_row.marshal_s.p50).strip()}, op: "
              f"{us(sum_row.wasm_op_s.p50).strip()})")
    warm = cache_vs_compile()
    inst = warm["instantiate"]
    # The cache replaces a compile by a deserialize (FIELD-NOTES: 0.07 ms against 1.7 ms, 25x);
    # that is the figure judged. The rest of each path is printed beside it.
    speedup = warm["compile"] / warm["deserialize"]
    verdict = "PASS" if speedup >= 10 else "FAIL"
    print(f"  module from the disk cache: deserialize {us(warm['deserialize']).strip()} vs compile "
          f"{us(warm['compile']).strip()} -> {speedup:.1f}x [{verdict}]; the whole second instantiation (key, "
          f"read, MAC check, deserialize, instantiate) {us(warm['hit'] + inst).strip()} vs "
          f"{us(warm['miss'] + inst).strip()} with a compile (and serialize, store) -> "
          f"{(warm['miss'] + inst) / (warm['hit'] + inst):.1f}x")
    cold_first, cold_second = cache_in_fresh_processes()
    print(f"  the same in a fresh process each (lightprof's first run, then its next): {us(cold_second).strip()} "
          f"vs {us(cold_first).strip()} -> {cold_first / cold_second:.1f}x")
    overheads = [r.call_overhead_s.p50 for r in results if r.call_overhead_s]
    publics = [r.public_call_overhead_s.p50 for r in results if r.public_call_overhead_s]
    print(f"  per-call overhead Python -> Wasm: direct path {us(statistics.median(overheads)).strip()}, "
          f"public Func.__call__ {us(statistics.median(publics)).strip()} "
          f"({statistics.median(publics) / statistics.median(overheads):.1f}x cheaper)")
    for name, (plain, epoch) in epoch_cost().items():
        print(f"  epoch interruption cost, {name} op at 1 MiB: {us(plain).strip()} without, "
              f"{us(epoch).strip()} with (+{(epoch / plain - 1):.0%})")
    worker_vs_in_process(sizes, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
