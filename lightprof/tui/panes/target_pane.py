"""What the panes that show one target (A/B, attribution, paths) share: their lines as one Text, and
keeping what `show` was given so that a resize draws the same target again at the new width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import VerticalScroll

from lightprof.tui.controller import Controller
from lightprof.tui.widgets.histogram_lines import Line


def lines_text(lines: Sequence[Line]) -> Text:
    """The lines as one Text, cropped rather than wrapped: each was fitted to the pane's width."""
    text = Text(no_wrap=True, overflow="crop")
    for index, (line, style) in enumerate(lines):
        if index:
            text.append("\n")
        text.append(line, style=style)
    return text


class TargetPane(VerticalScroll):
    """A pane for one target; `show` is called whenever the session changes, `_draw_target` draws."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: object = None
        self._args: tuple[Controller, str | None] | None = None

    def show(self, ctl: Controller, name: str | None) -> None:
        self._args = (ctl, name)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._args is not None:
            self._draw_target(*self._args)

    def _draw_target(self, ctl: Controller, name: str | None) -> None:
        raise NotImplementedError
