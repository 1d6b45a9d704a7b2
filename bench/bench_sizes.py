"""Benchmark: lightprof's sizing against du -sb and tar -tvf on the same inputs.

Generates, in a temporary folder, a docker-save image archive of about 1 GB (plain tar layers and,
separately, the same layers gzip-compressed) and a folder of 100,000 small files, each also at 1/4
and 1/2 of its size, then times (median of --repeat runs, page cache warm, each a fresh process so
interpreter start-up counts as it does for du and tar):

  image  lightprof (measure_image)  vs  tar -tvf on the archive, and a shell pipeline that lists
         every layer (tar -xOf ARCHIVE LAYER | tar -tv[z]f -) - the same work lightprof does
  folder the lightprof command (--headless, a profile with the folder as its one artifact) and
         measure_artifact (compression none) in a fresh process  vs  du -sb, interleaved round by
         round; reported apart, lightprof with compression = "gzip" (every byte read and deflated)

It prints times, ratios, the cost per unit (per GB; per added file and the fixed cost for folders:
flat = linear) and lightprof's peak RSS (reading 1 GB must stream).

  --walk-helper  the single-process walk against the walk with a helper process that lightprof
                 had until it was measured here (its code is read from git history, commit
                 HELPER_COMMIT), and du -sb, in fresh processes, interleaved, on --files files
  --gzip-reader  scanning a gzip layer through lightprof's GzipStream against the standard
                 library's GzipFile, in one process, interleaved rounds, on a layer of --size-gb
                 (decompressed)
  --compare PATH...  real files and folders (a bundle, node_modules, a site-packages): lightprof's
                 raw size against du -sb (and du -sb less its folder entries, which lightprof does
                 not count), the time of lightprof --headless against du -sb (interleaved), and for
                 files the gzip and brotli figures against `gzip -9 -n` and `brotli -q 11`, as
                 ratios. bench/real_bundle.sh builds a real esbuild bundle and runs this on it.
  --million N    the acceptance run of issue 12: a folder of N one-byte files (default 1,000,000)
                 sized by `lightprof --headless` with no compression asked, against du -sb; wall
                 time and peak RSS from GNU time (-f %M), interleaved rounds (the ratio must be
                 at most 3, the RSS at most 100 MB). Creating the files takes a few minutes.
  --million-image N  the image half of that audit: two layers of N files each (default
                 1,000,000), as a docker save tarball and an OCI layout, built once and cached in
                 the temp folder; `lightprof --headless` against tar -tvf / tar -tzvf of the same
                 layers, interleaved rounds, medians, ratios and peak RSS (bench/million_image.py).
                 --against REF adds the lightprof of git commit REF to the same rounds.
Usage: python bench/bench_sizes.py [--size-gb 1] [--files 100000] [--only folders]
       python bench/bench_sizes.py --walk-helper [--files 100000]
       python bench/bench_sizes.py --gzip-reader [--size-gb 0.5]
       python bench/bench_sizes.py --compare PATH [PATH...]
       python bench/bench_sizes.py --million [1000000]
       python bench/bench_sizes.py --million-image [1000000] [--against REF] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
FRACTIONS = (0.25, 0.5, 1.0)

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
kind, path, compression = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.perf_counter()
if kind == "image":
    from lightprof.measure.images.image import measure_image
    from lightprof.profile.spec import ImageSpec
    r = measure_image(ImageSpec(name="b", base_dir=Path("/"), path=path))
    figures = {{"size": r.size_bytes, "stored": r.stored_bytes, "wasted": r.wasted_bytes, "files": r.files}}
else:
    from lightprof.measure.sizes.artifacts import measure_artifact
    from lightprof.profile.spec import ArtifactSpec
    r = measure_artifact(ArtifactSpec(name="b", base_dir=Path("/"), path=path, compression=compression))
    figures = {{"raw": r.raw_bytes, "counted": r.counted_bytes, "files": r.files}}
assert r.error is None, r.error
print(json.dumps({{"inner_s": time.perf_counter() - started, "measure_s": r.duration_s, "figures": figures,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def _pool(seed: int) -> bytes:
    """Half random, half text: layers that gzip to about 60% like real ones do, at a useful speed."""
    rng = random.Random(seed)
    text = b" ".join(str(rng.randint(0, 10**6)).encode() for _ in range(40_000))
    unit = rng.randbytes(256 * 1024) + text
    return (unit * (1 + (1 << 20) // len(unit)))[: 1 << 20] * 2


def _layer_tar(path: Path, target_bytes: int, seed: int, *, whiteouts: tuple[str, ...] = ()) -> int:
    """A layer tar of about target_bytes: files of 1 KiB..1 MiB under a few folders."""
    rng = random.Random(seed)
    pool = _pool(seed)
    written = 0
    with tarfile.open(path, "w") as tar:
        for name in whiteouts:
            folder, _, base = name.rpartition("/")
            tar.addfile(tarfile.TarInfo(f"{folder}/.wh.{base}"))
        i = 0
        while written < target_bytes:
            size = min(int(rng.lognormvariate(10.5, 1.5)), 1 << 20, target_bytes - written)
            start = rng.randrange(0, len(pool) // 2)
            info = tarfile.TarInfo(f"usr/share/l{seed}/d{i % 97}/f{i}.bin")
            info.size = size
            tar.addfile(info, io.BytesIO(pool[start:start + size]))
            written += size
            i += 1
    return written


def make_image(folder: Path, total_bytes: int, layers: int, *, compress: bool) -> Path:
    """A classic docker save archive of `layers` layers, the last one deleting a file of the first."""
    per_layer = total_bytes // layers
    names: list[str] = []
    archive = folder / f"image-{total_bytes // 10**6}MB-{'gzip' if compress else 'tar'}.tar"
    with tarfile.open(archive, "w") as outer:
        diff_ids = []
        for i in range(layers):
            layer = folder / f"layer{i}.tar"
            whiteouts = ("usr/share/l0/d0/f0.bin",) if i == layers - 1 and i > 0 else ()
            _layer_tar(layer, per_layer, i, whiteouts=whiteouts)
            diff_ids.append(f"sha256:{i:064x}")
            if compress:
                with open(layer, "rb") as src, gzip.open(f"{layer}.gz", "wb", compresslevel=1) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                layer.unlink()
                layer = Path(f"{layer}.gz")
            name = f"{i:064x}/layer.tar"
            outer.add(layer, arcname=name)
            names.append(name)
            layer.unlink()
        config = json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids},
                             "history": [{"created_by": f"layer {i}"} for i in range(layers)]}).encode()
        for member, data in (("config.json", config),
                             ("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["b:1"],
                                                            "Layers": names}]).encode())):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            outer.addfile(info, io.BytesIO(data))
    return archive


def make_folder(folder: Path, files: int, seed: int) -> Path:
    """`files` small files (100 B .. 4 KiB) in folders of 100."""
    rng = random.Random(seed)
    blob = rng.randbytes(8192)
    root = folder / f"files-{files}"
    for i in range(files):
        if i % 100 == 0:
            sub = root / f"d{i // 100:04d}"
            sub.mkdir(parents=True)
        size = rng.randint(100, 4096)
        (sub / f"f{i}.txt").write_bytes(blob[:size])
    return root


def _time(argv: list[str] | str, repeat: int) -> tuple[float, str]:
    """Median wall time of `argv` (a list, or a string for the shell) and its last stdout."""
    shell = isinstance(argv, str)
    times = []
    out = ""
    subprocess.run(argv, shell=shell, capture_output=True, check=True)  # warm the page cache
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(argv, shell=shell, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - started)
        out = done.stdout
    return statistics.median(times), out


def _lightprof(kind: str, path: Path, repeat: int, compression: str = "none") -> tuple[float, dict]:
    script = _CHILD.format(repo=str(REPO))
    wall, out = _time([PY, "-c", script, kind, str(path), compression], repeat)
    return wall, json.loads(out.strip().splitlines()[-1])


def bench_images(folder: Path, size_gb: float, repeat: int) -> None:
    print(f"\n## image archive (docker save, 4 layers at full size), median of {repeat}")
    print(f"{'input':<26}{'lightprof':>10}{'(in-proc)':>10}{'tar -tvf':>10}{'tar|tar -tv':>12}{'÷tar|tar':>9}"
          f"{'s per GB':>9}{'peak RSS':>10}  figures")
    for compress in (False, True):
        for fraction in FRACTIONS:
            total = int(size_gb * 10**9 * fraction)
            layers = max(1, round(4 * fraction))
            archive = make_image(folder, total, layers, compress=compress)
            ours, info = _lightprof("image", archive, repeat)
            tar_list, _ = _time(["tar", "-tvf", str(archive)], repeat)
            flag = "z" if compress else ""
            with tarfile.open(archive) as outer:
                layer_names = [m.name for m in outer.getmembers() if m.name.endswith("layer.tar")]
            pipeline = " && ".join(f"tar -xOf {archive} {n} | tar -tv{flag}f - >/dev/null" for n in layer_names)
            tar_pipe, _ = _time(pipeline, repeat)
            label = f"{total / 1e9:.2f} GB {'gzip' if compress else 'tar'} layers"
            gb = info["figures"]["size"] / 1e9
            print(f"{label:<26}{ours:>9.2f}s{info['inner_s']:>9.2f}s{tar_list:>9.2f}s{tar_pipe:>11.2f}s"
                  f"{ours / tar_pipe:>8.2f}x"
                  f"{ours / gb:>8.2f}s{info['maxrss_kib'] / 1024:>8.0f}MiB  {info['figures']}")
            archive.unlink()


def _compile_bytecode() -> None:
    """Write lightprof's .pyc files, as an install does: a sandbox with PYTHONDONTWRITEBYTECODE
    would otherwise compile every module from source in every fresh process we time."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([PY, "-m", "compileall", "-q", str(REPO / "lightprof")], env=env, check=True,
                   capture_output=True)


def _interleaved(commands: dict[str, list[str]], rounds: int,
                 ok: tuple[int, ...] = (0,)) -> tuple[dict[str, list[float]], dict[str, list[str]]]:
    """Wall times and stdouts of each command over `rounds`, all once per round in random order.

    This machine's speed drifts by ±25% within seconds; timing the commands side by side in
    every round and comparing within the round keeps that drift out of the ratios. An exit code
    outside `ok` stops the bench.
    """
    times: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, list[str]] = {name: [] for name in commands}
    for argv in commands.values():
        subprocess.run(argv, capture_output=True, check=False)  # warm the page cache
    for _ in range(rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            started = time.perf_counter()
            done = subprocess.run(commands[name], capture_output=True, text=True, check=False)
            times[name].append(time.perf_counter() - started)
            if done.returncode not in ok:
                raise RuntimeError(f"{name} exited {done.returncode}: {done.stderr[-300:]}")
            outputs[name].append(done.stdout)
    return times, outputs


def bench_folders(folder: Path, files: int, repeat: int) -> None:
    """The lightprof command (--headless on a profile with the folder as an artifact) against
    du -sb, each a fresh process, at 1/4, 1/2 and all of `files`; then the cost per added file."""
    _compile_bytecode()
    rounds = max(repeat, 11)
    lightprof = str(Path(PY).with_name("lightprof"))
    print(f"\n## folder of small files ({rounds} rounds, the commands in random order in each; "
          "ratio = median of the rounds' ratios)")
    print(f"{'input':<15}{'du -sb':>9}{'lightprof':>11}{'÷du':>7}{'(q1-q3)':>13}{'measure_artifact':>18}{'÷du':>7}"
          f"{'(measure only)':>15}{'gzip-counted':>14}{'peak RSS':>10}")
    rows = []
    for fraction in FRACTIONS:
        n = int(files * fraction)
        root = make_folder(folder, n, n)
        os.sync()  # no writeback of the new files competing with the rounds
        profile = folder / f"files-{n}.toml"
        profile.write_text(f'version = 1\n[[artifact]]\nname = "files"\npath = "{root.name}"\n'
                           'budget = "10 GB"\n', encoding="utf-8")
        script = _CHILD.format(repo=str(REPO))
        commands = {
            "du": ["du", "-sb", str(root)],
            "cli": [lightprof, "--headless", "-p", str(profile)],
            "function": [PY, "-c", script, "artifact", str(root), "none"],
        }
        times, outputs = _interleaved(commands, rounds)
        reports = [json.loads(out.strip().splitlines()[-1]) for out in outputs["function"]]
        info = reports[-1]
        walk = statistics.median(report["measure_s"] for report in reports)
        gz, gz_info = _lightprof("artifact", root, 1, compression="gzip")
        du_out = subprocess.run(["du", "-sb", str(root)], capture_output=True, text=True, check=True).stdout
        med = {name: statistics.median(values) for name, values in times.items()}
        cli_ratios = [c / d for c, d in zip(times["cli"], times["du"], strict=True)]
        fn_ratios = [f / d for f, d in zip(times["function"], times["du"], strict=True)]
        q1, _, q3 = statistics.quantiles(cli_ratios, n=4)
        print(f"{n:>7} files{med['du']:>9.3f}s{med['cli']:>10.3f}s{statistics.median(cli_ratios):>6.2f}x"
              f"{f'({q1:.2f}-{q3:.2f})':>13}{med['function']:>17.3f}s{statistics.median(fn_ratios):>6.2f}x"
              f"{walk:>14.3f}s{gz:>13.2f}s{info['maxrss_kib'] / 1024:>8.0f}MiB")
        print(f"{'':15}raw={info['figures']['raw']} (du -sb={du_out.split()[0]}, which adds the folders' own "
              f"blocks) files={info['figures']['files']} gzip={gz_info['figures']['counted']}")
        rows.append((n, med))
        shutil.rmtree(root)
        profile.unlink()
    (n_small, small), (n_big, big) = rows[0], rows[-1]
    print("\ncost per added file, from the smallest to the largest folder (flat cost per file = linear):")
    for name, label in (("du", "du -sb"), ("cli", "lightprof"), ("function", "measure_artifact")):
        per_file = (big[name] - small[name]) / (n_big - n_small) * 1e6
        fixed = small[name] - per_file * n_small / 1e6
        print(f"  {label:<18}{per_file:6.2f} us per file, {fixed * 1000:6.1f} ms fixed")


HELPER_COMMIT = "c1ff2c8"  # the last commit with the walk helper (treewalk.py + _walker.py)

_HELPER_WALK = r"""
import json, sys, time
sys.path[:0] = [{helper!r}, {repo!r}]
started = time.perf_counter()
if sys.argv[1] in ("helper", "no-helper"):
    import treewalk_helper as walk
    if sys.argv[1] == "no-helper":
        walk.SPLIT_AFTER = 1 << 62  # the same code with its helper never started
    inventory = walk.walk_folder(sys.argv[2])
    figures = (inventory.total(), len(inventory), inventory.largest(10)[:1])
else:
    from lightprof.measure.sizes.treewalk import Tally, walk_folder
    tally = Tally(10)
    walk_folder(sys.argv[2], tally)
    figures = (tally.total_bytes, tally.files, tally.largest()[:1])
print(json.dumps({{"s": time.perf_counter() - started, "figures": figures}}))
"""


def _helper_walk_sources(folder: Path) -> Path:
    """The helper-era walk from git history, importable as `treewalk_helper` from `folder`."""
    for name, target in (("treewalk.py", "treewalk_helper.py"), ("_walker.py", "_walker.py")):
        source = subprocess.run(["git", "-C", str(REPO), "show", f"{HELPER_COMMIT}:lightprof/measure/{name}"],
                                capture_output=True, text=True, check=True).stdout
        source = source.replace("from lightprof.measure._walker import", "from _walker import")
        (folder / target).write_text(source, encoding="utf-8")
    return folder


def bench_walk_helper(folder: Path, files: int, repeat: int) -> None:
    """The walk with and without a helper process, and du -sb, side by side in each round."""
    helper_dir = folder / "helper-walk"
    helper_dir.mkdir()
    _helper_walk_sources(helper_dir)
    _compile_bytecode()
    script = _HELPER_WALK.format(helper=str(helper_dir), repo=str(REPO))
    rounds = max(repeat, 11)
    print(f"\n## folder walk: helper process (commit {HELPER_COMMIT}) vs single process, {rounds} rounds, "
          "fresh processes in random order each round; ratio = median of the rounds' ratios")
    print("  helper = the old walk with its helper process; no-helper = the same code with the helper never "
          "started;\n  single = lightprof's walk now (hard links by inode, bounded memory)")
    print(f"{'input':<15}{'du -sb':>9}{'helper':>9}{'no-helper':>10}{'single':>9}{'single÷helper':>15}{'(q1-q3)':>13}"
          f"{'helper÷du':>11}{'single÷du':>11}{'walk only: helper':>19}{'no-helper':>10}{'single':>9}")
    for fraction in FRACTIONS:
        n = int(files * fraction)
        root = make_folder(folder, n, n)
        os.sync()
        commands = {"du": ["du", "-sb", str(root)], "helper": [PY, "-c", script, "helper", str(root)],
                    "no-helper": [PY, "-c", script, "no-helper", str(root)],
                    "single": [PY, "-c", script, "single", str(root)]}
        times, outputs = _interleaved(commands, rounds)
        walkers = ("helper", "no-helper", "single")
        inner = {name: statistics.median(json.loads(out)["s"] for out in outputs[name]) for name in walkers}
        figures = {name: json.loads(outputs[name][-1])["figures"] for name in walkers}
        assert figures["helper"][:2] == figures["single"][:2] == figures["no-helper"][:2], figures
        med = {name: statistics.median(values) for name, values in times.items()}
        ratios = [s / h for s, h in zip(times["single"], times["helper"], strict=True)]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        print(f"{n:>7} files{med['du']:>9.3f}{med['helper']:>9.3f}{med['no-helper']:>10.3f}{med['single']:>9.3f}"
              f"{statistics.median(ratios):>14.2f}x{f'({q1:.2f}-{q3:.2f})':>13}"
              f"{med['helper'] / med['du']:>10.2f}x{med['single'] / med['du']:>10.2f}x"
              f"{inner['helper']:>18.3f}s{inner['no-helper']:>9.3f}s{inner['single']:>8.3f}s")
        shutil.rmtree(root)


def bench_gzip_reader(folder: Path, size_gb: float, repeat: int) -> None:
    """scan_layer on one gzip layer through lightprof's GzipStream and through gzip.GzipFile."""
    from lightprof.measure.images import layertar

    layer = folder / "layer.tar"
    _layer_tar(layer, int(size_gb * 1e9), 1)
    blob = folder / "layer.tar.gz"
    with open(layer, "rb") as src, gzip.open(blob, "wb", compresslevel=6) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    layer.unlink()
    stored = blob.stat().st_size
    rounds = max(repeat, 5)
    readers = {"GzipStream": layertar.open_gzip, "GzipFile": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb")}
    times: dict[str, list[float]] = {name: [] for name in readers}
    entries = {}
    try:
        for _ in range(rounds):
            for name in random.sample(list(readers), len(readers)):
                layertar.open_gzip = readers[name]  # type: ignore[assignment]
                with open(blob, "rb") as raw:
                    started = time.perf_counter()
                    scan = layertar.scan_layer(raw, stored, "gzip", "bench")
                    times[name].append(time.perf_counter() - started)
                entries[name] = (len(scan.entries), scan.tar_bytes)
    finally:
        layertar.open_gzip = readers["GzipStream"]  # type: ignore[assignment]
    assert entries["GzipStream"] == entries["GzipFile"], entries
    ratios = [a / b for a, b in zip(times["GzipFile"], times["GzipStream"], strict=True)]
    print(f"\n## one gzip layer ({stored / 1e6:.0f} MB stored, {entries['GzipFile'][1] / 1e6:.0f} MB of tar), "
          f"scan_layer, {rounds} interleaved rounds in one process")
    for name, values in times.items():
        print(f"  {name:<12} median {statistics.median(values):6.3f} s")
    print(f"  GzipFile ÷ GzipStream: median {statistics.median(ratios):.3f}x "
          f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})")


def _folder_entries(path: Path) -> int:
    """What du -sb adds that lightprof does not count: every folder's and symlink's own size."""
    total = os.lstat(path).st_size
    for top, dirs, names in os.walk(path):
        total += sum(os.lstat(os.path.join(top, d)).st_size for d in dirs)
        total += sum(os.lstat(os.path.join(top, n)).st_size for n in names if os.path.islink(os.path.join(top, n)))
    return total


def bench_compare(paths: list[str], rounds: int) -> None:
    """lightprof against du -sb, gzip -9 -n and brotli -q 11 on real inputs, as ratios."""
    from lightprof.measure.sizes.artifacts import measure_artifact
    from lightprof.profile.spec import ArtifactSpec

    _compile_bytecode()
    lightprof = str(Path(PY).with_name("lightprof"))
    print("\n## real inputs: lightprof against du -sb, gzip -9 -n and brotli -q 11")
    with tempfile.TemporaryDirectory(prefix="lightprof-compare-") as tmp:
        for raw_path in paths:
            path = Path(raw_path).resolve()
            spec = ArtifactSpec(name="x", base_dir=Path("/"), path=str(path))
            ours = measure_artifact(spec)
            assert ours.error is None, ours.error
            du = int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True,
                                    check=True).stdout.split()[0])
            du_files = du - (_folder_entries(path) if path.is_dir() else 0)
            print(f"\n  {path}  ({ours.files:,} files)")
            print(f"    raw      lightprof {ours.raw_bytes:>12,}   du -sb {du:>12,} ({ours.raw_bytes / du:.4f}x)   "
                  f"du -sb less folder/symlink entries {du_files:>12,} ({ours.raw_bytes / du_files:.4f}x)")
            if ours.not_counted:
                print(f"             {ours.not_counted}")
            if path.is_dir():
                profile = Path(tmp) / "p.toml"
                profile.write_text(f'version = 1\n[[artifact]]\nname = "x"\npath = "{path}"\n', encoding="utf-8")
                times, _ = _interleaved({"du": ["du", "-sb", str(path)],
                                         "lightprof": [lightprof, "--headless", "-p", str(profile)]}, rounds,
                                        ok=(0, 1))  # 1: .wasm shipped without a kernel sample
                ratios = [a / b for a, b in zip(times["lightprof"], times["du"], strict=True)]
                print(f"    time     lightprof --headless {statistics.median(times['lightprof']):.3f} s   du -sb "
                      f"{statistics.median(times['du']):.3f} s   median ratio {statistics.median(ratios):.2f}x "
                      f"({rounds} interleaved rounds)")
                continue
            for method, argv in (("gzip", ["gzip", "-9", "-n", "-c"]), ("brotli", ["brotli", "-q", "11", "-c"])):
                figure = measure_artifact(ArtifactSpec(name="x", base_dir=Path("/"), path=str(path),
                                                       compression=method)).counted_bytes
                cli = len(subprocess.run([*argv, str(path)], capture_output=True, check=True).stdout)
                assert figure is not None
                print(f"    {method:<8} lightprof {figure:>12,}   {' '.join(argv[:-1]):<14} {cli:>12,}   "
                      f"ratio {figure / cli:.4f}x ({(figure - cli) / cli:+.2%})")


def _gnu_time(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes, GNU time's %M) of one run of `argv`."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} exited {done.returncode}: {done.stderr[-500:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) * 1024


def bench_million(folder: Path, count: int, rounds: int) -> bool:
    """Issue 12's acceptance: `count` one-byte files sized with no compression asked."""
    root = folder / "million"
    per_folder = 10_000
    print(f"\n## {count:,} one-byte files in folders of {per_folder:,}: lightprof --headless vs du -sb, "
          f"{rounds} interleaved rounds, wall time and GNU time's peak RSS")
    started = time.perf_counter()
    for i in range(count):
        if i % per_folder == 0:
            sub = root / f"d{i // per_folder:04d}"
            sub.mkdir(parents=True)
        with open(sub / f"f{i}", "wb") as out:
            out.write(b"x")
    os.sync()
    print(f"  created in {time.perf_counter() - started:.0f} s")
    _compile_bytecode()
    profile = folder / "million.toml"
    profile.write_text('version = 1\n[[artifact]]\nname = "files"\npath = "million"\nbudget = "10 GB"\n',
                       encoding="utf-8")
    lightprof = str(Path(PY).with_name("lightprof"))
    commands = {"du": ["du", "-sb", str(root)], "lightprof": [lightprof, "--headless", "-p", str(profile)]}
    for argv in commands.values():
        _gnu_time(argv)  # warm the page cache and the dentry cache
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            runs[name].append(_gnu_time(commands[name]))
    ratios = [lp[0] / du[0] for lp, du in zip(runs["lightprof"], runs["du"], strict=True)]
    rss = max(r for _, r in runs["lightprof"])
    for name, values in runs.items():
        print(f"  {name:<10} wall median {statistics.median(w for w, _ in values):6.2f} s   "
              f"peak RSS max {max(r for _, r in values) / 1e6:6.1f} MB")
    ok = statistics.median(ratios) <= 3 and rss <= 100e6
    print(f"  lightprof ÷ du: median {statistics.median(ratios):.2f}x (rounds: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}); bar: ≤ 3x and ≤ 100 MB -> {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("images", "folders"))
    parser.add_argument("--walk-helper", action="store_true")
    parser.add_argument("--million", type=int, nargs="?", const=1_000_000)
    parser.add_argument("--million-image", type=int, nargs="?", const=1_000_000)
    parser.add_argument("--against", metavar="REF")
    parser.add_argument("--gzip-reader", action="store_true")
    parser.add_argument("--compare", nargs="+", metavar="PATH")
    args = parser.parse_args()
    print(f"lightprof sizes bench · {os.cpu_count()} CPUs · Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="lightprof-bench-") as tmp:
        if args.walk_helper:
            bench_walk_helper(Path(tmp), args.files, args.repeat)
            return
        if args.compare:
            bench_compare(args.compare, max(args.repeat, 5))
            return
        if args.gzip_reader:
            bench_gzip_reader(Path(tmp), args.size_gb, args.repeat)
            return
        if args.million_image:
            import million_image

            million_image.run(args.million_image, max(args.repeat, 3), args.against)
            return
        if args.million:
            raise SystemExit(0 if bench_million(Path(tmp), args.million, max(args.repeat, 3)) else 1)
        if args.only != "folders":
            bench_images(Path(tmp), args.size_gb, args.repeat)
        if args.only != "images":
            bench_folders(Path(tmp), args.files, args.repeat)


if __name__ == "__main__":
    main()
