"""Fuzz: hostile baselines, kernel.toml files and image manifests, seeded.

The loaders are owned by other areas (baselines: the gate; kernel.toml and image manifests: sizes
and kernels). Every case must end in one sentence naming the file and the key, or in a valid
result: finite numbers, no negative byte counts, the documented baseline version.

Image cases mutate one document of a real image built here (OCI index.json, the manifest blob, the
config blob; docker save's manifest.json and config) with digests and sizes kept consistent, so the
mutation reaches the parser rather than a digest check; they are read from an OCI layout folder,
an OCI archive or a docker save tarball.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lightprof.errors import LightprofError
from tests.fuzz_support import (
    BYTE_MUTATIONS,
    SEED,
    TREE_MUTATIONS,
    Case,
    TreeMutator,
    assert_handled,
    check_cli,
    check_sentence,
    every_nth,
    json_bytes,
    leaves,
    mutate_bytes,
    non_finite_numbers,
    run_cli,
    toml_bytes,
)
from tests.sizes_helpers import Layer, compress, config_for, digest, oci_files, write_oci_layout, write_tar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
# No subject names to duplicate in these documents.
MUTATIONS = tuple(m for m in TREE_MUTATIONS if m != "duplicate-names") + BYTE_MUTATIONS
PROFILE = ('version = 1\nname = "base"\n[[target]]\nname = "t"\ncommand = ["true"]\nruns = 3\nwarmup = 0\n'
           '[target.budget]\ncold_start_p95 = "5s"\nrss_peak = "1GiB"\n'
           '[[artifact]]\nname = "a"\npath = "art.txt"\nbudget = "1MB"\n')
CLI_SHARE = 12  # per kind

def mutate_document(kind: str, document: str, base: bytes, mutation: str, index: int,
                    parse: Callable[[bytes], Any], dump: Callable[[Any], bytes]) -> tuple[bytes, Any, str]:
    """One mutation of a document's bytes: (new bytes, key path or None, note)."""
    rng = random.Random(f"{SEED}-{kind}-{document}-{mutation}-{index}")
    if mutation in BYTE_MUTATIONS:
        data, note = mutate_bytes(base, mutation, rng)
        return data, None, note
    tree, key, note = TreeMutator(parse(base), names=[], json_types=dump is json_bytes).mutate(mutation, rng)
    return dump(tree), key, note


def toml_tree(data: bytes) -> Any:
    return tomllib.loads(data.decode())


def is_refusal(exc: BaseException) -> bool:
    return isinstance(exc, LightprofError) or type(exc).__name__ == "KernelFailure"


def negative_bytes(value: Any) -> str | None:
    import dataclasses

    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            for f in dataclasses.fields(item):
                field_value = getattr(item, f.name)
                if f.name.endswith("_bytes") and isinstance(field_value, (int, float)) and field_value < 0:
                    return f"{where}.{f.name} = {field_value}"
                stack.append((f"{where}.{f.name}", field_value))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


def judge_outcome(case: Case, call: Callable[[], Any], file_words: list[str],
                  check_valid: Callable[[Any], str | None]) -> str | None:
    try:
        loaded = call()
    except Exception as exc:  # noqa: BLE001 - the point: only a refusal may escape
        if is_refusal(exc):
            return check_sentence(getattr(exc, "message", str(exc)), file_words, case,
                                  name_key=case.mutation != "deep-nesting")
        return f"uncaught {type(exc).__name__}: {str(exc)[:160]}"
    if bad := next(non_finite_numbers(loaded), None):
        return f"accepted a non-finite number at {bad}"
    return check_valid(loaded)


def run_kind(cases: list[Case], outcome: Callable[[Case], str | None], mutation: str) -> None:
    assert_handled([case for case in cases if case.mutation == mutation], outcome)


def cli_share(cases: list[Case], run: Callable[[Case], str | None]) -> None:
    assert_handled(every_nth(cases, CLI_SHARE), run, threads=2)


def cli_problem(args: list[str], cwd: Path, file_words: list[str], case: Case) -> str | None:
    return check_cli(run_cli(args, cwd), file_words, case, name_key=case.mutation != "deep-nesting")


# ------------------------------------------------------------------ baselines (owned by the gate)


@dataclass
class BaselineWorld:
    folder: Path
    base: bytes
    cases: list[Case]


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> BaselineWorld:
    """A real baseline, written by `lightprof --headless --update-baseline` from a real measurement
    (in a subprocess: measuring in-process would make the test process a subreaper for the rest of
    the session, and other tests' orphans its zombies)."""
    folder = tmp_path_factory.mktemp("fuzz-baselines")
    (folder / "art.txt").write_text("hello\n")
    (folder / "p.toml").write_text(PROFILE)
    outcome = run_cli(["--headless", "-p", "p.toml", "--update-baseline"], folder)
    assert outcome.code == 0, outcome.stderr
    base = (folder / "base.baseline.toml").read_bytes()
    cases = []
    for mutation in MUTATIONS:
        for i in range(15 if mutation in TREE_MUTATIONS else 6):
            data, key, note = mutate_document("baseline", "baseline", base, mutation, i, toml_tree, toml_bytes)
            cases.append(Case("baseline", mutation, i, key, data, note))
    tree = toml_tree(base)
    for name, change in BASELINE_EXTREMES.items():
        cases.append(Case("baseline", name, 0, None, toml_bytes(change(tree)), name))
    return BaselineWorld(folder, base, cases)


def every_float(tree: Any, value: float) -> Any:
    """`tree` with each float (a figure, a sample) replaced, whatever the baseline's layout."""
    if isinstance(tree, dict):
        return {k: every_float(v, value) for k, v in tree.items()}
    if isinstance(tree, list):
        return [every_float(v, value) for v in tree]
    return value if isinstance(tree, float) else tree


# The baseline classes of issue 12's "nonsense accepted", whatever the file's layout.
BASELINE_EXTREMES: dict[str, Callable[[Any], Any]] = {
    "every-float-nan": lambda tree: every_float(tree, float("nan")),
    "every-float-inf": lambda tree: every_float(tree, float("inf")),
    "every-float-negative": lambda tree: every_float(tree, -1.0),
    "version-99": lambda tree: {**tree, "version": 99},
}


def negative_float(value: Any) -> str | None:
    return next((f"{where} = {item}" for where, item in leaves(value) if isinstance(item, float) and item < 0), None)


def baseline_outcome(world: BaselineWorld, case: Case) -> str | None:
    from lightprof.profile.baseline import BASELINE_VERSION, load_baseline
    from lightprof.profile.load import load_profile

    profile = load_profile(world.folder / "p.toml")
    path = profile.baseline_path()
    path.write_bytes(case.data)

    def valid(baseline: Any) -> str | None:
        version = tomllib.loads(case.data.decode()).get("version")
        if version != BASELINE_VERSION:
            return f"loaded a baseline of version {version!r}"
        if negative := negative_float(baseline):
            return f"loaded a negative figure: {negative}"
        return None

    return judge_outcome(case, lambda: load_baseline(profile), [path.name], valid)


@pytest.mark.parametrize("mutation", MUTATIONS + tuple(BASELINE_EXTREMES))
def test_every_hostile_baseline_is_one_sentence_or_a_valid_baseline(baselines: BaselineWorld, mutation: str) -> None:
    run_kind(baselines.cases, lambda case: baseline_outcome(baselines, case), mutation)


def test_a_share_of_hostile_baselines_through_the_real_command(baselines: BaselineWorld) -> None:
    def run(case: Case) -> str | None:
        folder = baselines.folder / f"cli-{case.id}"
        folder.mkdir()
        for name in ("p.toml", "art.txt"):
            shutil.copy(baselines.folder / name, folder / name)
        (folder / "base.baseline.toml").write_bytes(case.data)
        return cli_problem(["--headless", "-p", "p.toml"], folder, ["base.baseline.toml"], case)

    cli_share(baselines.cases, run)


# ------------------------------------------------------------------ kernel.toml (owned by kernels)


KERNEL_BASE = (REPO / "kernels" / "dot_f32" / "kernel.toml").read_text() + (
    'memory = "memory"\ninput_offset = 65536\ncall_timeout_s = 1.0\nargs = []\n')


@pytest.fixture(scope="module")
def kernel_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    folder = tmp_path_factory.mktemp("fuzz-kernels")
    base = KERNEL_BASE.encode()
    cases = []
    for mutation in MUTATIONS:
        for i in range(15 if mutation in TREE_MUTATIONS else 9):
            data, key, note = mutate_document("kernel", "kernel.toml", base, mutation, i, toml_tree, toml_bytes)
            case = Case("kernel", mutation, i, key, data, note)
            kernel = folder / case.id
            kernel.mkdir()
            for name in ("kernel.wat", "fallback.py"):
                shutil.copy(REPO / "kernels" / "dot_f32" / name, kernel / name)
            (kernel / "kernel.toml").write_bytes(data)
            cases.append(case)
    return folder, cases


def kernel_outcome(folder: Path, case: Case) -> str | None:
    from lightprof.measure.kernels.manifest import load_manifest
    from lightprof.profile.spec import KernelSpec

    spec = KernelSpec(name="k", base_dir=folder, path=case.id)
    return judge_outcome(case, lambda: load_manifest(spec), ["kernel.toml"], lambda manifest: None)


def test_the_base_kernel_manifest_is_valid(kernel_cases: tuple[Path, list[Case]]) -> None:
    from lightprof.measure.kernels.manifest import load_manifest
    from lightprof.profile.spec import KernelSpec

    folder = kernel_cases[0] / "base"
    shutil.copytree(REPO / "kernels" / "dot_f32", folder)
    (folder / "kernel.toml").write_text(KERNEL_BASE)
    load_manifest(KernelSpec(name="k", base_dir=folder.parent, path="base"))


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_every_hostile_kernel_toml_is_one_sentence_or_a_valid_manifest(
    kernel_cases: tuple[Path, list[Case]], mutation: str
) -> None:
    folder, cases = kernel_cases
    run_kind(cases, lambda case: kernel_outcome(folder, case), mutation)


def test_a_share_of_hostile_kernel_tomls_through_the_real_command(kernel_cases: tuple[Path, list[Case]]) -> None:
    folder, cases = kernel_cases

    def run(case: Case) -> str | None:
        profile = folder / f"{case.id}.toml"
        profile.write_text(f'version = 1\n[[kernel]]\nname = "k"\npath = "{case.id}"\nsizes = ["1KiB"]\nruns = 2\n')
        return cli_problem(["--headless", "-p", profile.name], folder, ["kernel.toml"], case)

    cli_share(cases, run)


# ------------------------------------------------------------------ image manifests (owned by sizes)


LAYERS = [Layer(dirs=["bin"], files={"bin/app": b"a" * 3000, "etc/conf": b"c" * 100}, created_by="ADD base"),
          Layer(files={"bin/app": b"b" * 2000}, created_by="COPY app")]
IMAGE_DOCUMENTS = ("oci-index", "oci-manifest", "oci-config", "docker-manifest", "docker-config")
CONTAINERS = ("layout", "archive")


def docker_files() -> dict[str, bytes]:
    """A classic docker save tarball's files, by name (as sizes_helpers.write_docker_save writes them)."""
    tars = [layer.tar() for layer in LAYERS]
    config = config_for(LAYERS, tars)
    config_name = digest(config).split(":")[1] + ".json"
    names = [f"{digest(t).split(':')[1]}/layer.tar" for t in tars]
    files = {"manifest.json": json.dumps([{"Config": config_name, "RepoTags": ["demo:1"], "Layers": names}]).encode(),
             config_name: config}
    files.update({name: compress(t, "none") for name, t in zip(names, tars, strict=True)})
    return files


def blob(files: dict[str, bytes], descriptor: dict[str, Any]) -> bytes:
    return files["blobs/sha256/" + descriptor["digest"].split(":")[1]]


def store(files: dict[str, bytes], data: bytes) -> dict[str, Any]:
    """Put `data` in as a blob; its descriptor's digest and size."""
    files["blobs/sha256/" + hashlib.sha256(data).hexdigest()] = data
    return {"digest": digest(data), "size": len(data)}


def mutated_image(document: str, mutation: str, index: int) -> tuple[dict[str, bytes], Any, str]:
    """The files of an image with `document` mutated, digests and sizes kept consistent."""

    def change(base: bytes) -> tuple[bytes, Any, str]:
        return mutate_document("image", document, base, mutation, index, json.loads, json_bytes)

    if document.startswith("docker"):
        files = docker_files()
        entry = json.loads(files["manifest.json"])[0]
        if document == "docker-manifest":
            files["manifest.json"], key, note = change(files["manifest.json"])
        else:
            files[entry["Config"]], key, note = change(files[entry["Config"]])
        return files, key, note
    files = oci_files(LAYERS, "gzip")
    if document == "oci-index":
        files["index.json"], key, note = change(files["index.json"])
        return files, key, note
    index_doc = json.loads(files["index.json"])
    manifest = json.loads(blob(files, index_doc["manifests"][0]))
    if document == "oci-config":
        data, key, note = change(blob(files, manifest["config"]))
        manifest["config"].update(store(files, data))
        manifest_bytes = json.dumps(manifest).encode()
    else:
        manifest_bytes, key, note = change(blob(files, index_doc["manifests"][0]))
    index_doc["manifests"][0].update(store(files, manifest_bytes))
    files["index.json"] = json.dumps(index_doc).encode()
    return files, key, note


@pytest.fixture(scope="module")
def image_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[Case, Path]]]:
    folder = tmp_path_factory.mktemp("fuzz-images")
    cases: list[tuple[Case, Path]] = []
    for document in IMAGE_DOCUMENTS:
        for mutation in MUTATIONS:
            for i in range(3):
                files, key, note = mutated_image(document, mutation, i)
                container = CONTAINERS[i % 2] if document.startswith("oci") else "archive"
                case = Case("image", mutation, len(cases), key, files.get("index.json", b""),
                            f"{document} in {'an archive' if container == 'archive' else 'a layout folder'}: {note}")
                path = folder / (case.id + (".tar" if container == "archive" else ""))
                if container == "archive":
                    write_tar(path, files)
                else:
                    write_oci_layout(path, files)
                cases.append((case, path))
    return folder, cases


def image_outcome(case: Case, path: Path) -> str | None:
    from lightprof.measure.images.image import measure_layout

    return judge_outcome(case, lambda: measure_layout(path, f"image '{path.name}'", top=5, estimate=True),
                         [path.name], negative_bytes)


def test_the_base_images_are_read(tmp_path: Path) -> None:
    from lightprof.measure.images.image import measure_layout

    write_oci_layout(tmp_path / "oci", oci_files(LAYERS, "gzip"))
    write_tar(tmp_path / "docker.tar", docker_files())
    for path in (tmp_path / "oci", tmp_path / "docker.tar"):
        assert measure_layout(path, "base", top=5).size_bytes == 5100


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_every_hostile_image_manifest_is_one_sentence_or_a_valid_image(
    image_cases: tuple[Path, list[tuple[Case, Path]]], mutation: str
) -> None:
    _folder, cases = image_cases
    paths = {case.id: path for case, path in cases}
    assert_handled([case for case, _path in cases if case.mutation == mutation],
                   lambda case: image_outcome(case, paths[case.id]))


def test_a_share_of_hostile_image_manifests_through_the_real_command(
    image_cases: tuple[Path, list[tuple[Case, Path]]]
) -> None:
    folder, pairs = image_cases
    paths = {case.id: path for case, path in pairs}

    def run(case: Case) -> str | None:
        profile = folder / f"{case.id}.toml"
        profile.write_text(f'version = 1\n[[image]]\nname = "i"\npath = "{paths[case.id].name}"\nbudget = "1MB"\n')
        return cli_problem(["--headless", "-p", profile.name], folder, [paths[case.id].name], case)

    cli_share([case for case, _path in pairs], run)


def test_at_least_1000_hostile_inputs_across_the_five_kinds(
    baselines: BaselineWorld, kernel_cases: tuple[Path, list[Case]], image_cases: tuple[Path, list[Any]]
) -> None:
    from tests.test_fuzz_profiles import CASES as PROFILES
    from tests.test_fuzz_reports import CASES as REPORTS

    counts = {"profile": len(PROFILES), "report": len(REPORTS), "baseline": len(baselines.cases),
              "kernel.toml": len(kernel_cases[1]), "image manifest": len(image_cases[1])}
    assert all(count >= 100 for count in counts.values()), counts
    assert sum(counts.values()) >= 1000, counts

