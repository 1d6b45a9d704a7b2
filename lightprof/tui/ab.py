"""A/B in the TUI (issue 11 item 3): choosing the target a target is compared against.

`against` is a session setting like runs and ready: it changes the controller's target spec,
the session judges again (`Controller.rejudge`), and `w` saves it with the budgets. No Textual.
"""

from __future__ import annotations

import dataclasses

from lightprof.tui.controller import Controller


def base_choices(ctl: Controller, name: str) -> list[str]:
    """The targets `name` can be compared against: any other target not itself compared with a
    third one (the profile's rule: compare each target with a plain one)."""
    if name in {spec.against for spec in ctl.specs.values()}:
        return []  # `name` is another target's base: it must stay plain
    return [other for other, spec in ctl.specs.items() if other != name and spec.against is None]


def set_against(ctl: Controller, name: str, against: str | None) -> str | None:
    """Compare target `name` against target `against` (None: against nothing) for this session;
    None when done, else the sentence saying why not."""
    spec = ctl.specs.get(name)
    if spec is None:
        return f"'{name}' is not a target: A/B compares two targets of the profile"
    if against is not None and against not in base_choices(ctl, name):
        if against not in ctl.specs:
            return f"'{against}' is not a target of this profile"
        if against == name:
            return f"'{name}' cannot be compared against itself"
        base_of = [other for other, s in ctl.specs.items() if s.against == name]
        if base_of:
            return f"'{name}' is the base of '{base_of[0]}': a base target stays plain"
        return (f"'{against}' is itself compared against '{ctl.specs[against].against}'; "
                "compare with a plain target")
    if spec.against == against:
        return None
    ctl.specs[name] = dataclasses.replace(spec, against=against)
    ctl.settings_changed.setdefault(name, {})["against"] = against
    # A comparison made against another reference no longer says anything about this pairing.
    target = ctl.measured(name)
    comparison = getattr(target, "comparison", None)
    if comparison is not None and comparison.mode == "against" and comparison.against != against:
        target.comparison = None
    ctl.rejudge()
    return None
