"""Real servers for the critical-path tests: one in Python (http.server), one in Node (`http`).

Both serve the same routes, print the same `op_latency` JSON lines on stdout and count requests
in Prometheus counters at /metrics:
  GET  /health            200, nothing else (the ready probe; not counted, no event)
  POST /sum               sums the body's bytes (impl "js"), event op_latency op=sum
  POST /wasm/sum          the same sum done WASM_REPEAT times (impl "wasm"), same op
  GET  /cheap, /costly    a loop of 2,000 or COSTLY_WORK iterations (the two routes to rank)
  GET  /grow              keeps GROW_BYTES more bytes alive for good (RSS grows with traffic)
  GET  /fail              500
  GET  /metrics           requests_total{route="..."} and wasm_instantiates_total
Every request except /health and /metrics appends "route rss_bytes" to RSS_LOG (from
/proc/self/statm) when that variable is set, and "route cpu_ticks" to CPU_LOG (the process's
utime + stime from /proc/self/stat, read once the request's work is done: the tests' independent
CPU count, taken in the very window lightprof measures); with DIE_AFTER=N the server exits after
N counted requests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

PYTHON_SERVER = r'''
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
COSTLY = int(os.environ.get("COSTLY_WORK", "200000"))
REPEAT = int(os.environ.get("WASM_REPEAT", "1"))
GROW = int(os.environ.get("GROW_BYTES", str(1 << 20)))
DIE_AFTER = int(os.environ.get("DIE_AFTER", "0"))
RSS_LOG = os.environ.get("RSS_LOG")
CPU_LOG = os.environ.get("CPU_LOG")
PAGE = os.sysconf("SC_PAGE_SIZE")
counts = {}
kept = []
served = [0]
instantiated = [0]

def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

def event(op, impl, ms):
    sys.stdout.write(json.dumps({"event": "op_latency", "op": op, "impl": impl, "ms": ms,
                                 "module": "sum.wasm" if impl == "wasm" else None}) + "\n")
    sys.stdout.flush()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"ok", kind="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def counted(self, route):
        counts[route] = counts.get(route, 0) + 1
        served[0] += 1
        if RSS_LOG:
            with open("/proc/self/statm") as f:
                rss = int(f.read().split()[1]) * PAGE
            with open(RSS_LOG, "a") as log:
                log.write(f"{route} {rss}\n")
        if CPU_LOG:
            with open("/proc/self/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            with open(CPU_LOG, "a") as log:
                log.write(f"{route} {int(fields[11]) + int(fields[12])}\n")

    def maybe_die(self):
        if DIE_AFTER and served[0] >= DIE_AFTER:
            sys.stdout.flush()
            os._exit(3)

    def do_GET(self):
        path = self.path
        if path == "/health":
            return self.answer(200)
        if path == "/metrics":
            lines = ["# HELP requests_total Requests served.", "# TYPE requests_total counter"]
            lines += [f'requests_total{{route="{r}"}} {n}' for r, n in sorted(counts.items())]
            lines += ["# TYPE wasm_instantiates_total counter", f"wasm_instantiates_total {instantiated[0]}"]
            return self.answer(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4")
        self.maybe_die()
        if path == "/cheap":
            work(2000)
        elif path == "/costly":
            work(COSTLY)
        elif path == "/grow":
            kept.append(bytearray(os.urandom(GROW)))
        elif path == "/fail":
            self.counted(path)
            return self.answer(500, b"broken")
        else:
            return self.answer(404, b"no")
        self.counted(path)
        self.answer(200)

    def do_POST(self):
        self.maybe_die()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path not in ("/sum", "/wasm/sum"):
            return self.answer(404, b"no")
        wasm = self.path == "/wasm/sum"
        if wasm and not instantiated[0]:
            instantiated[0] = 1
        start = time.perf_counter()
        for _ in range(REPEAT if wasm else 1):
            total = sum(body)
        ms = (time.perf_counter() - start) * 1000
        self.counted(self.path)
        self.answer(200, str(total).encode())
        event("sum", "wasm" if wasm else "js", ms)

server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
server.serve_forever()
'''

NODE_SERVER = r'''
const http = require("http");
const fs = require("fs");
const PORT = Number(process.argv[2]);
const COSTLY = Number(process.env.COSTLY_WORK || "2000000");
const REPEAT = Number(process.env.WASM_REPEAT || "1");
const GROW = Number(process.env.GROW_BYTES || String(1 << 20));
const DIE_AFTER = Number(process.env.DIE_AFTER || "0");
const RSS_LOG = process.env.RSS_LOG;
const CPU_LOG = process.env.CPU_LOG;
const counts = {};
const kept = [];
let served = 0;
let instantiated = 0;

function work(n) { let t = 0; for (let i = 0; i < n; i++) { t += i * i; } return t; }
function counted(route) {
  counts[route] = (counts[route] || 0) + 1;
  served += 1;
  if (RSS_LOG) {
    const pages = Number(fs.readFileSync("/proc/self/statm", "utf8").split(" ")[1]);
    fs.appendFileSync(RSS_LOG, `${route} ${pages * 4096}\n`);
  }
  if (CPU_LOG) {
    const fields = fs.readFileSync("/proc/self/stat", "latin1").split(")").pop().trim().split(" ");
    fs.appendFileSync(CPU_LOG, `${route} ${Number(fields[11]) + Number(fields[12])}\n`);
  }
}
function answer(res, status, body, kind) {
  res.writeHead(status, {"Content-Type": kind || "text/plain", "Content-Length": Buffer.byteLength(body)});
  res.end(body);
}

http.createServer((req, res) => {
  const path = req.url;
  if (path === "/health") return answer(res, 200, "ok");
  if (path === "/metrics") {
    const lines = ["# HELP requests_total Requests served.", "# TYPE requests_total counter"];
    for (const r of Object.keys(counts).sort()) lines.push(`requests_total{route="${r}"} ${counts[r]}`);
    lines.push("# TYPE wasm_instantiates_total counter", `wasm_instantiates_total ${instantiated}`);
    return answer(res, 200, lines.join("\n") + "\n", "text/plain; version=0.0.4");
  }
  if (DIE_AFTER && served >= DIE_AFTER) process.exit(3);
  if (req.method === "POST") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (path !== "/sum" && path !== "/wasm/sum") return answer(res, 404, "no");
      const body = Buffer.concat(chunks);
      const wasm = path === "/wasm/sum";
      if (wasm) instantiated = 1;
      const start = process.hrtime.bigint();
      let total = 0;
      for (let k = 0; k < (wasm ? REPEAT : 1); k++) { total = 0; for (const b of body) total += b; }
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      counted(path);
      answer(res, 200, String(total));
      const line = {event: "op_latency", op: "sum", impl: wasm ? "wasm" : "js", ms};
      if (wasm) line.module = "sum.wasm";
      process.stdout.write(JSON.stringify(line) + "\n");
    });
    return;
  }
  if (path === "/cheap") work(2000);
  else if (path === "/costly") work(COSTLY);
  else if (path === "/grow") kept.push(Buffer.alloc(GROW, 1));
  else if (path === "/fail") { counted(path); return answer(res, 500, "broken"); }
  else return answer(res, 404, "no");
  counted(path);
  answer(res, 200, "ok");
}).listen(PORT, "127.0.0.1");
'''


PY = sys.executable
NODE = shutil.which("node")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(folder: Path, kind: str, port: int) -> list[str]:
    """Write the `kind` ("python" or "node") server into `folder`; the command that starts it."""
    if kind == "python":
        (folder / "server.py").write_text(PYTHON_SERVER, encoding="utf-8")
        return [os.path.realpath(PY), str(folder / "server.py"), str(port)]
    assert NODE is not None
    (folder / "server.js").write_text(NODE_SERVER, encoding="utf-8")
    return [NODE, str(folder / "server.js"), str(port)]


def toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def profile_text(command: list[str], port: int, paths: list[dict[str, Any]], *, env: dict[str, str] | None = None,
                 telemetry: dict[str, Any] | None = None, budget: dict[str, Any] | None = None,
                 extra: str = "", hold: str = "0.3s", ready_port: bool = False) -> str:
    """A profile with one server target ready on `port` and the given paths (each a dict; its
    "budget" key becomes [target.path.budget])."""
    lines = ["version = 1", 'name = "paths"', "", "[[target]]", 'name = "server"',
             f"command = {toml_value(command)}",
             f"ready = {{ port = {port} }}" if ready_port else f'ready = {{ http = "http://127.0.0.1:{port}/health" }}',
             "runs = 2", "warmup = 0", f'hold = "{hold}"', 'timeout = "30s"']
    if env:
        lines.append(f"env = {toml_value(env)}")
    if budget:
        lines += ["[target.budget]"] + [f"{k} = {toml_value(v)}" for k, v in budget.items()]
    if telemetry:
        lines += ["[target.telemetry]"] + [f"{k} = {toml_value(v)}" for k, v in telemetry.items()]
    for path in paths:
        path = dict(path)
        path_budget = path.pop("budget", None)
        lines += ["[[target.path]]"] + [f"{k} = {toml_value(v)}" for k, v in path.items()]
        if path_budget:
            lines += ["[target.path.budget]"] + [f"{k} = {toml_value(v)}" for k, v in path_budget.items()]
    return "\n".join(lines) + "\n" + extra


def run_headless(folder: Path, profile: str, *args: str, timeout: float = 300,
                 env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """(exit code, the JSON report or {}, stdout+stderr) of `lightprof --headless` on `profile`."""
    (folder / "lightprof.toml").write_text(profile, encoding="utf-8")
    report = folder / "report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run([PY, "-m", "lightprof", "--headless", "--json", str(report), *args], cwd=folder,
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    data = json.loads(report.read_text()) if report.exists() else {}
    return proc.returncode, data, proc.stdout + proc.stderr


def left_running(marker: str) -> list[str]:
    """Command lines of live processes that mention `marker` (a test's own folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != b"Z":
            found.append(cmdline)
    return found
