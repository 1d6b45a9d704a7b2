"""[[target.path]] and [target.telemetry] in a profile: parsed into specs, or exit 2 with one
sentence naming the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightprof.cli import main
from lightprof.profile.load import load_profile

SERVER = ('version = 1\n[[target]]\nname = "api"\ncommand = ["node", "server.js"]\n'
          'ready = { http = "http://127.0.0.1:3000/health" }\n')

CASES = [
    ("missing-body-file", SERVER + '[[target.path]]\nname = "sum"\nurl = "/sum"\nbody = { file = "payload.bin" }\n',
     ["body file payload.bin does not exist"], 9),
    ("body-file-is-a-folder", SERVER + '[[target.path]]\nname = "s"\nurl = "/s"\nbody = { file = "." }\n',
     ["is not a regular file"], 9),
    ("url-off-loopback", SERVER + '[[target.path]]\nname = "x"\nurl = "http://10.0.0.7:3000/sum"\n',
     ["names host", "loopback"], 8),
    ("url-https", SERVER + '[[target.path]]\nname = "x"\nurl = "https://127.0.0.1/sum"\n', ["http:// URL"], 8),
    ("url-relative", SERVER + '[[target.path]]\nname = "x"\nurl = "sum"\n', ["a path on the target"], 8),
    ("no-url", SERVER + '[[target.path]]\nname = "x"\n', ["path 'x' has no 'url'"], 6),
    ("no-name", SERVER + '[[target.path]]\nurl = "/x"\n', ["has no 'name'"], 6),
    ("same-name", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\n[[target.path]]\nname = "x"\nurl = "/y"\n',
     ["path name 'x' is used twice"], 10),
    ("bad-method", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\nmethod = "FETCH"\n', ["'method' must be one of"],
     9),
    ("two-bodies", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\nbody = { size = "1KiB", text = "a" }\n',
     ["exactly one of size"], 9),
    ("body-size-no-unit", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\nbody = { size = 1024 }\n', ["size"], 9),
    ("concurrency-too-high", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\nconcurrency = 1000\n',
     ["between 1 and 64"], 9),
    ("requests-zero", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\nrequests = 0\n', ["between 1"], 9),
    ("unknown-path-key", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\nheaders = 1\n',
     ["unknown key 'headers'"], 9),
    ("unknown-path-budget", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\n[target.path.budget]\n'
     'latency_p90 = "1ms"\n', ["unknown key 'latency_p90'", "latency_p95"], 10),
    ("ops-floor-not-number", SERVER + '[[target.path]]\nname = "x"\nurl = "/x"\n[target.path.budget]\n'
     'ops_per_cpu_s = "fast"\n', ["must be a number"], 10),
    ("path-table-not-array", SERVER + '[target.path]\nname = "x"\n', ["array of tables"], 6),
    ("path-on-exit-target", 'version = 1\n[[target]]\nname = "t"\ncommand = ["true"]\n[[target.path]]\n'
     'name = "x"\nurl = "/x"\n', ["paths need a server ready mode"], 5),
    ("metrics-on-exit-target", 'version = 1\n[[target]]\nname = "t"\ncommand = ["true"]\n[target.telemetry]\n'
     'metrics = "/metrics"\n', ["metrics are scraped from a running server"], 6),
    ("events-on-stdout-target", 'version = 1\n[[target]]\nname = "t"\ncommand = ["true"]\n'
     'ready = { stdout = "up" }\n[target.telemetry]\nevents = true\n', ["events are read from a target ready by"],
     7),
    ("events-not-bool", SERVER + '[target.telemetry]\nevents = "yes"\n', ["must be true or false"], 7),
    ("metrics-off-loopback", SERVER + '[target.telemetry]\nmetrics = "http://example.com/metrics"\n',
     ["names host", "loopback"], 7),
    ("unknown-telemetry-key", SERVER + '[target.telemetry]\ntraces = true\n', ["unknown key 'traces'"], 7),
]


@pytest.mark.parametrize(("text", "words", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_path_or_telemetry_key_is_one_sentence_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str,
    words: list[str], line: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lightprof.toml").write_text(text)
    code = main(["--headless"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"lightprof: lightprof.toml:{line}:"), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def test_paths_and_telemetry_load_into_specs_with_budget_lines(tmp_path: Path) -> None:
    (tmp_path / "payload.bin").write_bytes(b"x" * 300)
    profile = tmp_path / "lightprof.toml"
    profile.write_text(SERVER + (
        '[target.telemetry]\nevents = true\nmetrics = "/metrics"\njustification = "exactness"\n'
        '[[target.path]]\nname = "sum"\nmethod = "post"\nurl = "/wasm/sum"\nbody = { file = "payload.bin" }\n'
        'requests = 200\nconcurrency = 4\nwarmup = 5\ntimeout = "2s"\n'
        '[target.path.budget]\nlatency_p95 = "20ms"\nfirst_latency = "50ms"\nops_per_cpu_s = 500\n'
        '[[target.path]]\nname = "health"\nurl = "http://[::1]:3000/health"\n'
        '[[target]]\nname = "other"\ncommand = ["x"]\nready = { port = 4000 }\n'
        '[[target.path]]\nname = "ping"\nurl = "/ping"\n[target.path.budget]\nlatency_p50 = "1ms"\n'))
    loaded = load_profile(profile)
    api, other = loaded.targets
    assert api.telemetry is not None and api.telemetry.events and api.telemetry.metrics == "/metrics"
    assert api.telemetry.justification == "exactness"
    first, second = api.paths
    assert (first.method, first.requests, first.concurrency, first.warmup, first.timeout) == ("POST", 200, 4, 5, 2.0)
    assert first.body is not None and first.body.kind == "file" and first.body.size == 300
    assert first.budget == {"latency_p95": 0.02, "first_latency": 0.05, "ops_per_cpu_s": 500.0}
    assert second.url == "http://[::1]:3000/health" and second.method == "GET" and second.body is None
    assert loaded.budget_lines[("api", "latency_p95@sum")] == 20
    assert loaded.budget_lines[("api", "errors@sum")] == 10
    assert loaded.budget_lines[("other", "latency_p50@ping")] == 34  # counted per target
    assert other.paths[0].name == "ping" and other.telemetry is None
