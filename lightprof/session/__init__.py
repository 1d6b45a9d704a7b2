"""The one orchestrator: the CLI and the TUI both measure and judge a profile through it.

`orchestrate` measures every subject a profile names and judges the Result; `targets` decides how
each target is measured (alone, beside a calibration, against another target or its --base);
`basetree` checks out and builds the --base revision.
"""

from lightprof.session.orchestrate import attribute_target, judge, measure_profile, new_result

__all__ = ["attribute_target", "judge", "measure_profile", "new_result"]
