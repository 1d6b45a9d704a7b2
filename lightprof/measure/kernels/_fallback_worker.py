"""The process a kernel's fallback runs in: lightprof sends requests, this runs the user's code.

Run as a script (`python _fallback_worker.py IN_FD OUT_FD PARENT_PID`), standard library only, so
it starts without lightprof's imports. Requests and replies are frames of a 4-byte little-endian
length and a marshal payload on two pipes of their own (the fallback may print to stdout; that
goes to /dev/null). The op is timed here, around the call alone, as Wasm is timed in lightprof: the
pipe's cost is not part of a fallback's figures (lightprof measures it apart with "ping").

Requests: ("load", path) · ("input", size, seed) · ("call", impl, data, args) ·
("time", impl, data, args, warmup, runs) · ("ping",). Replies: ("ok", value) or ("error", sentence).
Whatever the user's code raises, SystemExit included, becomes an ("error", ...) reply; if it ends
this process another way, lightprof sees the pipe close and says so.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import random
import sys
import time

_module = None


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when lightprof dies, even by SIGKILL (it cannot clean up then)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # lightprof died before the line above took effect
        os._exit(1)


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_frame(fd: int, message) -> None:  # message: any value marshal writes
    data = marshal.dumps(message)
    view = memoryview(len(data).to_bytes(4, "little") + data)
    while view:
        view = view[os.write(fd, view):]


def _plain(value: object) -> object:
    """The value as ints, floats and lists of them (what marshal carries and lightprof compares);
    anything else as ("unsupported", type name, short repr) for lightprof to name."""
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, array.array
        value = value.tolist()
    if isinstance(value, (bool, int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return list(value)
    return ("unsupported", type(value).__name__, repr(value)[:80])


def _load(path: str) -> dict[str, bool]:
    global _module
    spec = importlib.util.spec_from_file_location("_lightprof_fallback", path)
    if spec is None or spec.loader is None:
        raise ImportError("not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _module = module
    numpy = callable(getattr(module, "run_numpy", None)) and importlib.util.find_spec("numpy") is not None
    return {"run": callable(getattr(module, "run", None)), "run_numpy": numpy,
            "make_input": callable(getattr(module, "make_input", None))}


def _input(size: int, seed: int) -> bytes:
    data = _module.make_input(size, random.Random(seed))  # type: ignore[union-attr]
    return bytes(data)


def _time(run, data: bytes, args: tuple, warmup: int, runs: int) -> tuple[list[int], int]:
    clock = time.perf_counter_ns
    samples = []
    cpu_started = 0
    for i in range(warmup + runs):
        if i == warmup:
            cpu_started = time.process_time_ns()
        t0 = clock()
        run(data, *args)
        t1 = clock()
        if i >= warmup:
            samples.append(t1 - t0)
    return samples, time.process_time_ns() - cpu_started


def _handle(request: tuple) -> object:
    kind = request[0]
    if kind == "ping":
        return None
    if kind == "load":
        return _load(request[1])
    if kind == "input":
        return _input(request[1], request[2])
    run = getattr(_module, request[1])
    if kind == "call":
        return _plain(run(request[2], *request[3]))
    if kind == "time":
        return _time(run, request[2], tuple(request[3]), request[4], request[5])
    raise ValueError(f"unknown request {kind!r}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit (it called sys.exit({exc.code!r}))"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def serve(in_fd: int, out_fd: int) -> None:
    while True:
        try:
            header = _read_exactly(in_fd, 4)
            request = marshal.loads(_read_exactly(in_fd, int.from_bytes(header, "little")))
        except EOFError:
            return
        try:
            reply: tuple = ("ok", _handle(request))
        except BaseException as exc:  # the user's code: SystemExit and KeyboardInterrupt too
            reply = ("error", _describe(exc))
        try:
            _write_frame(out_fd, reply)
        except ValueError:  # marshal could not carry it (a float NaN is fine; objects are not)
            _write_frame(out_fd, ("error", "its result cannot be passed back to lightprof"))
        except OSError:
            return


if __name__ == "__main__":
    del sys.path[0]  # this folder holds lightprof's modules: a fallback's `import cache` must not find them
    in_fd, out_fd, parent = (int(arg) for arg in sys.argv[1:4])
    _die_with_parent(parent)
    for fd in (in_fd, out_fd):  # a program the fallback runs must not hold lightprof's pipes open
        os.set_inheritable(fd, False)
    serve(in_fd, out_fd)
