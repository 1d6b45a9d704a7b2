"""A modal list to pick one of a few names (the A/B pane's base target)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

NONE = "\0none"  # the option that clears the choice (no name can hold a NUL)


class PickScreen(ModalScreen[str | None]):
    """Dismissed with the chosen name, NONE for "none of them", or None when cancelled (escape)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]
    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > Vertical { width: 50; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; padding: 0 1; background: $surface; }
    PickScreen OptionList { height: auto; max-height: 12; border: none; }
    """

    def __init__(self, title: str, names: list[str], current: str | None, none_label: str) -> None:
        super().__init__()
        self.title_text = title
        self.names = names
        self.current = current
        self.none_label = none_label

    def compose(self) -> ComposeResult:
        options = [Option(("● " if n == self.current else "  ") + n, id=n) for n in self.names]
        options.append(Option(("● " if self.current is None else "  ") + self.none_label, id=NONE))
        with Vertical():
            yield Label(self.title_text)
            yield OptionList(*options, id="pick-options")

    def on_mount(self) -> None:
        options = self.query_one("#pick-options", OptionList)
        options.highlighted = self.names.index(self.current) if self.current in self.names else len(self.names)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
