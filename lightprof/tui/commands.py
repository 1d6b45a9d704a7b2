"""The command palette's entries (ctrl+p) and which actions change the session."""

from __future__ import annotations

# Actions a saved report (--open, read-only) does not offer.
MUTATING = {"run", "run_all", "stop", "options", "runs", "suggest", "headroom", "edit", "baseline", "write",
            "pick_base", "attribute"}

# (title, help, action as a Textual action string)
COMMANDS = (
    ("Run target", "Cold-start the selected target", "run"),
    ("Run all targets", "Cold-start every target in turn", "run_all"),
    ("Stop", "Stop the run and reap its processes", "stop"),
    ("Session settings", "Runs, warm-ups, ready mode, timeout, hold", "options"),
    ("Suggest budgets", "p95 and RSS plus headroom", "suggest"),
    ("Accept baseline", "Write the measurements as the baseline", "baseline"),
    ("Save profile", "Write the budgets to the profile file", "write"),
    ("Cold start pane", "Show cold starts", "tab('tab-coldstart')"),
    ("Memory pane", "Show memory", "tab('tab-memory')"),
    ("Budgets pane", "Show budgets", "tab('tab-budgets')"),
    ("Sizes pane", "Show artifacts and images", "tab('tab-sizes')"),
    ("Kernels pane", "Show Wasm kernels against their fallbacks", "tab('tab-kernels')"),
    ("Paths pane", "Show a target's critical paths, events and counters", "tab('tab-paths')"),
    ("A/B pane", "Show a target against its base target or revision", "tab('tab-ab')"),
    ("Pick the base target", "Compare the selected target against another (A/B)", "pick_base"),
    ("Attribution pane", "Show where a target's cold start goes: imports, hot functions", "tab('tab-attribution')"),
    ("Attribute target", "Import tree, hot functions and lazy candidates of the selected target", "attribute"),
    ("Attribute with the other cache", "Cold against warm bytecode and compile caches", "attribute(True)"),
)
