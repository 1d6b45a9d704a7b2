"""Fuzz: 500 hostile profiles, seeded. Every one is either refused with one sentence naming the file
and the key (exit 2) or loads into specs that hold only finite, bounded, NUL-free values; a share
of them also goes through the real `lightprof --headless` in a subprocess, with the same answer."""

from __future__ import annotations

import dataclasses
import math
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from lightprof.errors import ProfileError
from lightprof.profile.load import load_profile
from lightprof.profile.spec import MAX_NAME_LENGTH, Profile
from lightprof.units import MAX_DURATION_S, MAX_RATIO, MAX_SIZE_BYTES
from tests.fuzz_support import (
    BYTE_MUTATIONS,
    MUTATIONS,
    Case,
    assert_handled,
    check_cli,
    check_sentence,
    every_nth,
    generate,
    run_cli,
    toml_bytes,
)
from tests.sizes_helpers import Layer, write_docker_save

BASE: dict[str, Any] = {
    "version": 1,
    "name": "fuzz",
    "defaults": {"runs": 2, "warmup": 0, "max_runs": 4, "timeout": "10s", "tolerance": "10%"},
    "target": [
        {"name": "t", "command": ["true"], "cwd": ".", "env": {"A": "1", "B": "two"}, "ready": "exit",
         "grace": "1s", "sample_hz": 20, "budget": {"cold_start_p95": "5s", "cold_start_p50": "5s",
                                                   "rss_peak": "1GiB"}},
        {"name": "s", "command": "echo ready; sleep 0.1", "ready": {"stdout": "ready"}, "hold": "50ms",
         "timeout": "5s", "runs": 2},
        {"name": "p", "command": ["true"], "ready": {"port": 65000, "host": "127.0.0.1"}, "timeout": "2s"},
        {"name": "h", "command": ["true"], "ready": {"http": "http://127.0.0.1:65001/health"}, "timeout": "2s"},
    ],
    "artifact": [{"name": "a", "path": "art.txt", "compression": "gzip", "budget": "1MB", "top": 5,
                  "tolerance": "5%"}],
    "image": [{"name": "i", "path": "image.tar", "budget": "10MB", "budget_compressed": "10MB",
               "wasted_max": "1MB", "efficiency_min": "50%", "top": 3, "tolerance": "10%"}],
    "kernel": [{"name": "sum_u8", "sizes": ["1KiB"], "runs": 2, "justification": "fuzz", "ops_per_cpu_s": 1,
                "tolerance": "10%"}],
}
NAMES = [("target", i, "name") for i in range(4)] + [("artifact", 0, "name"), ("image", 0, "name"),
                                                     ("kernel", 0, "name")]
PER_MUTATION = {m: (50 if m not in BYTE_MUTATIONS else 20) for m in MUTATIONS}
CASES = generate("profile", BASE, toml_bytes, names=NAMES, per_mutation=PER_MUTATION)
CLI_SHARE = 40


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-profiles")
    (folder / "art.txt").write_text("hello\n")
    write_docker_save(folder / "image.tar", [Layer(files={"bin/app": b"x" * 1000}, created_by="COPY app")])
    for case in CASES:
        (folder / f"{case.id}.toml").write_bytes(case.data)
    return folder


def values(item: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every leaf of a spec tree (dataclasses, mappings, tuples)."""
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        for f in dataclasses.fields(item):
            yield from values(getattr(item, f.name), f"{path}.{f.name}")
    elif isinstance(item, Mapping):
        for key, value in item.items():
            yield f"{path}.<key>", key
            yield from values(value, f"{path}.{key}")
    elif isinstance(item, (list, tuple)):
        for i, value in enumerate(item):
            yield from values(value, f"{path}[{i}]")
    else:
        yield path, item


def insane(profile: Profile) -> str | None:
    """What a loaded profile holds that nothing downstream should ever meet, or None."""
    for path, value in values(profile):
        if isinstance(value, float) and not math.isfinite(value):
            return f"{path} is {value}"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE_BYTES:
            return f"{path} is {value}"
        if isinstance(value, str) and "\0" in value:
            return f"{path} holds a NUL"
    for spec in (*profile.targets, *profile.artifacts, *profile.images, *profile.kernels):
        if len(spec.name) > MAX_NAME_LENGTH or not spec.name.isprintable() or not spec.name.strip():
            return f"name {spec.name[:40]!r}"
        if not 0 <= spec.tolerance <= MAX_RATIO:
            return f"{spec.name}: tolerance {spec.tolerance}"
    for target in profile.targets:
        if any(not key or "=" in key for key in target.env):
            return f"{target.name}: env key"
        if not 0 < target.timeout <= MAX_DURATION_S or not 0 <= target.hold <= MAX_DURATION_S:
            return f"{target.name}: timeout {target.timeout} hold {target.hold}"
        if target.ready.url is not None and not 0 < (urlsplit(target.ready.url).port or 80) < 65536:
            return f"{target.name}: ready url {target.ready.url}"
    return None


def outcome_in_process(path: Path, case: Case) -> tuple[str | None, str | None]:
    """(what is wrong or None, the refusal message or None)."""
    try:
        profile = load_profile(path)
    except ProfileError as exc:
        name_key = case.mutation != "deep-nesting"  # TOML's parser cannot say where it nests too deep
        return check_sentence(exc.message, [path.name], case, name_key=name_key), exc.message
    except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
        return f"uncaught {type(exc).__name__}: {str(exc)[:200]}", None
    return insane(profile), None


def test_at_least_500_profiles_are_generated_from_every_mutation() -> None:
    assert len(CASES) >= 500
    assert {case.mutation for case in CASES} == set(MUTATIONS)
    assert len({case.data for case in CASES}) > 0.8 * len(CASES)  # mutations, not copies


def test_the_base_profile_is_valid_and_measures(case_dir: Path) -> None:
    (case_dir / "base.toml").write_bytes(toml_bytes(BASE))
    load_profile(case_dir / "base.toml")


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_every_hostile_profile_is_one_sentence_or_a_sane_profile(case_dir: Path, mutation: str) -> None:
    assert_handled([c for c in CASES if c.mutation == mutation],
                   lambda case: outcome_in_process(case_dir / f"{case.id}.toml", case)[0])


def test_a_share_of_hostile_profiles_through_the_real_command(case_dir: Path) -> None:
    """The same answer from `lightprof --headless -p`: exit 2 with the same sentence, or a run.

    Half the share is profiles refused in-process, half profiles that loaded: those are measured.
    """
    refused = [c for c in CASES if outcome_in_process(case_dir / f"{c.id}.toml", c)[1] is not None]
    loaded = [c for c in CASES if c not in refused]
    share = every_nth(refused, CLI_SHARE // 2) + every_nth(loaded, CLI_SHARE // 2)

    def run(case: Case) -> str | None:
        folder = case_dir / f"cli-{case.id}"
        folder.mkdir()
        for shared in ("art.txt", "image.tar"):
            shutil.copy(case_dir / shared, folder / shared)
        profile = folder / "p.toml"
        profile.write_bytes(case.data)
        _wrong, message = outcome_in_process(profile, case)
        message = message and message.replace(str(profile), "p.toml")  # the command runs in the folder
        outcome = run_cli(["--headless", "-p", "p.toml"], cwd=folder)
        wrong = check_cli(outcome, ["p.toml"], case, name_key=case.mutation != "deep-nesting")
        if wrong is None and message is not None and outcome.stderr.strip() != f"lightprof: {message}":
            wrong = f"exit {outcome.code}, {outcome.stderr.strip()[:200]!r}; in-process: {message[:200]!r}"
        if wrong is None and message is None and outcome.code == 2:
            wrong = f"refused by the command but not in-process: {outcome.stderr.strip()[:200]!r}"
        return wrong

    assert_handled(share, run, threads=2)
