"""The shape of the package (DESIGN.md, "Layout"): small modules, a flat-free engine, no import cycle.

The layers themselves are import-linter contracts in pyproject.toml (`lint-imports`, run by .ci/run).
"""

from __future__ import annotations

from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parent.parent / "lightprof"
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_400_lines() -> None:
    long = {}
    for path in _modules():
        name = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long[name] = lines
    assert long == {}


def test_measure_keeps_its_domains_in_folders() -> None:
    loose = sorted(path.name for path in (PACKAGE / "measure").glob("*.py"))
    assert len(loose) <= 4, loose
    assert {"target", "sizes", "images", "kernels", "attribution"} <= {
        path.name for path in (PACKAGE / "measure").iterdir() if (path / "__init__.py").is_file()
    }


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in graph.modules}
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                child = edges[node][i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycle_counting_imports_inside_functions() -> None:
    # grimp reads every import statement of a module, at any depth (functions, TYPE_CHECKING).
    graph = grimp.build_graph("lightprof", cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001 - pytest fixture
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("def f():\n    from cyclic import b\n", encoding="utf-8")
    (package / "b.py").write_text("from cyclic import a\n", encoding="utf-8")
    (package / "c.py").write_text("from cyclic import a\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    assert _cycles(grimp.build_graph("cyclic", cache_dir=None)) == [["cyclic.a", "cyclic.b"]]
