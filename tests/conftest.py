"""Shared test setup: the repo on sys.path; TUI snapshots stored in the top-level `snapshots/`; the
`tmux` fixture (a private tmux server, killed after the test)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # Tests run from a checkout without `pip install -e .`; the package is the folder beside them.
    sys.path.insert(0, str(REPO))

SNAPSHOTS = REPO / "snapshots"

from tests.tmux_support import Tmux  # noqa: E402 - importable once the repo is on sys.path


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    terminal = Tmux()
    try:
        yield terminal
    finally:
        terminal.kill()

try:
    import pytest_textual_snapshot
    from syrupy.assertion import SnapshotAssertion
except ImportError:  # pragma: no cover - the [test] extra installs both
    pytest_textual_snapshot = None


if pytest_textual_snapshot is not None:

    class TopLevelSVGExtension(pytest_textual_snapshot.SVGImageExtension):
        """pytest-textual-snapshot's SVG extension, writing to `<repo>/snapshots/<test module>/`."""

        @classmethod
        def dirname(cls, *, test_location) -> str:  # noqa: ANN001 - syrupy's PyTestLocation
            return str(SNAPSHOTS / Path(test_location.filepath).stem)

    # `snap_compare` calls `snapshot.use_extension(SVGImageExtension)` with the class it imported,
    # which would undo a fixture override alone; rebinding the module attribute makes it use ours.
    pytest_textual_snapshot.SVGImageExtension = TopLevelSVGExtension

    @pytest.fixture
    def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
        return snapshot.use_extension(TopLevelSVGExtension)
