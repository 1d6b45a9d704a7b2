"""The kernels pane: Wasm against its fallback per kernel and payload size, re-run on demand.

Draws the controller's kernels (the profile's first, with their errors and verdicts) and offers a
payload size to pick; nothing here measures: the app runs `spec_to_run()` through the session.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lightprof.model.kernels import KernelResult, KernelSizeRow
from lightprof.tui.numbers import duration as format_duration
from lightprof.tui.numbers import size as format_size
from lightprof.tui.verdicts import mark, worst_verdict
from lightprof.tui.widgets.charts import Histogram
from lightprof.tui.widgets.lazy import PaneMounted
from lightprof.tui.widgets.progress import ProgressLine

INTERACTIVE_SIZES = (64, 4096, 65536, 1 << 20)
INTERACTIVE_RUNS = 30


def _rate(bytes_per_s: float | None) -> str:
    return "—" if bytes_per_s is None else f"{format_size(bytes_per_s, si=True)}/cpu-s"


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


class KernelsPane(Vertical):
    """Kernel list on the left; figures and latency distributions of the chosen size on the right.

    It draws what `show` gives it (the controller's state); `r` (the app's key) measures
    `spec_to_run()` through the session, which judges it as `--headless` does.
    """

    DEFAULT_CSS = """
    KernelsPane { padding: 0 1; }
    KernelsPane #kernels-body { height: 1fr; }
    KernelsPane #kernels-list { width: 18; height: 1fr; }
    KernelsPane #kernels-detail { width: 1fr; padding: 0 0 0 1; scrollbar-size-vertical: 1; }
    KernelsPane #kernels-sizes { height: 1; }
    KernelsPane #kernels-figures { height: auto; }
    KernelsPane .heading { color: $text-muted; text-style: bold; height: 1; }
    KernelsPane Histogram { height: 7; }
    KernelsPane #kernels-progress { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: dict[str, KernelResult] = {}
        self.specs: dict[str, Any] = {}
        self.rows: list[Any] = []
        self.order: list[str] = []
        self.selected: str | None = None
        self.size_index = 0
        self.running: str | None = None
        self.read_only = True
        self._last_shown: Any = None
        self._app_selected: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="kernels-body"):
            yield OptionList(id="kernels-list")
            with VerticalScroll(id="kernels-detail"):
                yield ProgressLine(id="kernels-progress")
                yield Static(id="kernels-sizes")
                yield Static(id="kernels-figures")
                yield Static("latency: Wasm e2e vs fallback, one log axis", classes="heading")
                yield Histogram(format_duration, id="kernels-hist")

    def on_mount(self) -> None:
        self.post_message(PaneMounted())

    def on_resize(self) -> None:
        """The figures' columns depend on the detail's width: draw them again once it settled."""
        self.call_after_refresh(self._render_detail)

    # ------------------------------------------------------------------ data in

    def show(self, ctl: Any, selected: str | None = None) -> None:
        """Draw the controller's kernels: the profile's (measured or not, errors shown), those
        measured in this session or report, and the built-ins to try; follow `selected` when it
        names a kernel."""
        result = ctl.result
        kernels = list(result.kernels) if result is not None else []
        specs = {} if ctl.profile is None or ctl.read_only else {k.name: k for k in ctl.session_profile().kernels}
        running = next((name for name in ctl.running if name in specs or name in self.results), None)
        progress = getattr(ctl, "progress", None)
        marker = ([id(k) for k in kernels], id(ctl.rows), running, progress)
        self.read_only = ctl.read_only
        if marker != self._last_shown:
            self._last_shown = marker
            self.specs = specs
            self.results = {k.name: k for k in kernels}
            self.rows = [r for r in ctl.rows if getattr(r, "kind", "") == "kernel"]
            self.running = running
            names = list(specs) + [k.name for k in kernels if k.name not in specs]
            if not self.read_only:
                names += [n for n in _builtin_names() if n not in names]
            self._set_names(names)
            self._progress(progress)
        if selected != self._app_selected:
            self._app_selected = selected
            if selected in self.order and selected != self.selected:
                self.query_one("#kernels-list", OptionList).highlighted = self.order.index(selected)

    def _set_names(self, names: list[str]) -> None:
        listing = self.query_one("#kernels-list", OptionList)
        if names != self.order:
            self.order = names
            listing.clear_options()
            listing.add_options([Option(self._label(name), id=name) for name in names])
        else:
            for name in names:
                listing.replace_option_prompt(name, self._label(name))
        if names:
            if self.selected not in names:
                self.selected = names[0]
                self._reset_size()
            listing.highlighted = names.index(self.selected)
        self._render_detail()

    def _progress(self, progress: Any) -> None:
        line = self.query_one("#kernels-progress", ProgressLine)
        if self.running is not None and progress is not None and progress.subject == self.running:
            line.set_progress(progress.done, max(progress.total, 1), f"{progress.subject}: {progress.message}")
        elif self.running is not None:
            line.set_progress(0, 1, f"{self.running}: starting")
        elif self.read_only:
            line.set_idle("kernels from a saved report (read-only)")
        else:
            line.set_idle("r: run the selected kernel · s: next size")

    def focus_detail(self) -> None:
        """Enter on the app's subject list: move into the kernel list (escape comes back)."""
        self.query_one("#kernels-list", OptionList).focus()

    def _label(self, name: str) -> Text:
        result = self.results.get(name)
        verdicts = [r.verdict for r in self.rows if r.subject == name and r.verdict is not None]
        if name == self.running:
            state = "running"
        elif verdicts:
            state = worst_verdict(verdicts)
        elif result is None:
            state = "idle"
        else:
            state = "unmeasured" if result.error else "measured"
        symbol, style = mark(state)
        return Text.assemble((f"{symbol} ", style), name)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self.selected:
            self.selected = event.option.id
            self._reset_size()
            self._render_detail()

    # ------------------------------------------------------------------ sizes

    def sizes(self) -> list[int]:
        """The sizes to choose from: the profile's, those measured and the interactive set."""
        result = self.results.get(self.selected or "")
        spec = self.specs.get(self.selected or "")
        known = set(spec.sizes if spec is not None else ())
        known |= {row.size_bytes for row in (result.sizes if result else [])}
        return sorted(known | set(INTERACTIVE_SIZES))

    def _reset_size(self) -> None:
        """Start at the first size the kernel was measured at (else the first size offered)."""
        result = self.results.get(self.selected or "")
        sizes = self.sizes()
        spec = self.specs.get(self.selected or "")
        first = result.sizes[0].size_bytes if result and result.sizes else (spec.sizes[0] if spec else None)
        self.size_index = sizes.index(first) if first in sizes else 0

    def selected_size(self) -> int:
        sizes = self.sizes()
        return sizes[self.size_index % len(sizes)]

    def step_size(self, step: int) -> None:
        """s / S: the next or previous payload size."""
        self.size_index = (self.size_index + step) % len(self.sizes())
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
        series = {"Wasm": row.wasm_e2e_samples_s, "fallback": row.fallback_samples_s} if row else {}
        self.query_one("#kernels-hist", Histogram).set_series(series, log=True)

    def _figures_text(self) -> RenderableType:
        if self.selected is None:
            return Text("no kernels", style="dim")
        result = self.results.get(self.selected)
        if result is None:
            return Text(f"{self.selected} at {format_size(self.selected_size())}: not measured yet · "
                        "press r to run it", style="dim")
        parts: list[RenderableType] = []
        head = Text()
        if result.summary:
            head.append(f"{result.summary}\n", style="dim")
        if result.error:
            head.append(f"? {result.failure or 'failed'}: {result.error}", style=mark("unmeasured")[1])
            return head
        if result.mismatch:
            head.append(f"≠ {result.mismatch}\n", style="red")
        row = self._row()
        if row is None:
            head.append(f"{format_size(self.selected_size())} not measured · press r to run it", style="dim")
            parts.append(head)
        elif row.wasm_e2e_s and row.fallback_s:
            won = (row.speedup or 0) >= 1
            head.append("speedup ", style="bold")
            head.append(f"{_times(row.speedup)} vs fallback", style="green" if won else "yellow")
            if row.numpy_speedup is not None:
                head.append(f" · {_times(row.numpy_speedup)} vs NumPy")
            parts += [head, self._latency_grid(row)]
            if row.marshal_share is not None:
                parts.append(Text(f"marshaling share {row.marshal_share:.0%} of Wasm e2e"))
        tail = Text()
        be = "never (fallback wins)" if result.break_even_bytes is None else format_size(result.break_even_bytes)
        tail.append(f"break-even {be}", style="bold")
        if result.call_overhead_s and result.public_call_overhead_s:
            # Each figure with its unit is one unbreakable piece, so no line ends inside a number.
            tail.append("\ncall overhead ")
            tail.append(format_duration(result.call_overhead_s.p50).replace(" ", "\u00a0"))
            tail.append(f" ({result.call_path}) · public API ")
            tail.append(format_duration(result.public_call_overhead_s.p50).replace(" ", "\u00a0"))
        load = (f"cache hit, deserialize {format_duration(result.deserialize_s)}" if result.cache_hit
                else f"compiled in {format_duration(result.compile_s)}")
        tail.append(f"\n{load.replace(' µs', chr(0xa0) + 'µs').replace(' ms', chr(0xa0) + 'ms')}", style="dim")
        tail.append(f"\ninstantiates {result.instantiates_total} · cache hits {result.cache_hits_total} · "
                    f"compiles {result.compiles_total}", style="dim")
        for budget in (r for r in self.rows if r.subject == self.selected):
            symbol, style = mark(budget.verdict or "idle")
            tail.append(f"\n{symbol} {budget.metric} {budget.verdict or 'not measured'}", style=style)
            if budget.note:
                tail.append(f" · {budget.note}", style="dim")
        parts.append(tail)
        return Group(*parts)

    def _latency_grid(self, row: KernelSizeRow) -> Table:
        """p50, p95 (and throughput where it fits) per side, right-aligned, never wrapped."""
        wide = self.query_one("#kernels-detail").size.width >= 62  # drawn again on a resize
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        for _ in range(2):
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(justify="right", no_wrap=True)
        if wide:
            grid.add_column(justify="right", no_wrap=True)
        for label, summary, throughput in (
            ("Wasm e2e", row.wasm_e2e_s, row.wasm_bytes_per_cpu_s),
            ("└ call", row.wasm_op_s, None),
            ("└ marshal", row.marshal_s, None),
            ("fallback", row.fallback_s, row.fallback_bytes_per_cpu_s),
            ("NumPy", row.numpy_s, row.numpy_bytes_per_cpu_s),
        ):
            if summary is None:
                continue
            cells = [label, "p50", format_duration(summary.p50), "p95", format_duration(summary.p95)]
            if wide:
                cells.append(_rate(throughput) if throughput is not None else "")
            grid.add_row(*cells)
        return grid

    # ------------------------------------------------------------------ what r measures

    def spec_to_run(self) -> Any:
        """The kernel spec `r` measures: the profile's (its sizes, plus the size chosen here),
        else a built-in at the chosen size. None when nothing can be run (a saved report)."""
        from lightprof.profile.spec import KernelSpec

        if self.selected is None or self.read_only:
            return None
        size = self.selected_size()
        spec = self.specs.get(self.selected)
        if spec is not None:
            return dataclasses.replace(spec, sizes=tuple(sorted({*spec.sizes, size})))
        result = self.results.get(self.selected)
        if result is not None and not result.builtin and result.source:
            folder = Path(result.source).resolve().parent
            return KernelSpec(name=self.selected, base_dir=folder.parent, path=folder.name, sizes=(size,),
                              runs=INTERACTIVE_RUNS)
        return KernelSpec(name=self.selected, base_dir=Path.cwd(), sizes=(size,), runs=INTERACTIVE_RUNS)


def _builtin_names() -> list[str]:
    from lightprof.measure.kernels.manifest import builtin_names

    return builtin_names()
