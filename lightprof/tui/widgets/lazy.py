"""Textual's Lazy, safe to quit under: a pane whose mount comes after the app began to close is dropped.

Lazy mounts its widget after the first refresh. With a large report the first paint takes
seconds, and a `q` typed meanwhile closes the app before that refresh; Textual's Lazy then mounts
into a tab pane that is already gone and the app dies with MountError (exit 1, a traceback).
"""

from __future__ import annotations

from textual.lazy import Lazy as _TextualLazy
from textual.message import Message
from textual.widget import MountError, Widget


class Lazy(_TextualLazy):
    """textual.lazy.Lazy that mounts only while its parent is still attached."""

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        parent = self.parent
        if not isinstance(parent, Widget):
            return

        async def mount() -> None:
            if not (parent.is_attached and self.is_attached):
                return  # the app is closing: nothing left to mount into
            try:
                await parent.mount(self._replace_widget, after=self)
            except MountError:  # it began to close between the check and the mount
                return
            await self.remove()

        self.call_after_refresh(mount)


class PaneMounted(Message):
    """A pane mounted (the app mounts hidden panes lazily, after the first paint): the app draws
    it then, in case its tab was chosen before it was there."""


class SubjectChosen(Message):
    """A pane chose a subject (enter on a row of the sizes overview): the app selects it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class LeavePane(Message):
    """Escape at a pane's top level: the app gives the keyboard back to the subject list."""
