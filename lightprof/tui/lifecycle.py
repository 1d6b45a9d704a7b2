"""Ending the app: q, Ctrl-C, SIGTERM and a closed terminal all stop the run and reap its
processes first (exit code 130 for a signal)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading

from lightprof.errors import EXIT_INTERRUPTED
from lightprof.tui.app_state import AppState

QUIT_WAIT_S = 15.0  # how long quitting waits for the engine to kill and reap a running target


class Lifecycle(AppState):
    """A mixin of LightprofApp: quitting and signals."""

    _quit_armed: bool
    _exit_code: int | None

    async def action_quit(self) -> None:
        """Stop a running measurement, wait until the engine reaped the target, then exit.

        Budgets changed but not saved hold the first q back once, so they are not lost by a slip.
        """
        if (self.ctl.changed or self.ctl.settings_changed) and not self._quit_armed:
            self._quit_armed = True
            self.notify("budgets changed but not saved: w saves them, q again quits", severity="warning")
            return
        if self.measuring and self._worker is not None:
            self.ctl.stop()
            self.notify("stopping the run before quitting…")
            # Quitting goes on whatever the worker did (failed, timed out): it must not hang.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._worker.wait(), QUIT_WAIT_S)
        if self._exit_code is not None:
            self.exit(self._exit_code)
        else:
            self.exit(self.ctl.result.exit_code if self.ctl.read_only and self.ctl.result else 0)

    def quit_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGINT: quit like q, with exit code 130. SIGHUP: the terminal is gone.

        Called by the event loop (`loop.add_signal_handler`, see `run_tui`), never from inside a
        signal handler: raising KeyboardInterrupt into Textual's code instead can stop it midway
        through its writer queue or driver teardown and leave the process hanging for ever.
        """
        if self._exit_code is not None:
            return  # already quitting
        self._exit_code = EXIT_INTERRUPTED
        self._quit_armed = True  # nobody may be there to answer "budgets not saved"
        self.ctl.stop()
        if signum == getattr(signal, "SIGHUP", None):
            # Textual cannot restore a terminal that is gone (its writes to it block for ever),
            # so a thread of its own stops and reaps the run and ends the process.
            threading.Thread(target=self._abandon_terminal, name="lightprof-hangup", daemon=True).start()
        elif self.is_running:
            self.call_later(self.action_quit)

    def _abandon_terminal(self) -> None:
        import os

        from lightprof.measure.target.reap import sweep_descendants

        self.stop_measuring()
        sweep_descendants(since=None)
        os._exit(EXIT_INTERRUPTED)

    def stop_measuring(self, timeout: float = QUIT_WAIT_S) -> bool:
        """Cancel any run and wait for the engine to reap it (for callers outside the loop)."""
        self.ctl.stop()
        return self.ctl.idle.wait(timeout)
