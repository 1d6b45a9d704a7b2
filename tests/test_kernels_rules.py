"""Kernel results as gate figures, and the "Wasm shipped without a kernel sample" rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lightprof.gate.kernels import kernel_figures, size_label, wasm_rule_figures
from lightprof.model.kernels import KernelResult, KernelSizeRow
from lightprof.profile.spec import KernelSpec, Profile
from lightprof.stats import summarize


@dataclass
class _Artifact:
    name: str
    wasm_files: list[str] = field(default_factory=list)
    wasm_sha256: list[str] = field(default_factory=list)


@dataclass
class _OldArtifact:  # an ArtifactResult from before the sizes helper added wasm_files
    name: str


def _result(wasm_s: float, fallback_s: float, **extra: object) -> KernelResult:
    row = KernelSizeRow(size_bytes=4096, runs=3, wasm_e2e_s=summarize([wasm_s] * 3),
                        fallback_s=summarize([fallback_s] * 3), wasm_ops_per_cpu_s=1000.0)
    return KernelResult(name="k", sizes=[row], **extra)


def _spec(**extra: object) -> KernelSpec:
    return KernelSpec(name="k", base_dir=Path("."), sizes=(4096,), **extra)


def test_size_labels_are_exact() -> None:
    assert [size_label(n) for n in (4096, 1 << 20, 1000, 100, 1500)] == ["4KiB", "1MiB", "1kB", "100B", "1500B"]


def test_wasm_latency_is_budgeted_against_the_fallback() -> None:
    (figure,) = kernel_figures(_spec(), _result(1e-6, 2e-6))
    assert (figure.metric, figure.measured, figure.limit) == ("wasm_vs_fallback@4KiB", 1e-6, 2e-6)
    assert figure.kind == "kernel" and figure.forced_verdict is None and figure.ci


def test_slower_without_justification_is_left_to_the_limit() -> None:
    (figure,) = kernel_figures(_spec(), _result(3e-6, 2e-6))
    assert figure.measured > figure.limit and figure.forced_verdict is None
    assert "justification" in figure.note


def test_justification_forces_a_pass_with_the_reason() -> None:
    (figure,) = kernel_figures(_spec(justification="portable across hosts"), _result(3e-6, 2e-6))
    assert figure.forced_verdict == "pass"
    assert "portable across hosts" in figure.note


def test_ops_per_cpu_s_floor_is_higher_is_better() -> None:
    figures = kernel_figures(_spec(ops_per_cpu_s=500.0), _result(1e-6, 2e-6))
    floor = next(f for f in figures if f.metric == "ops_per_cpu_s@4KiB")
    assert floor.higher_is_better and (floor.measured, floor.limit) == (1000.0, 500.0)


def test_failed_kernel_is_unmeasured_with_its_error() -> None:
    failed = KernelResult(name="k", error="did not return within its 1 s time bound", failure="timeout")
    (figure,) = kernel_figures(_spec(), failed)
    assert figure.measured is None and "time bound" in figure.note


def test_wasm_in_an_artifact_without_a_kernel_fails() -> None:
    profile = Profile(name="p", path=None, origin="adhoc")
    (figure,) = wasm_rule_figures(profile, [_Artifact("web", ["dist/app.wasm"])])
    assert figure.forced_verdict == "fail"
    assert "no [[kernel]] sample" in figure.note and "dist/app.wasm" in figure.note


def test_wasm_with_a_kernel_of_that_module_passes() -> None:
    profile = Profile(name="p", path=None, origin="adhoc", kernels=(_spec(),))
    kernel = KernelResult(name="k", module_sha256="ab" * 32)
    (figure,) = wasm_rule_figures(profile, [_Artifact("web", ["dist/app.wasm"], ["ab" * 32])], [kernel])
    assert figure.forced_verdict == "pass" and "dist/app.wasm by kernel 'k' (same SHA-256)" in figure.note


def test_wasm_with_only_an_unrelated_kernel_fails() -> None:
    profile = Profile(name="p", path=None, origin="adhoc", kernels=(_spec(),))
    kernel = KernelResult(name="k", module_sha256="cd" * 32)
    (figure,) = wasm_rule_figures(profile, [_Artifact("web", ["dist/app.wasm"], ["ab" * 32])], [kernel])
    assert figure.forced_verdict == "fail" and "'dist/app.wasm'" in figure.note


def test_another_way_of_sampling_plugs_in_as_a_finder() -> None:
    profile = Profile(name="p", path=None, origin="adhoc")
    (figure,) = wasm_rule_figures(profile, [_Artifact("web", ["dist/app.wasm"], ["ab" * 32])],
                                  finders=[lambda shipped: "op_latency events" if shipped.sha256 else None])
    assert figure.forced_verdict == "pass" and "by op_latency events" in figure.note


def test_a_report_without_digests_takes_any_kernel_as_before() -> None:
    profile = Profile(name="p", path=None, origin="adhoc", kernels=(_spec(),))
    (figure,) = wasm_rule_figures(profile, [_Artifact("web", ["dist/app.wasm"])])
    assert figure.forced_verdict == "pass" and "recorded no digest" in figure.note


def test_no_wasm_no_rule_figure() -> None:
    profile = Profile(name="p", path=None, origin="adhoc")
    assert wasm_rule_figures(profile, [_Artifact("web"), _OldArtifact("old")]) == []
