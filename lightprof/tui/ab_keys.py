"""The A/B pane's key: `a` picks the target the selected target is compared against."""

from __future__ import annotations

from lightprof.tui.ab import base_choices, set_against
from lightprof.tui.app_state import AppState
from lightprof.tui.widgets.pick import NONE, PickScreen


class ABKeys(AppState):
    """A mixin of LightprofApp: choosing the base of an A/B comparison."""

    def action_pick_base(self) -> None:
        name = self.selected or ""
        spec = self.ctl.specs.get(name)
        if spec is None:
            self.notify("A/B compares targets: select a target first", severity="warning")
            return
        choices = base_choices(self.ctl, name)
        if not choices:
            based = [other for other, s in self.ctl.specs.items() if s.against == name]
            why = f"'{name}' is the base of '{based[0]}'" if based else "the profile has no other plain target"
            self.notify(f"nothing to compare {name} against: {why}", severity="warning")
            return

        def chosen(choice: str | None) -> None:
            if choice is None:
                return
            error = set_against(self.ctl, name, None if choice == NONE else choice)
            if error:
                self.notify(error, severity="error")
                return
            against = self.ctl.specs[name].against
            self.notify(f"{name} against {against}: r runs both, interleaved; w saves it" if against
                        else f"{name} compared with nothing; w saves it")
            self._fill_subjects()
            self._refresh_panes()

        self.push_screen(PickScreen(f"compare {name} against", choices, spec.against, "nothing (no A/B)"), chosen)
