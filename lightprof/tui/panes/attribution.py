"""The attribution pane: where a target's cold start goes (issue 15 item 7).

Its import time per cache (cold against warm when both were attributed), the import tree sorted by
cost (a Tree: enter moves into it, enter/space expand and collapse, escape comes back), the modules
a warm cache helps most, the hot functions and the lazy-load candidates.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from lightprof.model.attribution import Attribution, ImportRow
from lightprof.tui.controller import Controller
from lightprof.tui.panes.attribution_text import (
    ImportNode,
    cache_changes,
    functions_lines,
    import_tree,
    lazy_lines,
    node_label,
    summary_lines,
)
from lightprof.tui.panes.target_pane import TargetPane, lines_text
from lightprof.tui.widgets.histogram_lines import Line

OPEN_LEVELS = 1  # the top level's children are shown at first; deeper levels open on enter


def attributions_of(ctl: Controller, name: str) -> dict[str, Attribution]:
    """The target's attributions by cache: those run in this session, else the report's one."""
    found = {cache: a for (target, cache), a in ctl.attributions.items() if target == name}
    if not found:
        measured = ctl.measured(name)
        attribution = getattr(measured, "attribution", None)
        if attribution is not None:
            found[attribution.cache] = attribution
    return found


class AttributionPane(TargetPane):
    """Shows one target's attribution."""

    DEFAULT_CSS = """
    AttributionPane { padding: 0 1; scrollbar-size-vertical: 1; }
    AttributionPane #attr-summary, AttributionPane #attr-rest { height: auto; width: 1fr; }
    AttributionPane #attr-tree { height: auto; max-height: 24; width: 1fr; background: $surface;
        scrollbar-size-vertical: 1; }
    AttributionPane #attr-tree.empty { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tree_for: tuple[int, int] | None = None  # (id of the attribution shown, width)

    def compose(self) -> ComposeResult:
        yield Static(id="attr-summary")
        tree: Tree[ImportRow] = Tree("imports", id="attr-tree", classes="empty")
        tree.show_root = False
        tree.guide_depth = 2
        yield tree
        yield Static(id="attr-rest")

    def focus_detail(self) -> None:
        """Enter on the subject list: move into the import tree (escape comes back)."""
        tree = self.query_one("#attr-tree", Tree)
        if not tree.has_class("empty"):
            tree.focus()
            if tree.cursor_line < 0:  # a cursor on the first row shows where the keys will act
                tree.cursor_line = 0

    def _draw_target(self, ctl: Controller, name: str | None) -> None:
        width = max(30, self.size.width - 3)
        if name is None or ctl.kinds.get(name) != "target":
            self._draw(("none", width), [("attribution is a target's: choose a target", "dim")], [], None)
            return
        found = attributions_of(ctl, name)
        running = name in ctl.running and ctl.attributing is not None
        summary = summary_lines(name, found, width, read_only=ctl.read_only)
        shown = found.get("cold") or found.get("warm")
        if shown is not None and shown.imports:
            heading = f"imports ({shown.cache} cache), costliest first"
            if width >= 90:
                heading += " · enter: into the tree"
            summary.append((f"{heading[:width - 18]:<{width - 18}}{'cumul.':>9}{'self':>9}", "bold"))
        if running:
            summary.append((f"attributing {name} ({ctl.attributing} cache)…", "cyan"))
        rest: list[Line] = []
        changes = cache_changes(found)
        if changes:
            rest += [("", "")] + changes
        if shown is not None:
            for part in (functions_lines(shown, width), lazy_lines(shown, width)):
                if part:
                    rest += [("", "")] + part
        key = (name, width, tuple(summary), tuple(rest), id(shown))
        self._draw(key, summary, rest, shown)

    def _draw(self, key: object, summary: list[Line], rest: list[Line], shown: Attribution | None) -> None:
        if key == self._drawn:
            return
        self._drawn = key
        self.query_one("#attr-summary", Static).update(lines_text(summary))
        self.query_one("#attr-rest", Static).update(lines_text(rest))
        tree = self.query_one("#attr-tree", Tree)
        width = max(30, self.size.width - 3)
        tree_key = (id(shown), width)
        previous, self._tree_for = self._tree_for, tree_key
        if tree_key == previous:
            return
        if shown is not None and previous is not None and previous[0] != id(shown):
            # New figures are read from their summary down: a pane left scrolled into the last
            # tree would hide the summary lines of the new one.
            self.scroll_home(animate=False)
        tree.clear()
        roots = import_tree(shown.imports) if shown is not None else []
        tree.set_class(not roots, "empty")
        tree.root.expand()
        for node in roots:
            self._add(tree.root, node, width, 0)

    def _add(self, parent: TreeNode[ImportRow], node: ImportNode, width: int, level: int) -> None:
        # The tree indents each level by its guide (2 cells) and a branch by its ▶/▼ icon (2 more).
        label = node_label(node.row, width - 2 * level - (2 if node.children else 0))
        if node.children:
            branch = parent.add(label, data=node.row, expand=level < OPEN_LEVELS)
            for child in node.children:
                self._add(branch, child, width, level + 1)
        else:
            parent.add_leaf(label, data=node.row)
