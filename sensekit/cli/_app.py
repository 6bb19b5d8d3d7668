"""Shared pieces of the command-line tool: consoles, the error boundary, logging."""

from __future__ import annotations

import errno
import functools
import inspect
import logging
import math
import shutil
import signal
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from ..errors import SensekitError

__all__ = ["new_app", "out", "err", "fail", "live_display", "state", "stop_on_signals", "KIND_OPTION", "checked_numbers",
           "LSL_OPTION", "JSONL_OPTION", "DURATION_OPTION"]

#: Results go to stdout; progress, live displays, warnings and errors to stderr.
out = Console(markup=False, soft_wrap=True)  # text is text: a file named "x[/red].h5" once crashed a print;
# a line is one line in a log (the terminal wraps it where it must)
err = Console(stderr=True, markup=False, soft_wrap=True)

state = {"debug": False}


def live_display(renderable, *, refresh_per_second: float = 8, keep: bool = False) -> Live:
    """A live display on stderr.

    On a terminal it is redrawn in place and, with ``keep``, its last frame stays. Where stderr is
    a log or a pipe nothing of it is written (rich would write one last frame without a newline,
    which ran into the command's next line): the command's own closing line says what happened.
    """
    return Live(renderable, console=err, refresh_per_second=refresh_per_second,
                transient=not (keep and err.is_terminal))

#: Options every command that publishes results spells the same way.
LSL_OPTION = typer.Option(None, "--lsl", help="Publish on an LSL outlet of this name.")
JSONL_OPTION = typer.Option(False, "--jsonl", help="Print results as JSON lines on stdout.")
LATENCY_OPTION = typer.Option(False, "--latency", help="At the end, print where the time went: each stage, publishing, "
                              "and from a device's capture to the published result (p50, p99).")
DURATION_OPTION = typer.Option(None, "--duration", "-d", min=0, help="Seconds to run; default until Ctrl-C (or the "
                               "end of a recording).")

#: ``--kind``: what a file that does not say what it holds (CSV, WAV, EDF) carries.
#: ``--json`` of the commands that score on labelled data (gesture score, emg score).
JSON_FIGURES_OPTION = typer.Option(False, "--json", help="Print the figures as one JSON object instead of tables.")
KIND_OPTION = typer.Option(None, "--kind", help="The source's stream kind (e.g. emg) where the file does not say "
                           "(CSV, WAV); a file of unknown kind matches any calibration of the same shape and rate.")


class OutputInterrupted(SensekitError):
    """A command that writes a file was stopped before the end; nothing was written (exit 130)."""

    exit_code = 130


def fail(message: str, code: int = 2) -> None:
    """Print one error line on stderr and exit with ``code``."""
    err.print(Text.assemble(("error:", "bold red"), f" {message}"), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class SensekitGroup(TyperGroup):
    """Turns sensekit's errors into one line on stderr and a non-zero exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SensekitError as e:
            if state["debug"]:
                raise
            fail(e.command_line_message, getattr(e, "exit_code", 2))
        except KeyboardInterrupt:
            if state["debug"]:
                raise
            err.print("interrupted")
            raise typer.Exit(130) from None
        except MemoryError as e:  # an input larger than it says, or than this machine holds
            if state["debug"]:
                raise
            fail(f"not enough memory{f': {e}' if str(e) else ''}; fix: a smaller input (or a part of it), or a "
                 "machine with more memory", 1)
        except OSError as e:  # the file system refused a path the user gave (too long, no space, read-only, ...)
            if state["debug"] or e.filename is None or e.errno not in FILE_SYSTEM_FIXES:
                raise
            fail(f"{e.strerror or e}: {_short_path(e.filename)}; fix: {FILE_SYSTEM_FIXES[e.errno]}")


#: What to do about a file-system error on a path a user gave, by ``errno``.
FILE_SYSTEM_FIXES = {
    errno.ENAMETOOLONG: "use shorter names (at most 255 bytes a file or folder name)",
    errno.ENOSPC: "free space on that disk, or write somewhere else",
    errno.EDQUOT: "free space within your quota, or write somewhere else",
    errno.EACCES: "choose a place you may read or write, or change its permissions",
    errno.EPERM: "choose a place you may read or write, or change its permissions",
    errno.EROFS: "write somewhere else: that file system is read-only",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EEXIST: "a part of the path is a file, not a folder, or the file is there already: check the path",
    errno.EISDIR: "that path is a folder: name a file",
    errno.ELOOP: "the path has a loop of symbolic links: check the path",
}


def _short_path(name) -> str:
    """A path for an error line: as given, or its ends around its length when it is very long."""
    text = str(name)
    return repr(text) if len(text) <= 120 else f"{text[:60]!r}...{text[-40:]!r} ({len(text)} characters)"


def check_output(output: Path, overwrite: bool) -> None:
    """An output file named by the user, checked before any work: not a folder (a calibration
    session had run before its '-o FOLDER --overwrite' was refused), and not there already
    unless ``overwrite``."""
    if output.is_dir():
        fail(f"{str(output)!r} is a folder; fix: name a file (in it, or elsewhere)")
    if output.exists() and not overwrite:
        fail(f"{str(output)!r} already exists; choose another name or pass --overwrite")


def check_plot(plot: Path | None) -> None:
    """A ``--plot`` path, checked before any work: a ``.png`` file name, not a folder; its folder
    is made if it is missing (as for every output). A missing folder had been a traceback after
    the work, and a folder given as the path had been written as ``FOLDER.png`` beside it."""
    if plot is None:
        return
    if plot.suffix.lower() != ".png":
        fail(f"--plot writes a PNG image: name it *.png, not {plot.name!r}")
    if plot.is_dir():
        fail(f"--plot {_short_path(plot)} is a folder; fix: name a .png file in it")
    plot.parent.mkdir(parents=True, exist_ok=True)  # (a file in the way: one line, FILE_SYSTEM_FIXES)


def checked_numbers(option: str, values, *, low: float | None = None, high: float | None = None,
                    low_open: bool = False, counts: tuple[int, ...] | None = None, hint: str | None = None) -> list[float]:
    """``values`` of a repeatable number option, checked before any work: finite, within
    ``[low, high]`` (``(low, high]`` with ``low_open``) and, with ``counts``, given one of those
    many times. A bad one is a one-line error naming the option."""
    values = list(values or [])
    if counts is not None and len(values) not in counts:
        want = " or ".join(str(c) for c in sorted(set(counts)))
        fail(f"{option} given {len(values)} times; " + (hint or f"give it {want} time(s)"))
    for v in values:
        if not math.isfinite(v):
            fail(f"{option} {v} is not a finite number")
        if low is not None and (v < low or (low_open and v == low)):
            fail(f"{option} {v:g} is out of range: {'>' if low_open else '>='} {low:g} needed")
        if high is not None and v > high:
            fail(f"{option} {v:g} is out of range: <= {high:g} needed")
    return values


def name_list(option: str, text: str | None, *, at_least: int = 2, what: str = "classes") -> tuple[str, ...]:
    """A comma-separated option of names (classes, gestures, motions), blanks dropped; fewer than
    ``at_least`` or a name given twice (ignoring case: two classes a decision could not tell
    apart) ends the command."""
    names = tuple(n.strip() for n in (text or "").split(",") if n.strip())
    seen: dict[str, str] = {}
    for name in names:
        if name.lower() in seen:
            twice = f"{name!r} twice" if seen[name.lower()] == name else f"{seen[name.lower()]!r} and {name!r}"
            fail(f"{option} names {twice}: each of the {what} needs a name of its own (case aside)")
        seen[name.lower()] = name
    if len(names) < at_least:
        fail(f"{option} needs at least {at_least} {what}, got {list(names)}")
    return names


def refuse_given(ctx: typer.Context, names: tuple[str, ...], why: str) -> None:
    """One error line naming the options of ``names`` (parameter names) that were given on the
    command line, where ``why`` says they do not apply: a setting is never silently ignored."""
    given = [name for name in names if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"]
    if given:
        flags = {p.name: next((o for o in (p.secondary_opts if getattr(p, "secondary_opts", None) and
                                             ctx.params.get(p.name) is False else p.opts) if o.startswith("--")),
                              p.opts[0]) for p in ctx.command.params}  # (--no-window as given)
        listed = ", ".join(flags.get(name, name) for name in given)
        one = len(given) == 1
        fail(f"{listed} {'does' if one else 'do'} not apply {why}: leave {'it' if one else 'them'} out")


def finite_numbers(fn):
    """``fn`` (a command) with every float argument checked finite before it runs: one line naming
    the option (``--hold inf`` overflowed into a traceback, ``--notch nan`` into another; typer's
    ``min=``/``max=`` let NaN through, and infinity past ``min=``)."""
    names = {}
    for name, p in inspect.signature(fn).parameters.items():
        decls = getattr(p.default, "param_decls", None) or ()
        names[name] = next((d for d in decls if d.startswith("--")), "--" + name.replace("_", "-"))

    @functools.wraps(fn)
    def checked(**kwargs):
        for name, value in kwargs.items():
            for v in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(v, float) and not math.isfinite(v):
                    fail(f"{names.get(name, name)} {v} is not a finite number")
        return fn(**kwargs)

    return checked


def flowing_help(doc: str | None) -> str | None:
    """A command's docstring for ``--help``: each paragraph on one line (the terminal wraps it), RST
    double backticks as single ones."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).replace("/\n", "/").split("\n\n")  # (a list a/b/c broken after a slash)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs).replace("``", "`")


class SensekitTyper(typer.Typer):
    """A Typer app whose commands refuse non-finite numbers (:func:`finite_numbers`)."""

    def command(self, *args, **kwargs):
        def decorate(fn):
            # the docstring's paragraphs as flowing text: Typer's rich mode keeps each source line
            # break, so help text broke mid-sentence wherever the terminal was narrower or wider
            help_text = kwargs.get("help") or flowing_help(fn.__doc__)
            super(SensekitTyper, self).command(*args, **{"cls": SensekitCommand, **kwargs, "help": help_text})(
                finite_numbers(fn))
            return fn

        return decorate


#: Terminal columns from which a command's options are drawn as a Rich panel; narrower (or
#: piped), they take click's plain layout. At 80 columns the panel's option, type and range
#: columns left about 20 for the help text, a word or two a line (``calibrate gesture --help``
#: ran to 180 lines); plain, 40. Command lists stay panels: theirs fit.
RICH_HELP_COLUMNS = 100


class SensekitCommand(TyperCommand):
    """A command whose ``--help`` is click's plain layout on a terminal narrower than
    :data:`RICH_HELP_COLUMNS` (``COLUMNS``, or the terminal's width; 80 when piped)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if shutil.get_terminal_size((80, 24)).columns >= RICH_HELP_COLUMNS:
            return super().format_help(ctx, formatter)
        mode, self.rich_markup_mode = self.rich_markup_mode, None
        try:
            return super().format_help(ctx, formatter)
        finally:
            self.rich_markup_mode = mode


def new_app(help: str) -> typer.Typer:
    """A Typer app with sensekit's error handling and no pretty tracebacks."""
    return SensekitTyper(help=help, cls=SensekitGroup, no_args_is_help=True, pretty_exceptions_enable=False,
                         add_completion=False, rich_markup_mode="rich")


class LineHandler(logging.Handler):
    """A log record as one line on stderr, ``warning: ...`` as errors are ``error: ...``: whole in
    a log file (a boxed, wrapped layout is not), coloured on a terminal."""

    STYLES = {"warning": "yellow", "error": "bold red", "critical": "bold red", "info": "cyan"}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:  # noqa: BLE001 - logging's own convention
            self.handleError(record)
            return
        level = record.levelname.lower()
        err.print(Text.assemble((f"{level}:", self.STYLES.get(level, "dim")), f" {message}"), highlight=False)


def setup_logging(verbose: int) -> None:
    """Log sensekit's warnings (and info with -v) on stderr; a library's Python warning
    (numpy, edfio, scikit-learn) becomes one such line, not a source-code excerpt."""
    logger = logging.getLogger("sensekit")
    logger.handlers[:] = [LineHandler()]
    logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logger.propagate = False

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        logger.warning("%s: %s", category.__name__, message)

    warnings.showwarning = show


#: Seconds a stop request waits for the current block before the work is interrupted.
STOP_GRACE_S = 0.7


@contextmanager
def stop_on_signals():
    """Within the block, the first SIGINT (Ctrl-C) or SIGTERM sets the yielded event, so
    that a run stops between two blocks with its files closed cleanly. If the work has not
    stopped :data:`STOP_GRACE_S` later (a block stuck in a long computation or a blocking
    read), it is interrupted (``KeyboardInterrupt``): a command ends within a second of the
    first signal. A second signal interrupts at once."""
    stop = threading.Event()
    inside = threading.Event()
    main = threading.main_thread().ident

    def escalate() -> None:
        if inside.is_set():
            signal.pthread_kill(main, signal.SIGINT)  # wakes a blocking call; the handler raises

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        timer = threading.Timer(STOP_GRACE_S, escalate)
        timer.daemon = True
        timer.start()

    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: no handlers, the event is never set
        pass
    inside.set()
    try:
        yield stop
    finally:
        inside.clear()
        for sig, h in previous.items():
            signal.signal(sig, h)


def split_stream(path: Path, stream: str | None) -> tuple[Path, str | None]:
    """``FILE#STREAM`` (as a source string names one stream of a recording) -> ``(FILE, STREAM)``;
    a path that exists, or has no ``#``, is kept with ``stream``."""
    from ..core.sources.spec import recording_stream

    one = None if path.exists() else recording_stream(str(path))
    if one is None:
        return path, stream
    if stream is not None and stream != one[1]:
        fail(f"{str(path)!r} names stream {one[1]!r} and --stream names {stream!r}: give one")
    return Path(one[0]), one[1]
