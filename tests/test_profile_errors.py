"""Malformed profiles: each is exit 2 with one sentence naming the file, line and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lightprof.cli import main

OK_TARGET = '[[target]]\nname = "t"\ncommand = ["true"]\n'

# (id, profile text, words the message must contain, expected line or None)
CASES = [
    ("bad-toml", 'version = 1\nname = "x\n', ["invalid TOML"], 2),
    ("bad-toml-table", "version = 1\n[[target]\n", ["invalid TOML"], 2),
    ("no-version", OK_TARGET, ["version"], None),
    ("wrong-version", "version = 2\n" + OK_TARGET, ["'version' must be 1"], 1),
    ("version-string", 'version = "1"\n' + OK_TARGET, ["'version' must be 1"], 1),
    ("unknown-top-key", "version = 1\nbudgets = 3\n" + OK_TARGET, ["unknown key 'budgets'"], 2),
    ("unknown-target-key", "version = 1\n" + OK_TARGET + 'comand = "x"\n', ["unknown key 'comand'", "target"], 5),
    ("unknown-budget-key", "version = 1\n" + OK_TARGET + '[target.budget]\ncold_start_p96 = "1ms"\n',
     ["unknown key 'cold_start_p96'", "cold_start_p95"], 6),
    ("empty-command-list", 'version = 1\n[[target]]\nname = "t"\ncommand = []\n',
     ["'command' must not be an empty array"], 4),
    ("empty-command-string", 'version = 1\n[[target]]\nname = "t"\ncommand = "  "\n',
     ["'command' must not be empty"], 4),
    ("command-number", 'version = 1\n[[target]]\nname = "t"\ncommand = 5\n', ["'command' must be an array"], 4),
    ("command-item-number", 'version = 1\n[[target]]\nname = "t"\ncommand = ["a", 1]\n',
     ["item 1 must be a string"], 4),
    ("missing-command", 'version = 1\n[[target]]\nname = "t"\n', ["has no 'command'"], 2),
    ("missing-name", 'version = 1\n[[target]]\ncommand = ["true"]\n', ["has no 'name'"], 2),
    ("duplicate-name", "version = 1\n" + OK_TARGET + OK_TARGET, ["used twice"], 6),
    ("runs-zero", "version = 1\n" + OK_TARGET + "runs = 0\n", ["'target[0].runs' must be between 1"], 5),
    ("runs-string", "version = 1\n" + OK_TARGET + 'runs = "ten"\n', ["'target[0].runs' must be an integer"], 5),
    ("runs-bool", "version = 1\n" + OK_TARGET + "runs = true\n", ["must be an integer, got a boolean"], 5),
    ("warmup-negative", "version = 1\n" + OK_TARGET + "warmup = -1\n", ["warmup", "between 0"], 5),
    ("timeout-no-unit", "version = 1\n" + OK_TARGET + 'timeout = "10"\n', ["timeout", "no unit"], 5),
    ("timeout-number", "version = 1\n" + OK_TARGET + "timeout = 10\n", ["timeout", "string with a unit"], 5),
    ("timeout-zero", "version = 1\n" + OK_TARGET + 'timeout = "0s"\n', ["timeout", "greater than zero"], 5),
    ("unknown-time-unit", "version = 1\n" + OK_TARGET + 'timeout = "10 minutes"\n', ["unknown time unit 'minutes'"], 5),
    ("negative-size", "version = 1\n" + OK_TARGET + '[target.budget]\nrss_peak = "-5MB"\n',
     ["rss_peak", "negative"], 6),
    ("unknown-size-unit", "version = 1\n" + OK_TARGET + '[target.budget]\nrss_peak = "5MiBs"\n',
     ["unknown size unit 'MiBs'"], 6),
    ("ambiguous-KB", "version = 1\n" + OK_TARGET + '[target.budget]\nrss_peak = "500KB"\n', ["ambiguous", "KiB"], 6),
    ("size-for-time", "version = 1\n" + OK_TARGET + '[target.budget]\ncold_start_p95 = "5MB"\n',
     ["unknown time unit 'MB'"], 6),
    ("tolerance-no-percent", "version = 1\n[defaults]\ntolerance = \"10\"\n" + OK_TARGET,
     ["tolerance", "percentage"], 3),
    ("unknown-default-key", "version = 1\n[defaults]\nrunz = 3\n" + OK_TARGET, ["unknown key 'runz'", "defaults"], 3),
    ("ready-bad-string", "version = 1\n" + OK_TARGET + 'ready = "listen"\n', ["'ready' must be \"exit\""], 5),
    ("ready-two-modes", "version = 1\n" + OK_TARGET + 'ready = { port = 80, http = "http://x/" }\n',
     ["exactly one"], 5),
    ("ready-port-range", "version = 1\n" + OK_TARGET + "ready = { port = 70000 }\n",
     ["port", "between 1 and 65535"], 5),
    ("ready-bad-url", "version = 1\n" + OK_TARGET + 'ready = { http = "ftp://x" }\n', ["http:// URL"], 5),
    ("ready-bad-regex", "version = 1\n" + OK_TARGET + 'ready = { stdout = "(" }\n',
     ["not a valid regular expression"], 5),
    ("env-not-string", "version = 1\n" + OK_TARGET + "env = { A = 1 }\n", ["'env.A' must be a string"], 5),
    ("target-not-array", 'version = 1\n[target]\nname = "t"\ncommand = ["true"]\n', ["[[target]]"], 2),
    ("hold-on-exit-target", "version = 1\n" + OK_TARGET + 'hold = "1s"\n', ["'hold' needs a server ready mode"], 5),
    ("max-runs-below-runs", "version = 1\n" + OK_TARGET + "runs = 10\nmax_runs = 5\n",
     ["max_runs", "at least 'runs'"], 6),
    ("artifact-no-path", 'version = 1\n[[artifact]]\nname = "a"\n', ["needs exactly one of 'path' or 'python_env'"], 2),
    ("artifact-bad-compression", 'version = 1\n[[artifact]]\nname = "a"\npath = "x"\ncompression = "lzma"\n',
     ["'compression' must be one of none, gzip, brotli"], 5),
    ("image-bad-efficiency", 'version = 1\n[[image]]\nname = "i"\npath = "x.tar"\nefficiency_min = "150%"\n',
     ["efficiency_min", "at most 100%"], 5),
    ("kernel-empty-sizes", 'version = 1\n[[kernel]]\nname = "k"\nsizes = []\n',
     ["'sizes' must be a non-empty array"], 4),
    ("sample-hz-too-high", "version = 1\n" + OK_TARGET + "sample_hz = 5000\n", ["sample_hz", "at most 1000"], 5),
    ("nul-in-command", 'version = 1\n[[target]]\nname = "t"\ncommand = ["tr\\u0000ue"]\n',
     ["'target[0].command[0]'", "NUL"], 4),
    ("nul-in-shell-command", 'version = 1\n[[target]]\nname = "t"\ncommand = "true\\u0000"\n',
     ["'target[0].command'", "NUL"], 4),
    ("nul-in-cwd", "version = 1\n" + OK_TARGET + 'cwd = "a\\u0000b"\n', ["'target[0].cwd'", "NUL"], 5),
    ("nul-in-env-value", "version = 1\n" + OK_TARGET + 'env = { A = "x\\u0000" }\n', ["'target[0].env.A'", "NUL"], 5),
    ("nul-in-env-key", "version = 1\n" + OK_TARGET + 'env = { "A\\u0000" = "x" }\n', ["env", "NUL"], 5),
    ("nul-in-artifact-path", 'version = 1\n[[artifact]]\nname = "a"\npath = "dist\\u0000"\n',
     ["'artifact[0].path'", "NUL"], 4),
    ("env-key-with-equals", "version = 1\n" + OK_TARGET + 'env = { "A=B" = "x" }\n',
     ["'env' key 'A=B'", "without '='"], 5),
    ("env-key-empty", "version = 1\n" + OK_TARGET + 'env = { "" = "x" }\n', ["'env' key ''", "non-empty"], 5),
    ("size-overflows", "version = 1\n" + OK_TARGET + '[target.budget]\nrss_peak = "1e400MiB"\n',
     ["rss_peak", "too large"], 6),
    ("size-above-2-53", 'version = 1\n[[artifact]]\nname = "a"\npath = "x"\nbudget = "1e300MB"\n',
     ["'artifact[0].budget'", "2^53"], 5),
    ("duration-overflows", "version = 1\n" + OK_TARGET + 'timeout = "1e400s"\n', ["timeout", "too large"], 5),
    ("duration-above-a-day", "version = 1\n" + OK_TARGET + 'timeout = "100000s"\n',
     ["timeout", "longer than a day"], 5),
    ("tolerance-overflows", "version = 1\n[defaults]\ntolerance = \"1e400%\"\n" + OK_TARGET,
     ["tolerance", "too large"], 3),
    ("tolerance-above-1000-percent", "version = 1\n" + OK_TARGET + 'tolerance = "1001%"\n', ["tolerance", "1000%"], 5),
    ("tolerance-nan", "version = 1\n" + OK_TARGET + "tolerance = nan\n", ["tolerance", "got nan"], 5),
    ("ops-per-cpu-inf", 'version = 1\n[[kernel]]\nname = "k"\nops_per_cpu_s = inf\n',
     ["'kernel[0].ops_per_cpu_s'", "finite"], 4),
    ("ops-per-cpu-negative", 'version = 1\n[[kernel]]\nname = "k"\nops_per_cpu_s = -1\n',
     ["'kernel[0].ops_per_cpu_s'", "greater than 0"], 4),
    ("ready-url-port-too-big", "version = 1\n" + OK_TARGET + 'ready = { http = "http://127.0.0.1:99999/" }\n',
     ["port 99999", "1 to 65535"], 5),
    ("ready-url-port-zero", "version = 1\n" + OK_TARGET + 'ready = { http = "http://127.0.0.1:0/" }\n',
     ["port 0", "1 to 65535"], 5),
    ("ready-url-not-loopback", "version = 1\n" + OK_TARGET + 'ready = { http = "http://example.com/" }\n',
     ["'example.com'", "loopback"], 5),
    ("ready-port-host-not-loopback", "version = 1\n" + OK_TARGET + 'ready = { port = 80, host = "10.0.0.1" }\n',
     ["'10.0.0.1'", "loopback"], 5),
    ("name-too-long", "version = 1\n" + f'name = "{"n" * 300}"\n' + OK_TARGET,
     ["'name'", "300 characters", "at most 100"], 2),
    ("subject-name-too-long", f'version = 1\n[[target]]\nname = "{"t" * 101}"\ncommand = ["true"]\n',
     ["'target[0].name'", "at most 100"], 3),
    ("name-with-escape", 'version = 1\n[[target]]\nname = "\\u001b[31mred"\ncommand = ["true"]\n',
     ["'target[0].name'", "control or format character"], 3),
    ("deep-nesting", "version = 1\nx = " + "[" * 500 + "]" * 500 + "\n", ["nest too deeply"], None),
    ("unknown-key-with-newline", 'version = 1\n"a\\nb" = 1\n' + OK_TARGET, ["unknown key 'a\\nb'"], None),
]


@pytest.mark.parametrize(("text", "words", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_profile_is_one_sentence_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, words: list[str],
    line: int | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lightprof.toml").write_text(text)
    code = main(["--headless"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    message = lines[0]
    assert message.startswith("lightprof: lightprof.toml")
    if line is not None:
        assert message.startswith(f"lightprof: lightprof.toml:{line}:"), message
    for word in words:
        assert word in message, message
    assert "Traceback" not in err


def test_there_are_at_least_25_malformed_cases() -> None:
    assert len(CASES) >= 25


def test_missing_profile_file_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["--headless", "-p", "nope.toml"]) == 2
    assert "nope.toml: no such file" in capsys.readouterr().err


def test_profile_that_is_a_folder_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir.toml").mkdir()
    assert main(["--headless", "-p", "dir.toml"]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_pyproject_error_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.lightprof]\nversion = 1\n\n[[tool.lightprof.target]]\nname = "t"\n'
        'command = ["true"]\nruns = -3\n'
    )
    assert main(["--headless"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lightprof: pyproject.toml:10:"), err
    assert "runs" in err


def test_unknown_option_is_exit_2_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lightprof", "--headles"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unrecognized arguments: --headles" in proc.stderr


def test_bad_profile_in_subprocess_has_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "lightprof.toml").write_text("version = 1\n[[target]]\nname = 3\n")
    proc = subprocess.run(
        [sys.executable, "-m", "lightprof", "--headless"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "lightprof.toml:3: 'target[0].name' must be a string, got an integer" in proc.stderr
