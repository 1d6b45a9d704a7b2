"""The image half of issue 12's resource audit: two layers of a million (mostly empty) files each.

`python bench/bench_sizes.py --million-image [N]` builds, once, an image whose two layers hold N
files each (N/1000 folders; one file in 1000 has a few hundred bytes, the rest are empty; the
second layer overwrites half of the first layer's files, adds as many new ones, deletes a folder
of the first (a whiteout) and hides another (an opaque marker)), written with Python's tarfile as
a classic docker save tarball (plain layers) and as an OCI layout folder (gzip layers). It is
cached in the temp folder (lightprof-bench-million-image-N) and reused by later runs.

It then times, in interleaved rounds (each command once per round, in random order), the real
`lightprof --headless` on a profile naming each image against GNU tar listing the same layers
(`tar -tvf` on the plain layer tars, `tar -tzvf` on the gzip blobs, and the bare `tar -tf`), and
prints the medians, the median of the per-round ratios and peak RSS (GNU time's %M).
`--against REF` times the lightprof of git commit REF (its `lightprof/` from `git archive`) in
the same rounds, for a before/after on one machine in one run.
"""

from __future__ import annotations

import gzip
import hashlib
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
PER_FOLDER = 1000


def _layer(path: Path, count: int, second: bool) -> None:
    """A layer tar of `count` files in folders of PER_FOLDER, written by tarfile (GNU format)."""
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        folder = ""
        for i in range(count):
            if i % PER_FOLDER == 0:
                k = i // PER_FOLDER
                # the second layer: the first half of the folders again (overwrites), then new ones
                folder = f"usr/lib/d{k:04d}" if second and i >= count // 2 else f"usr/share/d{k:04d}"
                info = tarfile.TarInfo(folder)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            info = tarfile.TarInfo(f"{folder}/f{i:07d}.txt")
            info.mode = 0o644
            data = b""
            if i % PER_FOLDER == 7:
                data = (b"%d " % i) * (50 + i % 97)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if second:
            last = (count - 1) // PER_FOLDER
            for name in (f"usr/share/.wh.d{last:04d}", f"usr/share/d{last - 1:04d}/.wh..wh..opq"):
                tar.addfile(tarfile.TarInfo(name))


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _json_blob(blobs: Path, document: object) -> dict[str, object]:
    data = json.dumps(document).encode()
    digest = hashlib.sha256(data).hexdigest()
    (blobs / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def build(cache: Path, count: int) -> dict[str, Path]:
    """The cached image (built if absent): plain layers, the docker save tarball, the OCI layout."""
    parts = {"layer1": cache / "layer1.tar", "layer2": cache / "layer2.tar",
             "docker": cache / "image.tar", "oci": cache / "oci"}
    done = cache / "complete"
    if done.exists():
        return parts
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    started = time.perf_counter()
    for i, name in enumerate(("layer1", "layer2")):
        _layer(parts[name], count, second=i == 1)
    diff_ids = [f"sha256:{_digest(parts[name])}" for name in ("layer1", "layer2")]
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created_by": "ADD base"}, {"created_by": "COPY more"}]}
    with tarfile.open(parts["docker"], "w") as outer:
        names = []
        for name, diff_id in zip(("layer1", "layer2"), diff_ids, strict=True):
            names.append(f"{diff_id.split(':')[1]}/layer.tar")
            outer.add(parts[name], arcname=names[-1])
        for member, document in (("config.json", config),
                                 ("manifest.json", [{"Config": "config.json", "RepoTags": ["million:1"],
                                                     "Layers": names}])):
            data = json.dumps(document).encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            outer.addfile(info, io.BytesIO(data))
    blobs = parts["oci"] / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layers = []
    for name in ("layer1", "layer2"):
        packed = cache / f"{name}.tar.gz"
        with open(parts[name], "rb") as src, gzip.GzipFile(packed, "wb", compresslevel=6, mtime=0) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        digest = _digest(packed)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": f"sha256:{digest}",
                       "size": packed.stat().st_size})
        packed.rename(blobs / digest)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_json_blob(blobs, config)},
                "layers": layers}
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                **_json_blob(blobs, manifest)}]}
    (parts["oci"] / "index.json").write_text(json.dumps(index), encoding="utf-8")
    (parts["oci"] / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}', encoding="utf-8")
    os.sync()
    done.write_text(f"built in {time.perf_counter() - started:.0f} s\n", encoding="utf-8")
    return parts


def _gzip_blobs(oci: Path) -> list[Path]:
    index = json.loads((oci / "index.json").read_text(encoding="utf-8"))
    manifest = json.loads((oci / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]).read_bytes())
    return [oci / "blobs" / "sha256" / layer["digest"].split(":")[1] for layer in manifest["layers"]]


def _gnu_time(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes, GNU time's %M; for a shell, its largest child) of `argv`."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr[-500:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) * 1024


def _old_lightprof(ref: str, folder: Path) -> dict[str, str]:
    """An environment whose `lightprof` imports the lightprof package of git commit `ref`."""
    target = folder / f"lightprof-{ref}"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "lightprof"], capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    subprocess.run([PY, "-m", "compileall", "-q", str(target)], check=True, capture_output=True)
    return {**os.environ, "PYTHONPATH": str(target)}


def _figures(report: Path) -> dict[str, object]:
    """The figures of the image in a --json report, to check old and new agree."""
    image = json.loads(report.read_text(encoding="utf-8"))["images"][0]
    keys = ("size_bytes", "user_size_bytes", "wasted_bytes", "wasted_paths", "efficiency", "files", "stored_bytes")
    figures: dict[str, object] = {key: image.get(key) for key in keys}
    figures["layers"] = [(layer["files"], layer["entries"], layer["whiteouts"], layer["size_bytes"])
                         for layer in image["layers"]]
    return figures


def run(count: int, rounds: int, against: str | None) -> None:
    cache = Path(tempfile.gettempdir()) / f"lightprof-bench-million-image-{count}"
    print(f"\n## two layers of {count:,} files each (image cached in {cache})")
    started = time.perf_counter()
    parts = build(cache, count)
    print(f"  image ready in {time.perf_counter() - started:.0f} s "
          f"({(cache / 'complete').read_text(encoding='utf-8').strip()})")
    lightprof = str(Path(PY).with_name("lightprof"))
    with tempfile.TemporaryDirectory(prefix="lightprof-bench-") as tmp:
        folder = Path(tmp)
        profiles = {}
        for kind, path in (("docker", parts["docker"]), ("oci", parts["oci"])):
            profiles[kind] = folder / f"{kind}.toml"
            profiles[kind].write_text(f'version = 1\n[[image]]\nname = "million"\npath = "{path}"\n'
                                      'budget = "10 GB"\n', encoding="utf-8")
        plain = [str(parts["layer1"]), str(parts["layer2"])]
        packed = [str(p) for p in _gzip_blobs(parts["oci"])]
        commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "tar -tvf (plain layers)": (["sh", "-c", 'for l; do tar -tvf "$l"; done >/dev/null', "sh", *plain], None),
            "tar -tf (plain layers)": (["sh", "-c", 'for l; do tar -tf "$l"; done >/dev/null', "sh", *plain], None),
            "tar -tzvf (gzip layers)": (["sh", "-c", 'for l; do tar -tzvf "$l"; done >/dev/null', "sh", *packed],
                                        None),
        }
        envs: dict[str, dict[str, str] | None] = {"lightprof": None}
        if against:
            envs[f"lightprof@{against}"] = _old_lightprof(against, folder)
        for who, env in envs.items():
            for kind, label in (("docker", "docker save, plain"), ("oci", "OCI layout, gzip")):
                report = folder / f"{who}-{kind}.json"
                commands[f"{who} ({label})"] = ([lightprof, "--headless", "--json", str(report), "-p",
                                                  str(profiles[kind])], env)
        for argv, env in commands.values():
            _gnu_time(argv, env)  # warm the page cache
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        figures: dict[str, dict[str, object]] = {}
        for _ in range(rounds):
            for name in random.sample(list(commands), len(commands)):
                argv, env = commands[name]
                runs[name].append(_gnu_time(argv, env))
                if name.startswith("lightprof"):
                    figures[name] = _figures(Path(argv[argv.index("--json") + 1]))
    print(f"  {rounds} interleaved rounds; wall median, peak RSS (max of the rounds):")
    for name, values in runs.items():
        wall, rss = statistics.median(w for w, _ in values), max(r for _, r in values)
        print(f"  {name:<40} {wall:7.2f} s {rss / 1e6:8.1f} MB")
    for who in envs:
        for kind, peer in (("docker save, plain", "tar -tvf (plain layers)"),
                           ("OCI layout, gzip", "tar -tzvf (gzip layers)")):
            ours = runs[f"{who} ({kind})"]
            ratios = [a / b for (a, _), (b, _) in zip(ours, runs[peer], strict=True)]
            print(f"  {who} ({kind}) ÷ {peer}: median {statistics.median(ratios):.2f}x "
                  f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
    for label in ("docker save, plain", "OCI layout, gzip"):
        distinct = {json.dumps(f, sort_keys=True) for name, f in figures.items() if name.endswith(f"({label})")}
        print(f"  figures, {label}: " + ("every lightprof agrees" if len(distinct) == 1 else "THEY DIFFER"))
        for text in sorted(distinct):
            print(f"    {text}")
