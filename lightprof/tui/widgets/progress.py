"""A progress line drawn to its own width."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


def progress_text(done: int, total: int, width: int, suffix: str) -> Text:
    """A one-line progress bar `━━━━╺──── done/total suffix` sized to `width` cells."""
    label = f" {done}/{total} {suffix}".rstrip()
    bar_width = max(4, width - len(label) - 1)
    filled = round(bar_width * done / total) if total else 0
    text = Text()
    text.append("━" * filled, style="green" if done >= total and total else "cyan")
    text.append("─" * (bar_width - filled), style="grey35")
    text.append(label)
    return text


class ProgressLine(Widget):
    """A progress bar drawn to the widget's own width, so it never wraps after a resize."""

    DEFAULT_CSS = """
    ProgressLine { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[int, int, str] | None = None
        self._idle = Text("")

    def set_progress(self, done: int, total: int, suffix: str) -> None:
        self._state = (done, total, suffix)
        self.refresh()

    def set_idle(self, message: str) -> None:
        self._state = None
        self._idle = Text(message, style="dim")
        self.refresh()

    def render(self) -> Text:
        if self._state is None:
            return self._idle
        done, total, suffix = self._state
        return progress_text(done, total, self.size.width, suffix)
