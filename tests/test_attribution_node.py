"""Node: a real node script and a real server under `node --cpu-prof`; the hot function is named."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from attribution_support import attribution_of, output, profile, run_headless, write

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

HOT_JS = """
function hotLoop(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.sqrt(i) % 7;
  return s;
}
const started = Date.now();
let r = 0;
while (Date.now() - started < 300) r += hotLoop(100000);
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_node_script_is_profiled_and_its_hot_function_named(tmp_path: Path) -> None:
    write(tmp_path / "hot.js", HOT_JS + "console.log(r > 0);\n")
    profile(tmp_path, ["node", "hot.js"])

    proc = run_headless(tmp_path, "--attribute", "--json", "r.json", "--markdown", "r.md")

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(tmp_path / "r.json")
    assert attribution["kind"] == "node" and attribution["sampler"] == "node --cpu-prof"
    first = attribution["functions"][0]
    assert first["name"] == "hotLoop" and first["file"].endswith("hot.js")
    assert first["line"] == 1  # 1-based, as an editor shows it
    assert first["self_share"] > 0.5
    assert attribution["modules"][0]["module"].endswith("hot.js")
    kept = tmp_path / attribution["cpuprofile"]
    assert kept.name == "prog.cpuprofile" and json.loads(kept.read_text())["samples"]
    assert "| `hotLoop` | hot.js:1 |" in (tmp_path / "r.md").read_text()


def test_a_node_server_stopped_at_ready_with_sigint_writes_its_profile(tmp_path: Path) -> None:
    port = free_port()
    write(tmp_path / "server.js", HOT_JS + f"""
require("http").createServer((q, s) => s.end("ok")).listen({port}, "127.0.0.1");
""")
    profile(tmp_path, ["node", "server.js"], extra=f"ready = {{ port = {port} }}")

    proc = run_headless(tmp_path, "--attribute", "--json", "r.json")

    assert proc.returncode == 0, output(proc)
    attribution = attribution_of(tmp_path / "r.json")
    assert attribution["sampler_error"] is None
    assert attribution["functions"][0]["name"] == "hotLoop"
    with socket.socket() as sock:  # the server is gone: its port is free again
        sock.bind(("127.0.0.1", port))
