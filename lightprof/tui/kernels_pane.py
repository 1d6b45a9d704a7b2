"""The kernels pane: Wasm against its fallback per kernel and payload size, re-run on demand.

Shows what the engine measured (`show_result` / `show`), and lets the user pick a kernel and a
payload size and press `r` to measure Wasm vs fallback again in a worker thread. The worker only
calls `measure_kernel` (the same engine function the headless gate uses) and hands results back
through `call_from_thread`; nothing here launches processes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lightprof.measure.events import Event, Progress
from lightprof.model.kernels import KernelResult, KernelSizeRow
from lightprof.tui.widgets import Histogram, PaneMounted, ProgressLine
from lightprof.units import format_duration, format_size

INTERACTIVE_SIZES = (64, 4096, 65536, 1 << 20)
INTERACTIVE_RUNS = 30


def _rate(bytes_per_s: float | None) -> str:
    return "—" if bytes_per_s is None else f"{format_size(bytes_per_s, si=True)}/cpu-s"


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


class KernelsPane(Vertical):
    """Kernel list on the left; figures and latency distributions of the chosen size on the right."""

    BINDINGS = [
        Binding("r", "run", "run Wasm vs fallback"),
        Binding("s", "next_size", "next size"),
        Binding("S", "previous_size", "previous size", show=False),
    ]

    DEFAULT_CSS = """
    KernelsPane { padding: 0 1; }
    KernelsPane #kernels-body { height: 1fr; }
    KernelsPane #kernels-list { width: 18; height: 1fr; }
    KernelsPane #kernels-detail { width: 1fr; padding: 0 0 0 1; scrollbar-size-vertical: 1; }
    KernelsPane #kernels-sizes { height: 1; }
    KernelsPane #kernels-figures { height: auto; }
    KernelsPane .heading { color: $text-muted; text-style: bold; height: 1; }
    KernelsPane Histogram { height: 5; }
    KernelsPane #kernels-progress { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: dict[str, KernelResult] = {}
        self.order: list[str] = []
        self.selected: str | None = None
        self.size_index = 0
        self.running: str | None = None
        self._cancel: threading.Event | None = None
        self._last_shown: Any = None
        self._app_selected: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="kernels-body"):
            yield OptionList(id="kernels-list")
            with VerticalScroll(id="kernels-detail"):
                yield Static(id="kernels-sizes")
                yield Static(id="kernels-figures")
                yield Static("Wasm end to end (copy in + call + read out)", classes="heading")
                yield Histogram(format_duration, id="kernels-wasm-hist")
                yield Static("fallback", classes="heading")
                yield Histogram(format_duration, id="kernels-fallback-hist")
                yield ProgressLine(id="kernels-progress")

    def on_mount(self) -> None:
        self.post_message(PaneMounted())
        self.query_one("#kernels-progress", ProgressLine).set_idle("r: run the selected kernel · s: next size")
        if not self.order:
            self.show([])

    # ------------------------------------------------------------------ data in

    def show_result(self, result: Any, selected: str | None = None) -> None:
        """The app's contract: render the kernels of a `Result` (live, loaded or None), showing
        the kernel `selected` in the app's subject list when it is one."""
        kernels = list(getattr(result, "kernels", []) or [])
        marker = [id(k) for k in kernels]
        if marker != self._last_shown:
            self._last_shown = marker
            self.show(kernels)
        if selected != self._app_selected:
            self._app_selected = selected
            if selected in self.order and selected != self.selected:
                self.query_one("#kernels-list", OptionList).highlighted = self.order.index(selected)

    def focus_detail(self) -> None:
        """Enter on the app's subject list: move into the kernel list (r runs, s picks a size)."""
        self.query_one("#kernels-list", OptionList).focus()

    def show(self, kernels: list[KernelResult]) -> None:
        """Show these results; built-in kernels not measured yet are listed to be run."""
        for kernel in kernels:
            self.results[kernel.name] = kernel
        names = [k.name for k in kernels] + [n for n in self.order if n not in {k.name for k in kernels}]
        for name in _builtin_names():
            if name not in names:
                names.append(name)
        self.order = names
        listing = self.query_one("#kernels-list", OptionList)
        highlighted = self.selected
        listing.clear_options()
        listing.add_options([Option(self._label(name), id=name) for name in names])
        if kernels and highlighted not in self.results:
            highlighted = kernels[0].name  # measured kernels first: an unmeasured one shows nothing
        if names:
            self.selected = highlighted if highlighted in names else names[0]
            listing.highlighted = names.index(self.selected)
            self._reset_size()
        self._render_detail()

    def _label(self, name: str) -> Text:
        result = self.results.get(name)
        text = Text()
        if result is None:
            text.append("· ", style="dim")
        elif result.error:
            text.append("✗ ", style="red")
        elif result.mismatch:
            text.append("≠ ", style="red")
        else:
            wins = all((row.speedup or 0) >= 1 for row in result.sizes)
            text.append("✓ " if wins else "▼ ", style="green" if wins else "yellow")
        text.append(name)
        return text

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self.selected:
            self.selected = event.option.id
            self._reset_size()
            self._render_detail()

    # ------------------------------------------------------------------ sizes

    def sizes(self) -> list[int]:
        """The sizes to choose from: those measured for the kernel, else the interactive set."""
        result = self.results.get(self.selected or "")
        measured = [row.size_bytes for row in result.sizes] if result else []
        return sorted(set(measured) | set(INTERACTIVE_SIZES))

    def _reset_size(self) -> None:
        """Start at the first size the kernel was measured at (else the first size offered)."""
        result = self.results.get(self.selected or "")
        sizes = self.sizes()
        self.size_index = sizes.index(result.sizes[0].size_bytes) if result and result.sizes else 0

    def selected_size(self) -> int:
        sizes = self.sizes()
        return sizes[self.size_index % len(sizes)]

    def action_next_size(self) -> None:
        self.size_index = (self.size_index + 1) % len(self.sizes())
        self._render_detail()

    def action_previous_size(self) -> None:
        self.size_index = (self.size_index - 1) % len(self.sizes())
        self._render_detail()

    # ------------------------------------------------------------------ rendering

    def _row(self) -> KernelSizeRow | None:
        result = self.results.get(self.selected or "")
        if result is None:
            return None
        size = self.selected_size()
        return next((row for row in result.sizes if row.size_bytes == size), None)

    def _render_detail(self) -> None:
        if not self.is_mounted:
            return
        size = self.selected_size() if self.selected else None
        chooser = Text()
        for s in self.sizes() if self.selected else []:
            chooser.append(f" {format_size(s)} ", style="reverse bold" if s == size else "dim")
        self.query_one("#kernels-sizes", Static).update(chooser)
        self.query_one("#kernels-figures", Static).update(self._figures_text())
        row = self._row()
        self._histogram("#kernels-wasm-hist", row.wasm_e2e_samples_s if row else [])
        self._histogram("#kernels-fallback-hist", row.fallback_samples_s if row else [])

    def _histogram(self, selector: str, samples: list[float]) -> None:
        marks = {}
        if samples:
            ordered = sorted(samples)
            marks = {"p50": ordered[len(ordered) // 2], "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]}
        self.query_one(selector, Histogram).set_values(samples, marks)

    def _figures_text(self) -> Text:
        text = Text()
        if self.selected is None:
            return Text("no kernels", style="dim")
        result = self.results.get(self.selected)
        if result is None:
            return Text(f"{self.selected}: not measured yet · press r to run it", style="dim")
        if result.summary:
            text.append(f"{result.summary}\n", style="dim")
        if result.error:
            text.append(f"✗ {result.failure or 'failed'}: {result.error}\n", style="red")
            return text
        if result.mismatch:
            text.append(f"≠ {result.mismatch}\n", style="red")
        row = self._row()
        if row is None:
            text.append(f"{format_size(self.selected_size())} not measured · press r to run it\n", style="dim")
        elif row.wasm_e2e_s and row.fallback_s:
            won = (row.speedup or 0) >= 1
            text.append("speedup ", style="bold")
            text.append(f"{_times(row.speedup)} vs fallback", style="green" if won else "yellow")
            if row.numpy_speedup is not None:
                text.append(f" · {_times(row.numpy_speedup)} vs NumPy")
            text.append("\n")
            lines = [
                ("Wasm e2e", row.wasm_e2e_s, row.wasm_bytes_per_cpu_s),
                ("└ call", row.wasm_op_s, None),
                ("└ marshal", row.marshal_s, None),
                ("fallback", row.fallback_s, row.fallback_bytes_per_cpu_s),
                ("NumPy", row.numpy_s, row.numpy_bytes_per_cpu_s),
            ]
            for label, summary, throughput in lines:
                if summary is None:
                    continue
                text.append(f"{label:<10}", style="bold")
                text.append(f"p50 {format_duration(summary.p50):>9} · p95 {format_duration(summary.p95):>9}")
                if throughput is not None:
                    text.append(f" · {_rate(throughput)}")
                text.append("\n")
            if row.marshal_share is not None:
                text.append(f"marshaling share {row.marshal_share:.0%} of Wasm e2e\n")
        be = "never (fallback wins)" if result.break_even_bytes is None else format_size(result.break_even_bytes)
        text.append(f"break-even {be}", style="bold")
        if result.call_overhead_s and result.public_call_overhead_s:
            text.append(f" · call overhead {format_duration(result.call_overhead_s.p50)} ({result.call_path})"
                        f", public API {format_duration(result.public_call_overhead_s.p50)}")
        text.append("\n")
        load = (f"cache hit, deserialize {format_duration(result.deserialize_s)}" if result.cache_hit
                else f"compiled in {format_duration(result.compile_s)}")
        text.append(f"{load} · instantiates {result.instantiates_total} · cache hits "
                    f"{result.cache_hits_total} · compiles {result.compiles_total}", style="dim")
        return text

    # ------------------------------------------------------------------ interactive run

    def action_run(self) -> None:
        """Measure the selected kernel at the selected size in a worker thread."""
        if self.selected is None or self.running is not None or getattr(self.app, "read_only", False):
            return  # a saved report (--open) is shown, never measured
        spec = self._spec(self.selected, self.selected_size())
        self.running = self.selected
        self._cancel = threading.Event()
        self.query_one("#kernels-progress", ProgressLine).set_progress(0, 1, f"{self.selected}: starting")
        self.run_worker(lambda: self._measure(spec, self._cancel), thread=True, exclusive=True,
                        group="kernels-run")

    def _spec(self, name: str, size: int) -> Any:
        from lightprof.profile.spec import KernelSpec

        result = self.results.get(name)
        if result is not None and not result.builtin and result.source:
            folder = Path(result.source).resolve().parent
            return KernelSpec(name=name, base_dir=folder.parent, path=folder.name, sizes=(size,),
                              runs=INTERACTIVE_RUNS)
        return KernelSpec(name=name, base_dir=Path.cwd(), sizes=(size,), runs=INTERACTIVE_RUNS)

    def _measure(self, spec: Any, cancel: threading.Event | None) -> None:
        from lightprof.measure.kernels import measure_kernel

        result = measure_kernel(spec, on_event=self._on_event_threaded, cancel=cancel)
        self.app.call_from_thread(self._finished, result)

    def _on_event_threaded(self, event: Event) -> None:
        if isinstance(event, Progress):
            self.app.call_from_thread(self._progress, event)

    def _progress(self, event: Progress) -> None:
        self.query_one("#kernels-progress", ProgressLine).set_progress(
            event.done, max(event.total, 1), f"{event.subject}: {event.message}")

    def _finished(self, result: KernelResult) -> None:
        previous = self.results.get(result.name)
        if previous is not None and not result.error:
            # Keep the other sizes measured before; the new run replaces its own size.
            sizes = {row.size_bytes: row for row in previous.sizes}
            sizes.update({row.size_bytes: row for row in result.sizes})
            result.sizes = [sizes[s] for s in sorted(sizes)]
        self.results[result.name] = result
        self.running = None
        self._cancel = None
        self.query_one("#kernels-progress", ProgressLine).set_idle(
            f"{result.name}: {'failed' if result.error else 'done'} · r: run again · s: next size")
        listing = self.query_one("#kernels-list", OptionList)
        if result.name in self.order:
            listing.replace_option_prompt(result.name, self._label(result.name))
        self._render_detail()

    def on_unmount(self) -> None:
        if self._cancel is not None:
            self._cancel.set()


def _builtin_names() -> list[str]:
    from lightprof.measure.kernels.manifest import builtin_names

    return builtin_names()
