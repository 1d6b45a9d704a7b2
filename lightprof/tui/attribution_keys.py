"""The attribution pane's keys: `r` attributes the selected target's cold start with the cache its
profile says, `c` with the other one (cold against warm). The attribution runs through
`lightprof.session.attribute_target` in a worker thread, stopped by `x` like any run."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from textual import work

from lightprof.errors import LightprofError
from lightprof.profile.spec import TargetSpec
from lightprof.tui.app_state import AppState


class AttributionKeys(AppState):
    """A mixin of LightprofApp: attributing a target from the TUI."""

    def action_attribute(self, other_cache: bool = False) -> None:
        spec = self.ctl.specs.get(self.selected or "")
        if spec is None:
            self.notify("attribution is a target's: select a target", severity="warning")
            return
        if self.measuring:
            self.notify("a run is already going; press x to stop it", severity="warning")
            return
        cache = ("warm" if spec.cache == "cold" else "cold") if other_cache else spec.cache
        self.ctl.cancel = cancel = threading.Event()
        self.ctl.idle.clear()
        self.ctl.running = {spec.name}
        self.ctl.attributing = cache
        self._worker = self._attribute(spec, cache, cancel)
        self._fill_subjects()
        self._refresh_panes()

    @work(thread=True, exclusive=True, group="measure", exit_on_error=False)
    def _attribute(self, spec: TargetSpec, cache: str, cancel: threading.Event) -> None:
        from lightprof.session import attribute_target

        # Kept profiles (speedscope, cpuprofile) go beside the profile (an ad-hoc session has none).
        saved = self.ctl.save_path
        folder = saved.parent if saved is not None else Path(tempfile.gettempdir())
        try:
            found = attribute_target(spec, cache=cache, out_dir=folder / "lightprof-attribution", cancel=cancel)
            error = None
        except LightprofError as exc:
            found, error = None, exc.message
        finally:
            self.ctl.idle.set()
        self.call_from_thread(self._attributed, spec.name, cache, found, error, cancel.is_set())

    def _attributed(self, name: str, cache: str, found: object, error: str | None, cancelled: bool) -> None:
        self.ctl.running.discard(name)
        self.ctl.attributing = None
        if error:
            self.notify(error, title=f"{name} not attributed", severity="error")
        elif found is not None and not cancelled:  # a stopped attribution is not shown as one
            self.ctl.attributions[(name, cache)] = found
        self._fill_subjects()
        self._refresh_panes()
