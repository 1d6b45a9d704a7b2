"""What the end-to-end tests share: running `lightprof --headless`, reading its report, ports,
pids and live processes, a one-target profile, and the servers the targets run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

PY = sys.executable
MiB = 2**20
TIMEOUT_S = 120


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def toml_str(text: str) -> str:
    """A TOML basic string holding `text`."""
    return json.dumps(text)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def run_lightprof(
    cwd: Path,
    *args: str,
    profile: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m lightprof --headless [-p profile] args...` in `cwd` and capture its output."""
    return subprocess.run(headless_argv(profile, *args), cwd=cwd, env=headless_env(env), capture_output=True,
                          text=True, timeout=timeout)


def headless_argv(profile: Path | None, *args: str) -> list[str]:
    """`python -m lightprof --headless [-p profile] args...`."""
    return [PY, "-m", "lightprof", "--headless", *(["-p", str(profile)] if profile is not None else []), *args]


def headless_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without colour, CI or GitHub's variables (which change the output), plus `env`."""
    full_env = {**os.environ, "NO_COLOR": "1"}
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "CI"):
        full_env.pop(key, None)
    full_env.update(env or {})
    return full_env


@contextmanager
def headless_in_own_session(cwd: Path, *args: str, profile: Path | None = None) -> Iterator[subprocess.Popen[str]]:
    """`lightprof --headless` started in a session of its own (the test signals it), its output
    captured; one still running when the block ends (it hung, the test failed) is killed with its
    whole process group, so that nothing this test started outlives it."""
    proc = subprocess.Popen(headless_argv(profile, *args), cwd=cwd, env=headless_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def output_of(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + "\n" + proc.stderr


def load_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def read_pids(path: Path) -> list[int]:
    """The pids a target script appended to `path`, one per line."""
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split() if line.strip()]


def alive(pid: int) -> bool:
    """True when `pid` is a running process (a zombie counts as dead: it holds no resources)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_alive(pids: Iterable[int], within: float = 5.0) -> list[int]:
    """The pids among `pids` still alive after waiting up to `within` seconds for them to go."""
    deadline = time.monotonic() + within
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if alive(pid)]
    return left


def processes_running(marker: str) -> list[int]:
    """Pids of live processes whose command line mentions `marker` (a script path in tmp_path)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(marker in part for part in proc.info["cmdline"] or ()):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found


def port_is_free(port: int) -> bool:
    """Nobody accepts connections on 127.0.0.1:port and a new listener can bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


def only_target(report: Mapping[str, Any]) -> dict[str, Any]:
    targets = report["targets"]
    assert len(targets) == 1, targets
    return targets[0]


def timed_runs(target: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The runs that count for cold start: not warm-ups, not the memory (hold) run."""
    return [r for r in target["runs"] if not r["warmup"] and not r.get("hold") and not r.get("memory_run")]


def budget_rows(report: Mapping[str, Any], metric: str) -> list[dict[str, Any]]:
    return [row for row in report["budgets"] if row["metric"] == metric]


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in profile")


# Scripts the targets run. Each appends its pid to the file given as its last argument.

# The listening socket of the servers below (the script has set `port`).
LISTEN = """
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen()
"""
# A server that accepts connections and closes them, until it is stopped.
SERVE_FOREVER = LISTEN + """
while True:
    conn, _ = sock.accept()
    conn.close()
"""


def tree_of_three(mib: int) -> str:
    """A program that ends by itself after three children, each holding `mib` MiB, have run for 0.6 s."""
    return f"""
import subprocess, sys
child = "buf = bytearray({mib} * 2**20)\\nfor i in range(0, len(buf), 4096): buf[i] = 1\\nimport time; time.sleep(0.6)"
kids = [subprocess.Popen([sys.executable, "-c", child]) for _ in range(3)]
for kid in kids:
    kid.wait()
"""

HTTP_SERVER = """
import http.server, os, sys, time
port, pidfile = int(sys.argv[1]), sys.argv[2]
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(0.2)

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""


def target_profile(
    tmp_path: Path,
    command: list[str] | str,
    *,
    ready: str = '"exit"',
    runs: int = 3,
    warmup: int = 0,
    extra: str = "",
    budget: str = "",
    name: str = "e2e",
    file: str = "lightprof.toml",
) -> Path:
    """Write a profile with one target `t` to tmp_path/file and return its path."""
    cmd = toml_str(command) if isinstance(command, str) else "[" + ", ".join(toml_str(a) for a in command) + "]"
    text = (
        "version = 1\n"
        f"name = {toml_str(name)}\n"
        "\n"
        "[[target]]\n"
        'name = "t"\n'
        f"command = {cmd}\n"
        f"ready = {ready}\n"
        f"runs = {runs}\n"
        f"warmup = {warmup}\n"
        f"{extra}"
    )
    if budget:
        text += "[target.budget]\n" + budget
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return path
