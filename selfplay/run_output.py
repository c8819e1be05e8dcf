"""Where a run's output goes: the run's own lines to the terminal, the rest to a log file.

A run's terminal shows what the user needs: the run's messages (start, placement,
candidates, gates, errors) and its live view (``selfplay.status.RunView``): on a terminal
one panel refreshed in place (``selfplay.panel``, drawn by ``rich``), the messages
scrolling above it; elsewhere (a log file, ``ray attach``, CI, ``plain=True``) one status
line per interval. Everything else that this process and
the processes it starts write to stdout or stderr (TensorFlow's C++ log and absl's
warnings, Ray's own messages, the actors' output that Ray forwards to the driver) goes,
once ``divert`` is called, to a log file in the run directory. ``verbose=True`` keeps
the old behaviour: everything on the terminal.

The diversion works on file descriptors 1 and 2 (C++ libraries write there directly);
the terminal lines are written through duplicates of the original descriptors taken
before, so they still reach the terminal. When stdout/stderr are not the process's
descriptors 1 and 2 (an embedding program, a test capturing them), the run's lines go
to those streams and only the descriptors are diverted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from selfplay.status import RunView, status_line

LOG_NAME = "run.log"
"""The log file's name, in the run directory's ``logs/``."""


def _terminal(stream: IO[str], fd: int) -> tuple[IO[str], bool]:
    """A stream that keeps writing where ``stream`` writes now, after ``fd`` is diverted;
    and whether it is a new one (to close)."""
    try:
        same = stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        same = False
    if not same:
        return stream, False
    stream.flush()
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return os.fdopen(os.dup(fd), "w", buffering=1, encoding=encoding,
                     errors="backslashreplace"), True


class RunOutput:
    """The run's terminal, and the diversion of everything else to a log file.

    Use as a context manager (the diversion ends on exit, also on an exception, so a
    traceback reaches the terminal). ``log`` prints a message line; ``status`` the live
    view (a panel refreshed in place on a terminal, else a status line); ``error`` an
    error line on stderr. ``plain=True`` (and ``verbose``, whose library messages would
    tear a panel) keeps status lines on a terminal too.
    """

    def __init__(self, verbose: bool = False, plain: bool = False) -> None:
        self.verbose = verbose
        self.log_path: Path | None = None
        self._out, self._close_out = _terminal(sys.stdout, 1)
        self._err, self._close_err = _terminal(sys.stderr, 2)
        self._saved: tuple[int, int] | None = None
        self._status_on_tty = self._err.isatty()
        self.panel = self._out.isatty() and not (plain or verbose)
        self._live: Any = None  # rich.live.Live, started with the first view

    def __enter__(self) -> RunOutput:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ terminal
    def log(self, line: str) -> None:
        """One message line on stdout (above the panel, or clearing a status line first
        on a terminal)."""
        if self._live is not None:
            self._live.console.print(line, markup=False, highlight=False, soft_wrap=True)
            return
        if self._status_on_tty:
            self._err.write("\r\033[K")
            self._err.flush()
        self._out.write(line + "\n")
        self._out.flush()

    def status(self, view: RunView | str) -> None:
        """The live view: the panel refreshed in place on a terminal (``self.panel``),
        else its status line (rewritten in place when stderr is a terminal, else one line
        on stdout). A string is shown as the status line itself."""
        if self.panel and isinstance(view, RunView):
            self._show_panel(view)
            return
        line = view if isinstance(view, str) else status_line(view)
        if self._status_on_tty:
            self._err.write("\r\033[K" + line)
            self._err.flush()
        else:
            self._out.write(line + "\n")
            self._out.flush()

    def _show_panel(self, view: RunView) -> None:
        from selfplay.panel import render_panel

        if self._live is None:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self._out, force_terminal=True)
            self._live = Live(render_panel(view), console=console, auto_refresh=False,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        self._live.update(render_panel(view), refresh=True)

    def end_panel(self) -> None:
        """Leave the last panel on the screen; lines come below it from now on."""
        if self._live is not None:
            live, self._live = self._live, None
            with contextlib.suppress(Exception):
                live.stop()

    def error(self, line: str) -> None:
        """One error line on stderr (above the panel on a terminal)."""
        if self._live is not None:
            self._live.console.print(line, style="bold red", markup=False, highlight=False,
                                     soft_wrap=True)
            if not self._err.isatty():
                self._err.write(line + "\n")
                self._err.flush()
            return
        if self._status_on_tty:
            self._err.write("\r\033[K")
        self._err.write(line + "\n")
        self._err.flush()

    # ------------------------------------------------------------------ the log
    def divert(self, log_path: Path) -> None:
        """From now on, send what is written to file descriptors 1 and 2 to ``log_path``
        (appended; its directory is created). Does nothing when ``verbose``."""
        if self.verbose or self._saved is not None:
            return
        log_path.parent.mkdir(parents=True, exist_ok=True)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            self._saved = (os.dup(1), os.dup(2))
            os.dup2(fd, 1)
            os.dup2(fd, 2)
        finally:
            os.close(fd)
        self.log_path = log_path

    def close(self) -> None:
        """End the panel and the diversion (descriptors 1 and 2 back where they were)
        and close the terminal streams this object opened."""
        self.end_panel()
        if self._saved is not None:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
            out, err = self._saved
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.close(out)
            os.close(err)
            self._saved = None
        for stream, opened in ((self._out, self._close_out), (self._err, self._close_err)):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
                if opened:
                    stream.close()
        self._close_out = self._close_err = False
