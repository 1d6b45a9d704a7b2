"""The app's actions on the session: runs, warm-ups, ready and timeout; budgets (suggest, edit,
headroom), the baseline and saving. Each changes the controller and redraws; none measures."""

from __future__ import annotations

from lightprof.profile.spec import MAX_RUNS, TargetSpec
from lightprof.tui.app_state import AppState
from lightprof.tui.panes.budgets import BudgetsPane
from lightprof.tui.panes.kernels import KernelsPane
from lightprof.tui.widgets.dialogs import EditBudgetScreen, SessionSettings, SettingsScreen

HEADROOM_STEP = 0.05


class SessionActions(AppState):
    """A mixin of LightprofApp: the keys that change the session's settings and budgets."""

    # ------------------------------------------------------------------ session settings

    def _selected_spec(self) -> TargetSpec | None:
        spec = self.ctl.specs.get(self.selected or "")
        if spec is None:
            self.notify("select a target first", severity="warning")
        return spec

    def action_runs(self, step: int) -> None:
        spec = self._selected_spec()
        if spec is not None:
            self.ctl.set_spec(spec.name, runs=min(MAX_RUNS, max(1, spec.runs + step)))
            self._refresh_panes()

    def action_options(self) -> None:
        spec = self._selected_spec()
        if spec is None:
            return

        def apply(settings: SessionSettings | None) -> None:
            if settings is not None:
                self.ctl.set_spec(spec.name, runs=settings.runs, warmup=settings.warmup,
                                  ready=settings.ready, timeout=settings.timeout, hold=settings.hold)
                self._refresh_panes()

        current = SessionSettings(spec.runs, spec.warmup, spec.ready, spec.timeout, spec.hold)
        self.push_screen(SettingsScreen(current), apply)

    def action_size(self, step: int) -> None:
        pane = self._pane()
        if isinstance(pane, KernelsPane):
            pane.step_size(step)

    # ------------------------------------------------------------------ budgets

    def _budgets_changed(self, status: str) -> None:
        self.ctl.status = status
        self._fill_subjects()
        self._refresh_panes()

    def action_headroom(self, direction: int) -> None:
        self.ctl.headroom = min(2.0, max(0.0, round(self.ctl.headroom + direction * HEADROOM_STEP, 2)))
        self._refresh_panes()

    def action_suggest(self) -> None:
        suggested = self.ctl.suggest()
        if not suggested:
            self.notify("nothing measured yet: press r to run a target first", severity="warning")
            return
        self._budgets_changed(f"suggested {suggested} budget(s) at +{self.ctl.headroom * 100:.0f}% "
                              "headroom; w saves them")

    def action_edit(self) -> None:
        pane = self._pane("tab-budgets")
        chosen = pane.selected() if isinstance(pane, BudgetsPane) else None
        if chosen is None:
            self.notify("no budget to edit", severity="warning")
            return
        subject, metric = chosen
        reason = self.ctl.editable(subject, metric)
        if reason is not None:
            self.notify(f"{subject} {metric} cannot be edited: {reason}", severity="warning")
            return
        from lightprof.tui.budget_rows import limit_text

        current = self.ctl.current_limit(subject, metric)

        def apply(value: float | None) -> None:
            if value is not None:
                self.ctl.set_budget(subject, metric, value)
                self._budgets_changed(f"{subject} {metric} = {limit_text(metric, value)}; w saves it")

        text = limit_text(metric, current) if current is not None else ""
        self.push_screen(EditBudgetScreen(subject, metric, text), apply)

    def action_baseline(self) -> None:
        result = self.ctl.result
        if result is None or not any(r.measured is not None for r in result.budgets):
            self.notify("no budgeted figure measured yet: run (r) and suggest (s) first", severity="warning")
            return
        try:
            path = self.ctl.write_baseline()
        except OSError as exc:
            self.notify(f"baseline not written: {exc}", severity="error")
            return
        self._budgets_changed(f"baseline written to {path.name}")

    def action_write(self) -> None:
        from lightprof.errors import LightprofError

        try:
            path = self.ctl.save()
        except (OSError, LightprofError) as exc:
            self.notify(f"profile not saved: {exc}", severity="error")
            return
        self.notify(f"saved {path}")
        self._budgets_changed(f"saved {path.name}")
