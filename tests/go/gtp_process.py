"""A small GTP client for tests: talk to a GTP engine (GNU Go) running as a subprocess.

Commands can be sent one at a time (``command``) or many at once (``batch``): a batch is
written by a helper thread while the answers are read, so large batches cannot deadlock
on full pipes. GNU Go answers ``= text`` or ``? error`` followed by an empty line.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Sequence

GNUGO = "/usr/games/gnugo"
GNUGO_ARGS = ("--mode", "gtp", "--chinese-rules", "--positional-superko")


class GtpError(RuntimeError):
    """The engine answered ``?`` (failure) or stopped answering."""


class GtpProcess:
    """A GTP engine subprocess. Use as a context manager, or call ``close()``."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        if not os.path.exists(self.argv[0]):
            raise FileNotFoundError(f"GTP engine {self.argv[0]!r} is not installed")
        self._proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1 << 16,
        )

    def _read_answer(self, command: str) -> tuple[bool, str]:
        assert self._proc.stdout is not None
        lines: list[str] = []
        while True:
            line = self._proc.stdout.readline()
            if line == "":
                raise GtpError(f"{self.argv[0]} closed its output while answering {command!r}")
            line = line.rstrip("\r\n")
            if line == "" and lines:
                break
            if line == "" and not lines:
                continue
            lines.append(line)
        head = lines[0]
        if head[:1] not in "=?":
            raise GtpError(f"malformed GTP answer {head!r} to {command!r}")
        text = "\n".join([head[1:].strip(), *lines[1:]]).strip()
        return head[0] == "=", text

    def batch(self, commands: Iterable[str]) -> list[tuple[bool, str]]:
        """Send every command, return ``(success, text)`` for each, in order."""
        commands = list(commands)
        if not commands:
            return []
        assert self._proc.stdin is not None
        payload = "".join(c + "\n" for c in commands)
        stdin = self._proc.stdin
        failure: list[BaseException] = []

        def write() -> None:
            try:
                stdin.write(payload)
                stdin.flush()
            except BaseException as exc:  # reported after reading
                failure.append(exc)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answers = [self._read_answer(c) for c in commands]
        writer.join()
        if failure:
            raise GtpError(f"could not write to {self.argv[0]}: {failure[0]}")
        return answers

    def command(self, command: str) -> str:
        """Send one command; return the answer text, raise ``GtpError`` on ``?``."""
        ok, text = self.batch([command])[0]
        if not ok:
            raise GtpError(f"{command!r} failed: {text}")
        return text

    def close(self) -> None:
        """Ask the engine to quit, and make sure the process is gone."""
        if self._proc.poll() is None:
            try:
                self.command("quit")
            except (GtpError, OSError):
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> GtpProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gnugo(size: int, *extra: str) -> GtpProcess:
    """A GNU Go (Chinese rules, positional superko) with a cleared board of ``size``."""
    engine = GtpProcess([GNUGO, *GNUGO_ARGS, *extra])
    engine.command(f"boardsize {size}")
    engine.command("clear_board")
    return engine
