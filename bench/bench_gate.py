"""Gate quality: how often the gate cries wolf, and how often it catches a real slowdown.

Two targets: a tiny C program compiled here (~1 ms, mostly the spawn) and `python -S` with a
fixed loop (~10 ms). Each is run unchanged and made slower by 5, 10 and 20% with fixed extra work
(more loop iterations, sized on this machine at start: a wall-clock spin would not feel contention).
Two modes:
- stored: `--update-baseline` once per few decisions (baselines of every age), then the gate with
  that baseline (tolerance 10% by default), as CI runs it on main;
- ab: the slowed target `against` the unchanged one in one profile (tolerance 5% by default):
  the same interleaved pairs and judge as `--base REV`, without the git worktree.
Three conditions: quiet (nothing added; on a shared machine that is not quiet); bursty (one
process per core alternating random bursts of work, 5-60 ms, and rest, 5-100 ms, during baselines
and checks alike); hog (one busy-loop process started after the baselines were taken).

Every decision goes through lightprof's own code: a worker process loads each profile and
baseline with lightprof.profile.load / lightprof.profile.baseline and calls lightprof.session.measure_profile
in-process (4,800 fresh CLI processes would add nothing but their start-up); its exit code is
the verdict. The noise runs in processes of this orchestrator, not of the worker, so lightprof
(a child subreaper) neither adopts nor sweeps them. The time per verdict is then measured through
the real CLI (`python -m lightprof --headless`) a few times, stored mode and `--base` on a git
repository made here.

    python bench/bench_gate.py                          # the full run: 100 decisions per cell
    python bench/bench_gate.py --decisions 20 --conditions quiet --targets py
    python bench/bench_gate.py --calibration true       # the calibration command, compared

Prints per cell: false alarms (exit 1 on an unchanged target) or detections (exit 1 on a slowed
one) with counts, inconclusive (warned, exit 0) and drift notes, the median p50 ratio and, in ab
mode, its error against the true ratio (measured here first by plain alternating spawns).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gate_support import EFFECTS, PYTHON, REPO, TARGET_PYTHON, Noise, Target, make_targets, median_time, study

# --------------------------------------------------------------------------- profiles


def toml_list(argv: list[str]) -> str:
    return json.dumps(argv)


def stored_profile(folder: Path, file: str, argv: list[str], tolerance: float) -> Path:
    path = folder / file
    path.write_text(
        'version = 1\nname = "gate"\n[defaults]\n'
        f'tolerance = "{tolerance * 100:g}%"\n'
        f'[[target]]\nname = "t"\ncommand = {toml_list(argv)}\n'
        '[target.budget]\ncold_start_p50 = "10s"\ncold_start_p95 = "10s"\n'
    )
    return path


def ab_profile(folder: Path, file: str, base: list[str], head: list[str], tolerance: float) -> Path:
    path = folder / file
    path.write_text(
        'version = 1\nname = "ab"\n[defaults]\n'
        f'tolerance = "{tolerance * 100:g}%"\n'
        f'[[target]]\nname = "base"\ncommand = {toml_list(base)}\n'
        f'[[target]]\nname = "head"\ncommand = {toml_list(head)}\nagainst = "base"\n'
        '[target.budget]\ncold_start_p50 = "10s"\ncold_start_p95 = "10s"\n'
    )
    return path


# --------------------------------------------------------------------------- the worker


def worker(plan_path: str) -> int:
    """Run each planned decision through lightprof's session, printing one JSON line each."""
    sys.path.insert(0, str(REPO))
    from lightprof.profile.baseline import load_baseline, write_baseline
    from lightprof.profile.load import load_profile
    from lightprof.session import measure_profile
    from lightprof.session import targets as session_targets

    plan = json.loads(Path(plan_path).read_text())
    if plan.get("calibration"):
        command = tuple(plan["calibration"])
        session_targets.calibration_for = lambda _duration: command  # type: ignore[assignment]
    for item in plan["decisions"]:
        profile = load_profile(item["profile"])
        start = time.perf_counter()
        if item["update"]:
            result = measure_profile(profile, calibrate=True)
            write_baseline(profile, result)
        else:
            result = measure_profile(profile, baseline=load_baseline(profile))
        seconds = time.perf_counter() - start
        judged = [t for t in result.targets if t.comparison is not None]
        comparison = judged[0].comparison if judged else None
        out = {
            "id": item["id"], "exit_code": result.exit_code, "seconds": seconds,
            "verdicts": sorted({r.verdict for r in result.budgets}),
            "ratio": comparison.ratio_p50 if comparison else None,
            "ci": comparison.ratio_p50_ci if comparison else None,
            "drift": comparison.drift if comparison else None,
            "pairs": comparison.n if comparison else None,
            "errors": [t.error for t in result.targets if t.error],
        }
        if comparison is not None and not item["update"]:
            # The samples, so that other statistics can be tried on the same runs (--study).
            out["head_s"], out["base_s"] = comparison.head_runs_s, comparison.base_runs_s
            if comparison.mode == "baseline":
                sample = load_baseline(profile).samples["t"]  # type: ignore[union-attr]
                out["baseline_s"], out["baseline_calibration_s"] = sample.runs_s, sample.calibration_s
        print(json.dumps(out), flush=True)
    return 0


def run_worker(plan: dict[str, object], work: Path) -> list[dict[str, object]]:
    plan_file = work / f"plan-{time.monotonic_ns()}.json"
    plan_file.write_text(json.dumps(plan))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}
    proc = subprocess.Popen([PYTHON, __file__, "--worker", str(plan_file)], stdout=subprocess.PIPE, text=True,
                            env=env)
    results = []
    assert proc.stdout is not None
    total = len(plan["decisions"])  # type: ignore[arg-type]
    for line in proc.stdout:
        results.append(json.loads(line))
        if len(results) % 20 == 0:
            print(f"    {len(results)}/{total} decisions", file=sys.stderr, flush=True)
    if proc.wait() != 0:
        raise SystemExit("bench_gate: the worker failed")
    return results


# --------------------------------------------------------------------------- one condition


def run_condition(condition: str, targets: list[Target], args: argparse.Namespace, work: Path,
                  noise: Noise) -> tuple[list[dict[str, object]], dict[str, dict[int, float]]]:
    folder = work / condition
    folder.mkdir()
    rng = random.Random(condition)
    decisions: list[dict[str, object]] = []
    baselines: list[dict[str, object]] = []
    cells: list[tuple[str, str, int]] = [(t.name, m, e) for t in targets for m in args.modes for e in args.effects]
    count = max(1, args.decisions // 10) if "stored" in args.modes else 0
    for target in targets:
        for k in range(count):
            home = folder / f"{target.name}-b{k}"
            home.mkdir()
            base_argv = target.argv(target.per_effect[0])
            baselines.append({"id": f"baseline {target.name} {k}", "update": True,
                              "profile": str(stored_profile(home, "base.toml", base_argv, args.tolerance_stored))})
            for effect in args.effects:
                stored_profile(home, f"e{effect}.toml", target.argv(target.per_effect[effect]), args.tolerance_stored)
        home = folder / f"{target.name}-ab"
        home.mkdir()
        for effect in args.effects:
            ab_profile(home, f"e{effect}.toml", target.argv(target.per_effect[0]),
                       target.argv(target.per_effect[effect]), args.tolerance_ab)
    for r in range(args.decisions):
        order = list(cells)
        rng.shuffle(order)
        for name, mode, effect in order:
            if mode == "stored":
                profile = folder / f"{name}-b{r % count}" / f"e{effect}.toml"
            else:
                profile = folder / f"{name}-ab" / f"e{effect}.toml"
            decisions.append({"id": f"{name} {mode} {effect}", "update": False, "profile": str(profile)})
    plan = {"calibration": args.calibration_argv}
    try:
        if condition == "bursty":
            noise.start("bursty", args.hog_procs)
        if baselines:
            print(f"  {condition}: {len(baselines)} baselines", file=sys.stderr, flush=True)
            run_worker({**plan, "decisions": baselines}, work)
        if condition == "hog":
            noise.start("hog", args.hog_procs)
            time.sleep(1)
        truth = {t.name: t.measure_truth(args.truth_pairs) for t in targets} if "ab" in args.modes else {}
        print(f"  {condition}: {len(decisions)} decisions", file=sys.stderr, flush=True)
        return run_worker({**plan, "decisions": decisions}, work), truth
    finally:
        noise.stop()


def report(condition: str, targets: list[Target], results: list[dict[str, object]], args: argparse.Namespace,
           truth: dict[str, dict[int, float]]) -> None:
    by_cell: dict[str, list[dict[str, object]]] = {}
    for item in results:
        by_cell.setdefault(str(item["id"]), []).append(item)
    for target in targets:
        for mode in args.modes:
            tolerance = args.tolerance_stored if mode == "stored" else args.tolerance_ab
            for effect in args.effects:
                items = by_cell.get(f"{target.name} {mode} {effect}", [])
                if not items:
                    continue
                alarms = sum(1 for i in items if i["exit_code"] == 1)
                other = sum(1 for i in items if i["exit_code"] not in (0, 1))
                inconclusive = sum(1 for i in items if "inconclusive" in i["verdicts"])  # type: ignore[operator]
                drift = sum(1 for i in items if i["drift"] is not None and abs(i["drift"]) > 0.10)  # type: ignore[arg-type]
                what = "false alarms" if effect == 0 else "caught"
                ratios = [float(i["ratio"]) for i in items if i["ratio"] is not None]  # type: ignore[arg-type]
                ratio = f"{statistics.median(ratios):.3f}" if ratios else "—"
                error = ""
                if mode == "ab" and ratios and effect in truth.get(target.name, {}):
                    true = truth[target.name][effect]
                    errors = [abs(r / true - 1) for r in ratios]
                    within = sum(1 for e in errors if e <= 0.03)
                    error = f"  true ×{true:.3f}: within ±3% {within}/{len(errors)}, max error {max(errors) * 100:.1f}%"
                seconds = statistics.median(float(i["seconds"]) for i in items)  # type: ignore[arg-type]
                print(f"{condition:<7} {target.name:<3} {mode:<6} tol {tolerance * 100:>2.0f}%  +{effect:>2}%  "
                      f"{what:<12} {alarms:>3}/{len(items):<3}  inconclusive {inconclusive:>3}  drift>10% {drift:>3}  "
                      f"exit 3 {other:>2}  p50 ratio {ratio}  {seconds:.2f} s/verdict{error}", flush=True)


# --------------------------------------------------------------------------- the real CLI


def cli_time_per_verdict(targets: list[Target], runs: int, work: Path) -> None:
    """Wall time of `python -m lightprof --headless` on the ~10 ms target: stored baseline, and --base."""
    target = next((t for t in targets if t.name == "py"), targets[0])
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "", "NO_COLOR": "1"}
    env.pop("CI", None)
    home = work / "cli"
    home.mkdir()
    profile = stored_profile(home, "lightprof.toml", target.argv(target.per_effect[0]), 0.10)
    lightprof = [PYTHON, "-m", "lightprof", "--headless", "-p", str(profile)]
    subprocess.run([*lightprof, "--update-baseline"], cwd=home, env=env, capture_output=True, check=True)
    stored = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(lightprof, cwd=home, env=env, capture_output=True)
        stored.append(time.perf_counter() - start)
    # --base: a git repository with two commits of a script of the same cost.
    repo = work / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    script = f"for i in range({target.per_effect[0]}): pass\n"
    (repo / "work.py").write_text(script)
    (repo / "lightprof.toml").write_text(
        'version = 1\nname = "repo"\n[build]\ncommand = "true"\n'
        f'[[target]]\nname = "t"\ncommand = ["{TARGET_PYTHON}", "-S", "-E", "work.py"]\n'
        '[target.budget]\ncold_start_p50 = "10s"\n'
    )
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    (repo / "work.py").write_text(script + "# head\n")
    subprocess.run([*git, "commit", "-qam", "head"], cwd=repo, check=True)
    base = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([PYTHON, "-m", "lightprof", "--headless", "--base", "HEAD~1"], cwd=repo, env=env,
                              capture_output=True, text=True)
        base.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            print(done.stdout + done.stderr, file=sys.stderr)
    for label, times in (("stored baseline", stored), ("--base HEAD~1", base)):
        print(f"time per verdict through the CLI, ~10 ms target, defaults, {label}: "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs")


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--decisions", type=int, default=100, help="gate decisions per cell (default 100)")
    parser.add_argument("--conditions", default="quiet,bursty,hog")
    parser.add_argument("--targets", default="c,py", help="c (~1 ms), py (~10 ms)")
    parser.add_argument("--modes", default="stored,ab")
    parser.add_argument("--effects", default=",".join(map(str, EFFECTS)), help="slowdowns in percent")
    parser.add_argument("--tolerance-stored", type=float, default=10.0, help="percent")
    parser.add_argument("--tolerance-ab", type=float, default=5.0, help="percent")
    parser.add_argument("--calibration", choices=("default", "true", "python"), default="default",
                        help="the calibration beside a stored-baseline target (default: lightprof's, by duration)")
    parser.add_argument("--hog-procs", type=int, default=1)
    parser.add_argument("--truth-pairs", type=int, default=200, help="pairs per true ratio (sizing, each condition)")
    parser.add_argument("--cli-runs", type=int, default=5, help="CLI runs timed for the time per verdict (0: none)")
    parser.add_argument("--save", help="write every decision as JSON lines to this file")
    parser.add_argument("--study", metavar="SAVED", help="judge the decisions saved by --save with other statistics")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    if args.study:
        return study(args.study, args.tolerance_stored / 100)
    args.modes = args.modes.split(",")
    args.effects = [int(e) for e in args.effects.split(",")]
    args.tolerance_stored /= 100
    args.tolerance_ab /= 100
    args.calibration_argv = {"default": None, "true": [shutil.which("true") or "/bin/true"],
                             "python": [PYTHON, "-S", "-E", "-c", "pass"]}[args.calibration]
    print(f"bench_gate: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, "
          f"{args.decisions} decisions per cell", flush=True)
    noise = Noise()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        work = Path(tmp)
        targets = make_targets(args.targets.split(","), work)
        for t in targets:
            t.tune(args.truth_pairs)
            sizes = ", ".join(f"+{e}%: n={n} (×{t.truth[e]:.3f})" for e, n in t.per_effect.items())
            base_ms = median_time(t.argv(t.per_effect[0]), 21) * 1e3
            print(f"target {t.name}: {base_ms:.2f} ms unchanged; {sizes}", flush=True)
        saved = open(args.save, "w") if args.save else None  # noqa: SIM115
        try:
            for condition in args.conditions.split(","):
                started = time.monotonic()
                results, truth = run_condition(condition, targets, args, work, noise)
                if saved:
                    for item in results:
                        saved.write(json.dumps({"condition": condition, **item}) + "\n")
                if truth:
                    ratios = "; ".join(f"{name} " + ", ".join(f"+{e}% ×{r:.3f}" for e, r in t.items() if e)
                                       for name, t in truth.items())
                    print(f"{condition}: true ratios by plain alternating spawns, this condition: {ratios}")
                report(condition, targets, results, args, truth)
                print(f"  ({condition}: {time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.2f})",
                      flush=True)
        finally:
            noise.stop()
            if saved:
                saved.close()
        if args.cli_runs:
            cli_time_per_verdict(targets, args.cli_runs, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
