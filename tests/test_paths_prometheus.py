"""The Prometheus text parser against the exposition format's documented cases and its traps."""

from __future__ import annotations

import math

import pytest

from lightprof.measure.target.paths.prometheus import ExpositionError, parse_counters

# The example from the format's documentation (exposition_formats.md), counters and all.
DOCUMENTED = r'''
# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
'''


def test_the_documented_example_yields_its_counters_only() -> None:
    assert parse_counters(DOCUMENTED) == {
        'http_requests_total{code="200",method="post"}': 1027.0,
        'http_requests_total{code="400",method="post"}': 3.0,
    }


def test_a_counter_family_named_without_total_counts_its_total_samples() -> None:
    text = "# TYPE jobs counter\njobs_total 5\njobs_created 1.7e9\n"
    assert parse_counters(text) == {"jobs_total": 5.0}


def test_untyped_samples_count_when_their_name_ends_in_total() -> None:
    text = "wasm_cache_hits_total 7\nwasm_cache_size 3\n"
    assert parse_counters(text) == {"wasm_cache_hits_total": 7.0}


def test_label_values_keep_their_escapes_and_labels_are_sorted() -> None:
    text = '# TYPE c counter\nc{b="x\\"y",a="line\\nbreak",} 1\n'
    assert parse_counters(text) == {'c{a="line\\nbreak",b="x\\"y"}': 1.0}


@pytest.mark.parametrize("value, expected", [("NaN", math.nan), ("+Inf", math.inf), ("-Inf", -math.inf),
                                             ("1e+06", 1e6), ("-0.5", -0.5), (".5", 0.5), ("12", 12.0)])
def test_values_take_every_documented_form(value: str, expected: float) -> None:
    got = parse_counters(f"x_total {value}\n")["x_total"]
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def test_windows_line_ends_blank_lines_and_eof_marker_are_accepted() -> None:
    assert parse_counters("\r\n# TYPE a counter\r\na 1\r\n\r\n# EOF\r\n") == {"a": 1.0}


@pytest.mark.parametrize("text, says", [
    ("x_total\n", "followed by a value"),
    ("x_total one\n", "must be a number"),
    ("x_total 1 2 3\n", "followed by a value"),
    ("x_total 1 1.5\n", "timestamp must be an integer"),
    ('x_total{a="1" 2\n', "expected ',' or '}'"),
    ('x_total{a="1\n', "not closed"),
    ('x_total{a="\\t"} 1\n', "unknown escape"),
    ('x_total{1a="1"} 1\n', "label name"),
    ('x_total{a="1",a="2"} 1\n', "appears twice"),
    ("# TYPE x counter\n# TYPE x gauge\n", "second TYPE"),
    ("# TYPE x histogram_ish\n", "must be one of"),
    ("x 1\n# TYPE x counter\n", "after its samples"),
    ("x_total 1\nx_total 2\n", "appears twice"),
    ("9lives_total 1\n", "metric name"),
    ("x_total{a=\"1\"}1\n", "followed by a value"),
])
def test_malformed_text_is_refused_naming_the_line(text: str, says: str) -> None:
    with pytest.raises(ExpositionError, match=says) as caught:
        parse_counters(text)
    assert str(caught.value).startswith("line ")
