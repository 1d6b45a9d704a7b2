"""dive's figures from the sorted walk against the straightforward reference, on random layers and
on real image archives built here; and the memory they take as images grow."""

from __future__ import annotations

import io
import json
import random
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from lightprof.measure.images import dive, diveruns
from lightprof.measure.images.image import measure_image
from lightprof.measure.images.layertar import DIR, FILE, LINK, OPAQUE, OTHER, WHITEOUT, classify, key_of, path_of
from lightprof.profile.spec import ImageSpec
from tests.dive_reference import reference

# Names that sort on both sides of "/" ("a-b" < "a/…" < "a0"), a double slash, a dot name.
_NAMES = ["a", "b", "a-b", "a0", "a.b", "c", ".x"]


def _random_path(rng: random.Random) -> str:
    parts = [rng.choice(_NAMES) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.03:
        parts.insert(1, "")  # "a//b": tar names may hold an empty component
    return "/".join(parts)


def _random_layers(rng: random.Random) -> list[list[tuple[str, int, str]]]:
    layers = []
    for _ in range(rng.randint(1, 5)):
        entries = []
        for _ in range(rng.randint(0, 30)):
            roll = rng.random()
            path = _random_path(rng)
            if roll < 0.12:
                entries.append((path, rng.choice([0, 0, 7]), WHITEOUT))
            elif roll < 0.18:
                entries.append((path, 0, OPAQUE))
            elif roll < 0.30:
                entries.append((path, rng.choice([0, 0, 4096]), DIR))
            elif roll < 0.34:
                entries.append((path, rng.randint(0, 50), rng.choice([LINK, OTHER])))
            else:
                entries.append((path, rng.randint(0, 1000), FILE))
        if rng.random() < 0.05:
            entries.append(("", 0, rng.choice([WHITEOUT, OPAQUE])))  # `.wh.` or an opaque marker at the top
        if entries and rng.random() < 0.2:
            entries.append(rng.choice(entries))  # a path listed twice in one layer
        layers.append(entries)
    return layers


def _figures(layers: list[list[tuple[str, int, str]]], top: int | None = None) -> tuple[float, int, list, int]:
    figures = dive.analyse(layers, top)
    return (figures.efficiency, figures.wasted_bytes,
            [(w.total_bytes, w.path[1:], w.layers) for w in figures.wasted], figures.wasted_paths)


def _check_against_reference(seeds: range) -> int:
    """Both implementations on random layers; in how many a whiteout of a folder deleted bytes."""
    folder_whiteouts = 0
    for seed in seeds:
        layers = _random_layers(random.Random(seed))
        efficiency, wasted_bytes, wasted, folder_whiteout_bytes = reference(layers)
        assert _figures(layers) == (efficiency, wasted_bytes, wasted, len(wasted)), seed
        assert _figures(layers, top=3) == (efficiency, wasted_bytes, wasted[:3], len(wasted)), seed
        folder_whiteouts += folder_whiteout_bytes > 0
    return folder_whiteouts


def test_sorted_walk_equals_the_reference_on_random_layers() -> None:
    folder_whiteouts = _check_against_reference(range(600))
    assert folder_whiteouts > 30, folder_whiteouts  # the random layers did delete folders with bytes in them


def test_sorted_walk_equals_the_reference_across_many_runs_and_a_spool_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs of 3 entries in blocks of 2, spooled to a temporary file after 64 bytes: every path of
    # a layer is spread over several runs and read back from the file.
    monkeypatch.setattr(diveruns, "CHUNK_ENTRIES", 3)
    monkeypatch.setattr(diveruns, "BLOCK_ENTRIES", 2)
    monkeypatch.setattr(diveruns, "SPOOL_IN_MEMORY", 64)
    spooled = []
    real_put = diveruns.RunSpool._put

    def put(self: diveruns.RunSpool, data: bytes) -> int:
        index = real_put(self, data)
        spooled.append(self.file is not None)
        return index

    monkeypatch.setattr(diveruns.RunSpool, "_put", put)
    _check_against_reference(range(1000, 1300))
    assert any(spooled) and not all(spooled)


def test_hand_worked_folder_whiteout_and_opaque_marker() -> None:
    base = [("app", 0, DIR), ("app/a", 10, FILE), ("app/b/c", 20, FILE), ("keep", 0, DIR), ("keep/x", 5, FILE),
            ("keep/y", 6, FILE)]
    # delete the folder app (all 30 bytes below it), hide keep's lower content and add a new file
    top = [("app", 0, WHITEOUT), ("keep", 0, OPAQUE), ("keep/z", 1, FILE)]
    again = [("keep/x", 50, FILE)]  # x was hidden by the opaque marker: a leaf again, in a third layer
    figures = dive.analyse([base, top, again])
    assert (figures.wasted_bytes, [(w.path, w.total_bytes, w.layers) for w in figures.wasted]) == (
        55, [("/keep/x", 55, 2)])
    leaves_total = 10 + 20 + 5 + 6 + 30 + 1 + 50  # app's whiteout adds the 30 bytes it deletes
    smallest = 10 + 20 + 5 + 6 + 30 + 1
    assert figures.efficiency == smallest / leaves_total
    assert reference([base, top, again])[:2] == (figures.efficiency, figures.wasted_bytes)
    assert reference([base, top, again])[3] == 30


def _layer_tar(entries: list[tuple[str, int, str]], rng: random.Random) -> bytes:
    """A real layer tar of the entries, in a random tar format (long names and PAX where needed)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=rng.choice([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])) as tar:
        for path, size, kind in entries:
            folder, _, base = path.rpartition("/")
            if kind == WHITEOUT:
                name = f"{folder}/.wh.{base}" if folder else f".wh.{base}"
            elif kind == OPAQUE:
                name = f"{path}/.wh..wh..opq" if path else ".wh..wh..opq"
            else:
                name = path
            info = tarfile.TarInfo(("./" if rng.random() < 0.3 else "") + name)
            types = {DIR: tarfile.DIRTYPE, LINK: tarfile.SYMTYPE, OTHER: tarfile.FIFOTYPE}
            info.type = types.get(kind, tarfile.REGTYPE)
            data = b""
            if info.type == tarfile.REGTYPE and kind != OPAQUE:
                data = bytes(size)
                info.size = size
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _read_back(blob: bytes) -> list[tuple[str, int, str]]:
    """The entries of a layer tar as tarfile lists them, classified as lightprof classifies them."""
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        kinds = {tarfile.DIRTYPE: 0x35, tarfile.SYMTYPE: 0x32, tarfile.FIFOTYPE: 0x36}
        members = [(m.name, m.size, kinds.get(m.type, 0x30), m.offset_data) for m in tar.getmembers()]
    return [(path_of(key), size, kind) for key, size, kind in classify(members)]


def test_measure_image_equals_the_reference_on_random_image_archives(tmp_path: Path) -> None:
    rng = random.Random(7)
    for round_ in range(12):
        blobs = [_layer_tar(entries, rng) for entries in _random_layers(rng)]
        archive = tmp_path / f"image{round_}.tar"
        with tarfile.open(archive, "w") as outer:
            names = []
            for i, blob in enumerate(blobs):
                names.append(f"{i:064x}/layer.tar")
                info = tarfile.TarInfo(names[-1])
                info.size = len(blob)
                outer.addfile(info, io.BytesIO(blob))
            for name, document in (("config.json", {"os": "linux"}),
                                   ("manifest.json", [{"Config": "config.json", "Layers": names}])):
                data = json.dumps(document).encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                outer.addfile(info, io.BytesIO(data))
        result = measure_image(ImageSpec(name="img", base_dir=tmp_path, path=archive.name, top=1000))
        assert result.error is None, result.error
        efficiency, wasted_bytes, wasted, _ = reference([_read_back(blob) for blob in blobs])
        assert (result.efficiency, result.wasted_bytes, result.wasted_paths) == (efficiency, wasted_bytes, len(wasted))
        assert [(w.total_bytes, w.path[1:], w.layers) for w in result.wasted] == wasted


def _peak_of_analysis(count: int) -> int:
    """tracemalloc's peak while dive's analysis takes two layers of `count` entries each."""
    tracemalloc.start()
    try:
        analysis = dive.Analysis()
        for _layer in range(2):
            batch = []
            for i in range(count):
                batch.append((key_of(f"usr/share/d{i // 500:04d}/file-{i:07d}.txt"), i % 7, FILE))
                if len(batch) == 2000:  # as the tar reader hands them over: a batch at a time
                    analysis.add(batch)
                    batch = []
            analysis.add(batch)
            analysis.end_layer()
            del batch
        figures = analysis.finish(10)
        assert figures.wasted_paths == count and len(figures.wasted) == 10
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_analysis_memory_stays_flat_as_entries_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scaled down (runs of 5,000 entries, 64 KB in memory before the temporary file) so that a
    # few tens of thousands of entries show the shape a million shows with the real settings.
    monkeypatch.setattr(diveruns, "CHUNK_ENTRIES", 5000)
    monkeypatch.setattr(diveruns, "BLOCK_ENTRIES", 256)
    monkeypatch.setattr(diveruns, "SPOOL_IN_MEMORY", 64 * 1024)
    small, large = _peak_of_analysis(10_000), _peak_of_analysis(60_000)
    # dicts of every path took hundreds of bytes an entry: 6x the entries would add megabytes here
    assert large < small * 1.5, (small, large)


def test_spool_merges_runs_in_key_then_listing_order_a_key_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diveruns, "CHUNK_ENTRIES", 7)
    monkeypatch.setattr(diveruns, "BLOCK_ENTRIES", 3)
    rng = random.Random(5)
    for _ in range(50):
        spool = diveruns.RunSpool()
        listed: list[tuple[str, int, int, str]] = []  # (key, layer, order listed, kind)
        for layer in range(rng.randint(1, 4)):
            for _ in range(rng.randint(0, 40)):
                entry = (rng.choice("abcde") * rng.randint(1, 2), len(listed), rng.choice("fdwo"))
                listed.append((entry[0], layer, entry[1], entry[2]))
                spool.add([entry])
            spool.end_layer()
        batches = list(spool.merged())
        merged = [(key, spool.run_layers[run], size, kind) for batch in batches for key, run, size, kind in batch]
        assert merged == sorted(listed, key=lambda e: (e[0], e[1], e[2]))
        keys_per_batch = [{key for key, *_ in batch} for batch in batches]
        assert sum(len(keys) for keys in keys_per_batch) == len({key for key, *_ in listed})
        spool.close()
