"""What the mixins of LightprofApp (navigation, actions, A/B and attribution keys, lifecycle) read
of the app: declared once here, defined by LightprofApp."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.worker import Worker

from lightprof.tui.controller import Controller


class AppState(App[int]):
    """The base of every mixin of LightprofApp: the app's state and the methods it defines."""

    ctl: Controller
    selected: str | None
    _worker: Worker[None] | None

    def _fill_subjects(self) -> None:
        raise NotImplementedError

    def _refresh_panes(self) -> None:
        raise NotImplementedError

    def _pane(self, tab: str | None = None) -> Any:
        raise NotImplementedError

    @property
    def measuring(self) -> bool:
        raise NotImplementedError
