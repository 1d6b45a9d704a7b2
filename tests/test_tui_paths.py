"""The Paths pane (issue 14 item 5): its lines, and `lightprof` in tmux sending a real server's paths.

The lines are pure functions of the report's data; the end-to-end test runs the Python server of
tests/paths_servers.py under the TUI, watches the paths come in while the requests run, and checks
the screen's figures against the server's own counters.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lightprof.model.paths import Counter, EventStats, FieldStats, Latency, PathResult
from lightprof.tui.panes.paths_text import binned_lines, counters_lines, events_lines, path_table
from tests.paths_servers import free_port, left_running, profile_text, server_command
from tests.tmux_support import Tmux

FIGURE = r"(?:[\d,.]+ (?:ns|µs|ms|s|B|KiB|MiB|GiB)|[\d,]+(?:\.\d+)?|—)"


def _path(name: str, p50: float, errors: int = 0, requests: int = 200) -> PathResult:
    latency = Latency(n=requests, min=p50 / 2, p50=p50, p95=p50 * 3, p99=p50 * 4, max=p50 * 10, mean=p50 * 1.2)
    return PathResult(name=name, method="GET", url=f"/{name}", requests=requests, sent=requests + 1,
                      errors=errors, first_latency_s=p50 * 7, latency_s=latency, ops_per_cpu_s=123456.7,
                      rss_peak_bytes=61 * 2**20,
                      histogram=[(p50 / 2 * 20 ** ((i + 1) / 24), 0 if i % 3 else 7 * (i + 1)) for i in range(24)])


@pytest.mark.parametrize("width", [120, 76, 56, 40, 30])
def test_the_path_table_drops_columns_and_never_cuts_a_number(width: int) -> None:
    paths = [_path("cheap", 1.04e-4), _path("a-rather-long-route-name", 0.0123, errors=3)]
    lines = path_table(paths, width)
    head = re.findall(r"path|p50|p95|first|ops/cpu-s|errors|requests|peak RSS", lines[0][0])
    assert head[0] == "path" and all(len(text) <= width for text, _style in lines)
    for (text, style), path in zip(lines[1:], paths, strict=True):
        cells = re.findall(FIGURE, text.removeprefix("  " + path.name))
        assert len(cells) == len(head) - 1, (width, text)  # every column's figure, whole
        assert style == ("red" if path.errors else "")
    if width >= 76:
        assert head == ["path", "p50", "p95", "first", "ops/cpu-s", "errors", "requests", "peak RSS"]
        assert "123,457" in lines[1][0] and "61.0 MiB" in lines[1][0]
    if width <= 40:
        assert "ops/cpu-s" not in head and "p95" in head and "errors" in head


def test_a_path_that_could_not_be_measured_says_why_on_its_row() -> None:
    broken = PathResult(name="gone", method="GET", url="/gone", error="no measured request was sent")
    lines = path_table([_path("ok", 0.001), broken], 70)
    assert lines[2][0].split() == ["gone", "no", "measured", "request", "was", "sent"] and lines[2][1] == "red"


def test_the_latency_histogram_shows_counts_ticks_marks_and_the_budget() -> None:
    path = _path("cheap", 0.002)
    assert path.latency_s is not None
    lines = binned_lines(path.histogram, path.latency_s.min, 60, 8, marks={"p50": 0.002, "p95": 0.006},
                         limit=0.03)
    texts = [text for text, _style in lines]
    top = max(count for _bound, count in path.histogram)
    assert texts[0].startswith(f"{top}┤") and all(len(t) <= 60 for t in texts)
    assert "▲p50" in texts[-2] and "▲p95" in texts[-2] and "│budget" in texts[-2]
    assert texts[-1].strip().startswith("1.00 ms") and texts[-1].rstrip().endswith("30.0 ms")
    # Empty bins draw nothing: every third bin holds the counts.
    assert " " in texts[-4][len(str(top)) + 1:]


def test_one_slow_request_among_hundreds_stays_visible() -> None:
    bars = [text for text, _style in binned_lines([(0.001, 500), (0.002, 0), (0.004, 1)], 0.0005, 40, 6)
            if "┤" in text]
    assert bars[0].startswith("500┤") and bars[-1].endswith("▁" * 12)  # the last bin: (2 ms, 4 ms]
    assert bars[-1].split("┤")[1][12:24].strip() == ""  # the empty bin draws nothing


def test_events_of_two_impls_share_one_axis() -> None:
    def stats(p50: float) -> FieldStats:
        return FieldStats(n=50, min=p50 * 0.8, p50=p50, p95=p50 * 1.2, max=p50 * 1.5, mean=p50)

    events = [EventStats("op_latency", "sum", "js", 50, ms=stats(0.05)),
              EventStats("op_latency", "sum", "wasm", 50, ms=stats(2.0)),
              EventStats("cache_miss", None, None, 4)]
    lines = events_lines(events, 80)
    js, wasm = lines[1][0], lines[2][0]
    assert js.startswith("sum js") and wasm.startswith("sum wasm") and "50.0 µs" in js and "2.00 ms" in wasm
    assert js.index("┃") < wasm.index("┃")  # the slower impl's p50 sits further right on the same axis
    assert lines[3][0].split() == ["cache_miss", "4"]
    assert lines[-1][0].strip().startswith("40.0 µs") and lines[-1][0].rstrip().endswith("3.00 ms")


def test_counters_show_before_after_and_the_exact_delta_at_any_width() -> None:
    counters = {'requests_total{route="/cheap"}': Counter(None, 301.0, 301.0), "bytes_total": Counter(5e9, 6e9, 1e9)}
    wide = counters_lines(counters, 90)
    assert wide[0][0].split() == ["counter", "before", "after", "delta"]
    assert wide[1][0].split()[1:] == ["5,000,000,000", "6,000,000,000", "1,000,000,000"]
    assert wide[2][0].split()[1:] == ["—", "301", "301"]
    narrow = counters_lines(counters, 40)
    assert narrow[0][0].split() == ["counter", "delta"] and narrow[2][0].rstrip().endswith(" 301")
    assert all(len(text) <= 40 for text, _style in narrow)


# ---------------------------------------------------------------------------------------------- tmux


def _row(screen: str, name: str) -> list[str]:
    line = next(line for line in screen.splitlines() if line.strip().startswith(name + " "))
    return re.findall(FIGURE, line.split(name, 1)[1])


def _seconds(text: str) -> float:
    value, unit = text.split()
    return float(value) * {"ns": 1e-9, "µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_paths_pane_fills_in_live_and_matches_the_server_counters(tmp_path: Path, tmux: Tmux) -> None:
    port = free_port()
    paths = [
        {"name": "cheap", "url": "/cheap", "requests": 200},
        {"name": "costly", "url": "/costly", "requests": 40, "budget": {"latency_p95": "10ms"}},
        {"name": "sum", "method": "POST", "url": "/sum", "body": {"size": "4KiB"}, "requests": 30},
        {"name": "wsum", "method": "POST", "url": "/wasm/sum", "body": {"size": "4KiB"}, "requests": 30},
    ]
    profile = profile_text(server_command(tmp_path, "python", port), port, paths,
                           env={"COSTLY_WORK": "300000", "WASM_REPEAT": "20"},
                           telemetry={"events": True, "metrics": "/metrics", "justification": "test"})
    (tmp_path / "lightprof.toml").write_text(profile)
    tmux.start_lightprof(tmp_path, [], size=(80, 24))
    tmux.wait_text("server")
    tmux.keys("6")
    tmux.wait_text("4 paths: cheap, costly, sum, wsum · press r to run them")
    tmux.keys("r")
    # Live: the first path's row is there while the later ones are still being sent.
    live = tmux.wait_text("sending requests", "cheap", timeout=120)
    assert "▶" in live or "sending requests" in live
    done = tmux.wait_for(lambda s: "sending requests" not in s and "wsum" in s and "path " in s, timeout=180)
    for line in done.splitlines():
        assert len(line) <= 80
    cheap, costly = _row(done, "cheap"), _row(done, "costly")
    assert len(cheap) == len(costly) == 7, done  # p50 p95 first ops/cpu-s errors requests peak RSS
    assert _seconds(costly[0]) > 3 * _seconds(cheap[0])  # ranked as the work says
    assert float(cheap[3].replace(",", "")) > 3 * float(costly[3].replace(",", ""))
    assert (cheap[4], cheap[5], costly[5]) == ("0", "200", "40")

    tmux("resize-window", "-t", "ui", "-x", "110", "-y", "90")
    big = tmux.wait_text("counter", "wasm_instantiates_total", timeout=20)
    for name, requests in (("cheap", 200), ("costly", 40), ("sum", 30), ("wsum", 30)):
        assert f"{name} · " in big and f"latency of {requests} requests" in big
    costly_chart = big.split("costly · GET /costly", 1)[1].split("sum · POST", 1)[0]
    assert "│budget" in costly_chart or "budget│" in costly_chart, big  # its 10 ms latency_p95
    sent = {"cheap": 201, "costly": 41, "sum": 31, "wasm/sum": 31}
    for route, count in sent.items():
        figures = _row(big, f'requests_total{{route="/{route}"}}')
        assert figures[-1] == str(count) and figures[-2] == str(count), (route, figures)
    js, wasm = _row(big, "sum js"), _row(big, "sum wasm")
    assert js[0] == wasm[0] == "31"  # one event per request sent
    js_line, wasm_line = (next(line for line in big.splitlines() if line.strip().startswith(label))
                          for label in ("sum js ", "sum wasm "))
    assert js_line.index("┃") < wasm_line.index("┃")  # wasm (20x the work) right of js
    tmux.quit()
    assert left_running(str(tmp_path)) == []
