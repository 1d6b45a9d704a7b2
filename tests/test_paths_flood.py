"""A target that floods its output with 1 GB while lightprof reads its events: lightprof's own
memory stays within a few MiB of a quiet run's, and the events in the flood are all counted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths_servers import free_port, left_running, profile_text

GiB = 2**30
MiB = 2**20

FLOODER = r'''
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

FLOOD = int(os.environ.get("FLOOD_BYTES", "0"))
BLOCK = (b"GET /flood 200 0.1ms a plain log line that is not json at all ........\n" * 14000)[: 1 << 20]
EVENT = json.dumps({"event": "op_latency", "op": "flood", "impl": "js", "ms": 1.5}).encode() + b"\n"

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/flood":
            out = sys.stdout.buffer
            sent = 0
            blocks = 0
            while sent < FLOOD:
                out.write(BLOCK)
                sent += len(BLOCK)
                blocks += 1
                if blocks % 64 == 0:
                    out.write(EVENT)
                if blocks == 100:
                    out.write(b"x" * (8 << 20))  # one 8 MiB line, far over the line limit
            out.write(b"\n" + EVENT)
            out.flush()
            sys.stderr.write(EVENT.decode())
            sys.stderr.flush()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def _run(folder: Path, flood: int) -> tuple[int, int, str]:
    """(exit code, lightprof's peak RSS from GNU time, output) of one headless run."""
    port = free_port()
    (folder / "flooder.py").write_text(FLOODER, encoding="utf-8")
    command = [sys.executable, str(folder / "flooder.py"), str(port)]
    paths = [{"name": "flood", "url": "/flood", "requests": 1, "timeout": "120s", "max_time": "200s"}]
    profile = profile_text(command, port, paths, env={"FLOOD_BYTES": str(flood)}, telemetry={"events": True},
                           hold="0s")
    (folder / "lightprof.toml").write_text(profile, encoding="utf-8")
    rss_file = folder / "rss.txt"
    # GNU time forks lightprof from its own small process: its figure is lightprof's own peak
    # (a vfork from pytest would start at pytest's size: FIELD-NOTES, the vfork trap).
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss_file), sys.executable, "-m", "lightprof",
                           "--headless", "--json", str(folder / "report.json")],
                          cwd=folder, capture_output=True, text=True, timeout=600)
    return proc.returncode, int(rss_file.read_text().split()[-1]) * 1024, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("/usr/bin/time") is None, reason="GNU time is not installed")
def test_a_1gb_flood_keeps_lightprof_within_a_few_mib_and_its_events_are_counted(tmp_path: Path) -> None:
    import json

    quiet_dir, flood_dir = tmp_path / "quiet", tmp_path / "flood"
    quiet_dir.mkdir()
    flood_dir.mkdir()
    code, quiet_rss, output = _run(quiet_dir, 0)
    assert code == 0, output
    code, flood_rss, output = _run(flood_dir, GiB // 2)  # two requests: the first one and the measured one
    assert code == 0, output
    report = json.loads((flood_dir / "report.json").read_text())
    target = report["targets"][0]
    summary = target["telemetry"]["summary"]
    assert summary["bytes"] > GiB and summary["too_long"] == 2
    # Per request: an event after every 64 blocks of 1 MiB, then one on stdout and one on stderr.
    events = {(e["op"], e["n"]) for e in target["events"]}
    assert events == {("flood", 2 * (512 // 64 + 2))}
    assert flood_rss - quiet_rss < 8 * MiB, (flood_rss / MiB, quiet_rss / MiB)
    print(f"lightprof peak RSS: quiet {quiet_rss / MiB:.1f} MiB, 1 GiB flood {flood_rss / MiB:.1f} MiB")
    assert not left_running(str(tmp_path))
