"""Command line: parse, dispatch, map errors to exit codes. Nothing heavy is imported here.

    lightprof                          TUI on the profile found, else the embedded default
    lightprof -p PROFILE               TUI on that profile
    lightprof -- CMD [ARG...]          TUI on an ad-hoc target
    lightprof --open REPORT.json       TUI on a saved report
    lightprof --headless [-p PROFILE] [--update-baseline | --base REV] [--json PATH|-] [--markdown PATH|-]
                         [--junit PATH] [--attribute]
    lightprof --version

`lightprof --version` is answered before argparse (and the enum, re and gettext behind it) is
imported: profiles/lightprof.toml budgets it against `python -c pass`.
"""

from __future__ import annotations

import os
import sys

from lightprof import __version__

# Not `from typing import TYPE_CHECKING`: typing (and the re behind it) would cost --version ~4 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, NoReturn

    from lightprof.model.result import Result
    from lightprof.profile.baseline import Baseline
    from lightprof.profile.spec import Profile

EXIT_INVALID = 2  # lightprof.errors.EXIT_INVALID, without importing it for --version
VERSION_TEXT = f"lightprof {__version__}\n"

DESCRIPTION = """\
Profile lightweight execution: cold start (p50/p95 over repeated launches), whole-tree memory,
artifact and image sizes, Wasm kernels against their fallbacks; enforce budgets in CI.

Without --headless, opens the terminal UI. Profile discovery: -p PROFILE, else ./lightprof.toml,
else [tool.lightprof] in ./pyproject.toml, else the embedded default profile.
"""

EPILOG = """\
exit codes:
  0  every budget holds (an inconclusive check warns, unless inconclusive = "fail")
  1  a budget or a regression check fails
  2  invalid invocation, profile or baseline (nothing was measured)
  3  something could not be measured: a target did not start, crashed, never became ready or
     timed out, or a budget has no figure (the report says what to add)
  130 interrupted (Ctrl-C or SIGTERM); every target process is stopped first

examples:
  lightprof --headless                         gate on ./lightprof.toml (or the embedded default)
  lightprof --headless --update-baseline       measure and record NAME.baseline.toml (with samples)
  lightprof --headless --base origin/main      compare with a revision: both built, runs interleaved
  lightprof --headless --json report.json --junit junit.xml --markdown summary.md
  lightprof --headless --attribute --json report.json   imports, hot functions, lazy-load candidates
  lightprof -- node server.js                  explore a command in the TUI
"""


def _terminal_columns() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def build_parser() -> argparse.ArgumentParser:
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:  # one sentence and exit 2, as for a bad profile
            self.exit(EXIT_INVALID, f"lightprof: {message} (see lightprof --help)\n")

    class Formatter(argparse.RawDescriptionHelpFormatter):
        """argparse sizes help with shutil.get_terminal_size, and importing shutil (bz2, lzma,
        fnmatch behind it) costs every run a few ms; the same rule, here."""

        def __init__(self, prog: str) -> None:
            super().__init__(prog, width=_terminal_columns() - 2)

    parser = Parser(
        prog="lightprof",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=Formatter,
        allow_abbrev=False,
    )
    parser.add_argument("-p", "--profile", metavar="PROFILE", help="profile file (lightprof.toml or a pyproject.toml)")
    parser.add_argument("--headless", action="store_true", help="measure and judge without the UI (for CI)")
    parser.add_argument(
        "--update-baseline", action="store_true",
        help="write NAME.baseline.toml beside the profile from this run: every budgeted figure with its sample "
             "and a calibration run beside each, so later runs tell a slower program from a slower machine",
    )
    parser.add_argument(
        "--base", metavar="REV",
        help="compare with git revision REV instead of a stored baseline: REV is checked out in a temporary "
             "worktree, the profile's [build] command runs in both trees, base and head runs alternate in "
             "random order, and regressions are judged on the head/base ratio (sizes on the difference)",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write the full JSON report (every sample) to PATH, or - for stdout"
    )
    parser.add_argument("--markdown", metavar="PATH", help="write a Markdown report to PATH, or - for stdout")
    parser.add_argument("--junit", metavar="PATH", help="write JUnit XML (one testcase per budget) to PATH")
    parser.add_argument(
        "--attribute", action="store_true",
        help="also attribute each Python or Node target's cold start: its imports (-X importtime, median of a "
             "few starts), hot functions (py-spy; node --cpu-prof) and lazy-load candidates; profiles are kept "
             "in lightprof-attribution/ beside the report",
    )
    parser.add_argument("--open", metavar="REPORT", help="browse a saved --json report in the UI (nothing is measured)")
    parser.add_argument("--version", action="version", version=VERSION_TEXT.strip())
    return parser


def _split_command(argv: list[str]) -> tuple[list[str], list[str] | None]:
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1 :]
    return argv, None


def _interrupt_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so every `finally` that reaps a target runs."""
    import signal

    def handler(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, handler)


def _emit(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from lightprof.atomicio import atomic_write_bytes
    from lightprof.errors import LightprofError

    try:
        # A path that is not UTF-8 reaches a report as surrogates: written escaped, not refused.
        atomic_write_bytes(path, text.encode("utf-8", "backslashreplace"))
    except OSError as exc:
        raise LightprofError(f"cannot write report {_shown(path)}: {exc.strerror or exc}") from None


def _shown(path: str) -> str:
    """A path as a message shows it: unprintable characters (a newline, bytes not UTF-8) escaped."""
    return path if path.isprintable() else repr(path)[1:-1]


REPORT_OPTIONS = ("json", "markdown", "junit")


def _check_output_paths(args: argparse.Namespace) -> None:
    """Refuse report paths that could not be written, before measuring anything (exit 2)."""
    from lightprof.atomicio import check_writable, remove_stale_temporaries
    from lightprof.errors import LightprofError

    if args.junit == "-":
        raise LightprofError("--junit needs a file path, not -")
    to_stdout = [f"--{option} -" for option in REPORT_OPTIONS if getattr(args, option) == "-"]
    if len(to_stdout) > 1:
        raise LightprofError(f"{' and '.join(to_stdout)} would both write to stdout; give one of them a file path")
    seen: dict[str, str] = {}
    for option in REPORT_OPTIONS:
        path = getattr(args, option)
        if path is None or path == "-":
            continue
        if not path:
            raise LightprofError(f"--{option} needs a file path, got an empty one")
        where = f"--{option} {_shown(path)}"
        folder = os.path.dirname(os.path.abspath(path)) or "."
        if not os.path.isdir(folder):
            raise LightprofError(f"{where}: folder {_shown(folder)} does not exist")
        real = os.path.realpath(path)
        if real in seen:
            raise LightprofError(f"{where}: {seen[real]} writes to the same file; give each report its own path")
        seen[real] = f"--{option}"
        try:
            check_writable(path)
        except OSError as exc:
            raise LightprofError(f"{where}: cannot be written ({exc.strerror or exc})") from None
        remove_stale_temporaries(real)


def _check_outputs_spare_inputs(args: argparse.Namespace, profile: Profile) -> None:
    """A report path must not be the profile or its baseline: writing it would replace them."""
    from lightprof.errors import LightprofError

    inputs = {"the profile": profile.path, "the baseline": profile.baseline_path()}
    for option in REPORT_OPTIONS:
        path = getattr(args, option)
        if path is None or path == "-":
            continue
        for what, input_path in inputs.items():
            if input_path is not None and os.path.realpath(path) == os.path.realpath(input_path):
                raise LightprofError(f"--{option} {_shown(path)}: is {what} itself; a report would overwrite it")


def _check_baseline_writable(profile: Profile) -> None:
    """--update-baseline into a folder that cannot take it: said before measuring, not after."""
    from lightprof.atomicio import check_writable, remove_stale_temporaries
    from lightprof.errors import LightprofError

    path = profile.baseline_path()
    try:
        check_writable(path)
    except OSError as exc:
        raise LightprofError(
            f"--update-baseline: cannot write the baseline {_shown(str(path))}: "
            f"its folder is not writable ({exc.strerror or exc})"
        ) from None
    remove_stale_temporaries(path)


def run_headless(args: argparse.Namespace, command: list[str] | None) -> int:
    from lightprof.errors import LightprofError
    from lightprof.profile.baseline import load_baseline, write_baseline
    from lightprof.profile.load import adhoc_profile, discover_profile
    from lightprof.report.table import render_table

    _check_output_paths(args)
    if args.base is not None and args.update_baseline:
        raise LightprofError("--base compares with a revision and needs no stored baseline; "
                             "use either --base or --update-baseline")
    profile = adhoc_profile(command) if command is not None else discover_profile(args.profile)
    _check_outputs_spare_inputs(args, profile)
    if args.update_baseline:
        _check_baseline_writable(profile)
    baseline = None if args.update_baseline or args.base is not None else load_baseline(profile)
    to_stdout = "-" in (args.json, args.markdown)
    table_stream = sys.stderr if to_stdout else sys.stdout

    on_event = None
    if sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("1", "true"):
        from lightprof.report.progress import ProgressLine

        on_event = ProgressLine(sys.stderr)
    kwargs = {"on_event": on_event} if on_event else {}
    try:
        result = _measure(args, profile, baseline, kwargs)
    finally:
        if on_event is not None:
            on_event.clear()

    colour = table_stream.isatty() and "NO_COLOR" not in os.environ
    table_stream.write(render_table(result, colour=colour))
    table_stream.flush()
    if args.update_baseline:
        if result.exit_code == 3:
            sys.stderr.write("lightprof: baseline not written: some subjects could not be measured\n")
        else:
            path = write_baseline(profile, result)
            sys.stderr.write(f"lightprof: baseline written to {path}\n")
    if args.json:
        _emit(args.json, result.to_json())
    if args.markdown:
        from lightprof.report.markdown import render_markdown

        _emit(args.markdown, render_markdown(result))
    if args.junit:
        from lightprof.report.junit import render_junit

        _emit(args.junit, render_junit(result))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from lightprof.report.github import annotation_commands, write_step_summary

        sys.stdout.write(annotation_commands(result))
        write_step_summary(result)
    return result.exit_code


def _need_terminal() -> None:
    """The UI draws on a terminal and reads keys from it: without one it could only hang."""
    from lightprof.errors import LightprofError

    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise LightprofError("the interactive UI needs a terminal; use --headless in scripts and CI")


def _measure(args: argparse.Namespace, profile: Profile, baseline: Baseline | None, kwargs: dict[str, Any]) -> Result:
    """The session, with --base inside a worktree that is removed whatever happens."""
    from lightprof.session import measure_profile

    if args.attribute:  # its profile files go beside the JSON (else Markdown) report, else here
        folder = next((os.path.dirname(os.path.abspath(p)) for p in (args.json, args.markdown) if p and p != "-"), ".")
        kwargs = {**kwargs, "attribute": True, "attribution_dir": folder}
    if args.base is None:
        return measure_profile(profile, baseline=baseline, calibrate=args.update_baseline, **kwargs)
    from lightprof.session.basetree import base_worktree, run_build

    with base_worktree(profile, args.base) as tree:
        if profile.build is not None:
            run_build(profile.build, tree.path(profile.base_dir), f"base {tree.label}")
            run_build(profile.build, profile.base_dir, "working")
        return measure_profile(profile, base=tree, **kwargs)


def run_ui(args: argparse.Namespace, command: list[str] | None) -> int:
    from lightprof.errors import LightprofError
    from lightprof.profile.load import adhoc_profile, discover_profile

    if (args.update_baseline or args.base is not None or args.attribute
            or any(getattr(args, o) is not None for o in REPORT_OPTIONS)):
        raise LightprofError("--update-baseline, --base, --attribute, --json, --markdown and --junit need --headless")
    if args.open is not None:
        if command is not None or args.profile is not None:
            raise LightprofError("--open shows a saved report; it cannot be combined with -p or a command")
        from lightprof.model.report_file import load_report

        report = load_report(args.open)
        _need_terminal()
        from lightprof.tui.app import run_tui

        return run_tui(report=report)
    profile = adhoc_profile(command) if command is not None else discover_profile(args.profile)
    _need_terminal()
    from lightprof.tui.app import run_tui

    return run_tui(profile=profile)


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw == ["--version"]:
        sys.stdout.write(VERSION_TEXT)
        return 0
    import contextlib

    from lightprof.errors import EXIT_INTERRUPTED, LightprofError

    for stream in (sys.stdout, sys.stderr):
        # A file name that is not UTF-8 reaches the table as surrogates: shown escaped, never an
        # UnicodeEncodeError after the measuring.
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    own, command = _split_command(raw)
    args = build_parser().parse_args(own)
    for option, flag in (("profile", "-p"), ("open", "--open")):
        if getattr(args, option) == "":
            sys.stderr.write(f"lightprof: {flag} needs a file path, got an empty one\n")
            return EXIT_INVALID
    if command is not None and args.profile is not None:
        sys.stderr.write("lightprof: give either -p PROFILE or a command after --, not both\n")
        return EXIT_INVALID
    _interrupt_on_sigterm()
    try:
        if args.headless:
            if args.open is not None:
                raise LightprofError("--open shows a saved report in the UI; it cannot be combined with --headless")
            return run_headless(args, command)
        return run_ui(args, command)
    except LightprofError as exc:
        sys.stderr.write(f"lightprof: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\nlightprof: interrupted; every target process was stopped\n")
        return EXIT_INTERRUPTED
    finally:
        _sweep_on_exit()


def entry() -> NoReturn:
    """The `lightprof` command: main(), then exit without tearing the interpreter down.

    Freeing every module and the objects a large walk built takes 10-20 ms that nobody waits
    for in a CLI; once the output is flushed and every child is gone (main's finally), there is
    nothing left to do. After the TUI the normal exit runs, so Textual's threads end their way.
    """
    code = main()
    if "textual" in sys.modules:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (| head) or a closed stream: nothing left to save.
        try:  # noqa: SIM105 - contextlib would cost --version an import
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _sweep_on_exit() -> None:
    """Last line of defence: no process a target started may outlive lightprof."""
    if "lightprof.measure.target.reap" in sys.modules:
        sys.modules["lightprof.measure.target.reap"].sweep_descendants(since=None)
