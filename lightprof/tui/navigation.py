"""Moving around the app: panes, focus, the subject list and its one-line fold below 100 columns."""

from __future__ import annotations

import contextlib
from typing import Any

from rich.text import Text
from textual.css.query import NoMatches
from textual.widgets import OptionList, Static, TabbedContent, TabPane

from lightprof.tui.app_state import AppState
from lightprof.tui.verdicts import mark
from lightprof.tui.widgets.dialogs import HelpScreen
from lightprof.tui.widgets.lazy import Lazy

NARROW = 100  # below this many columns the subject list folds into a one-line bar


class Navigation(AppState):
    """A mixin of LightprofApp: tabs, focus and choosing a subject."""

    narrow = False  # below NARROW columns the subject list folds into a one-line bar

    def _active_tab(self) -> str:
        try:
            return self.query_one("#tabs", TabbedContent).active
        except NoMatches:  # bindings are checked before the tabs are composed
            return ""

    def select_subject(self, name: str) -> None:
        """Highlight `name` in the subject list (the panes follow it)."""
        option_list = self.query_one("#subjects", OptionList)
        with contextlib.suppress(Exception):  # OptionDoesNotExist: not a subject of this session
            option_list.highlighted = option_list.get_option_index(name)

    def _layout_side(self) -> None:
        """Below NARROW columns the subject list folds into a bar over the pane (↑↓ still choose
        the subject there), so tables and charts get the whole width."""
        narrow = self.size.width < NARROW
        changed = narrow != self.narrow
        self.narrow = narrow
        self.query_one("#side").set_class(narrow, "hidden")
        self.query_one("#main").set_class(narrow, "narrow")
        if narrow:
            self.set_focus(None)
            if self._active_tab() in ("tab-budgets",):
                self._focus_pane()
            self._draw_subject_bar()
        elif changed or self.focused is None or not self.focused.display:
            self.query_one("#subjects", OptionList).focus()

    def _draw_subject_bar(self) -> None:
        if not self.narrow:
            return
        subjects = self.ctl.subjects()
        names = [name for name, _kind in subjects]
        if self.selected not in names:
            return
        index = names.index(self.selected)
        kind = subjects[index][1]
        symbol, style = mark(self.ctl.state(self.selected or ""))
        bar = Text()
        bar.append("◀ ", style="dim")
        bar.append(f"{symbol} ", style=style)
        bar.append(self.selected or "", style="bold")
        if kind != "target":
            bar.append(f" {kind}", style="dim")
        bar.append(f" {index + 1}/{len(names)} ▶", style="dim")
        bar.append("  ↑↓ subject", style="dim")
        with contextlib.suppress(NoMatches):
            self.query_one("#subject-bar", Static).update(bar)

    def action_enter_pane(self) -> None:
        """Enter with the subject list folded away: into the pane's table, as from the list."""
        self._focus_pane()

    def action_subject(self, step: int) -> None:
        """↑↓ with the subject list folded away: the previous or next subject."""
        names = [name for name, _kind in self.ctl.subjects()]
        if not names:
            return
        index = names.index(self.selected) if self.selected in names else 0
        self.select_subject(names[(index + step) % len(names)])

    def _pane(self, tab: str | None = None) -> Any:
        """The pane of `tab` (default: the active one); None while it is not mounted yet."""
        with contextlib.suppress(NoMatches):
            pane = self.query_one(f"#{tab or self._active_tab()}", TabPane).children[0]
            return None if isinstance(pane, Lazy) else pane
        return None

    def _focus_pane(self) -> None:
        """Move the keyboard into the active pane's table (↑↓ then move within it)."""
        pane = self._pane()
        if pane is not None and hasattr(pane, "focus_detail"):
            pane.focus_detail()

    # ------------------------------------------------------------------ navigation, help

    def action_tab(self, tab: str) -> None:
        """Switch pane. Focus inside the pane being left goes back to the subject list first:
        a focused widget in a hidden pane would pull its tab back (Textual follows focus)."""
        subjects = self.query_one("#subjects", OptionList)
        if self.focused is not subjects and not self.narrow:
            subjects.focus()
        elif self.focused is not None and self.focused is not subjects:
            self.set_focus(None)
        self.query_one("#tabs", TabbedContent).active = tab

    def action_leave_pane(self) -> None:
        """Escape: out of a pane's table, back to the subject list."""
        if not self.narrow:
            self.query_one("#subjects", OptionList).focus()
        else:
            self.set_focus(None)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
