"""Lazy-load candidates from an import tree and sampled stacks (the shapes py-spy writes)."""

from __future__ import annotations

from lightprof.measure.attribution.lazy import candidates
from lightprof.measure.attribution.speedscope import Frame, Samples
from lightprof.model.attribution import ImportRow

STD = "/usr/lib/python3.11"
IMPORTS = [
    ImportRow("json", 0.001, 0.006),
    ImportRow("json.decoder", 0.001, 0.005, parent="json", depth=1),
    ImportRow("re", 0.004, 0.004, parent="json.decoder", depth=2),
    ImportRow("app", 0.001, 0.030),
    ImportRow("app.plugins", 0.030, 0.030, parent="app", depth=1),
    ImportRow("site", 0.001, 0.010, startup=True),
]
FRAMES = [
    Frame("<module>", "/src/main.py", 1),                 # 0: the program
    Frame("<module>", f"{STD}/json/__init__.py", 1),      # 1
    Frame("<module>", f"{STD}/json/decoder.py", 1),       # 2
    Frame("compile", f"{STD}/re/__init__.py", 226),       # 3: re at work while json.decoder loads
    Frame("<module>", "/src/app/__init__.py", 1),         # 4
    Frame("run", "/src/app/__init__.py", 9),              # 5: the program calls app.run()
    Frame("<module>", "/src/app/plugins.py", 1),          # 6
    Frame("_scan", "/src/app/plugins.py", 4),             # 7: plugins' import body calls its own helper
]


def samples(*stacks: tuple[int, ...]) -> Samples:
    return Samples(FRAMES, [(stack, 0.001) for stack in stacks])


def test_code_run_inside_a_subtrees_own_import_is_not_use_but_a_call_from_the_program_is() -> None:
    found = candidates(IMPORTS, samples((0, 1, 2, 3), (0, 4, 6, 7), (0, 5)))

    # json: re ran only while json.decoder loaded. app is used (app.run), and it is the program's
    # own code, so its unused submodule plugins is named instead of it.
    assert [(c.module, c.saves_s) for c in found] == [("app.plugins", 0.030), ("json", 0.006)]


def test_a_library_module_in_use_is_not_searched_for_unused_submodules() -> None:
    calls_json = Frame("loads", f"{STD}/json/__init__.py", 346)
    found = candidates(IMPORTS, Samples([*FRAMES, calls_json], [((0, 8), 0.001), ((0, 5), 0.001)]))

    assert "json" not in [c.module for c in found] and "re" not in [c.module for c in found]


def test_candidates_that_would_save_little_are_not_named() -> None:
    assert [c.module for c in candidates(IMPORTS, samples((0, 5)), min_saving_s=0.01)] == ["app.plugins"]
