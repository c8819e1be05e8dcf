"""Drive an external GTP engine (GNU Go, another checkpoint, ...) as a subprocess.

``GtpClient(command).send("genmove b")`` writes one numbered command and returns the
engine's answer text. Three things can go wrong and each has its own exception:

* ``EngineFailure``: the engine answered ``? message`` (``.message``);
* ``EngineTimeout``: no complete answer within the timeout (the engine is killed, since
  its state is unknown from then on);
* ``EngineCrashed``: the process exited or closed its output (``.returncode`` and the
  last lines of its stderr say why).
"""

from __future__ import annotations

import collections
import os
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Sequence

from go.errors import ZerogoError

STDERR_TAIL_LINES = 20


class GtpClientError(ZerogoError, RuntimeError):
    """Base of the client's errors; ``engine`` names the program."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(f"{engine}: {message}")
        self.engine = engine


class EngineFailure(GtpClientError):
    """The engine answered ``?``; ``message`` is its error text, ``command`` what was sent."""

    def __init__(self, engine: str, command: str, message: str) -> None:
        super().__init__(engine, f"{command!r} failed: {message}")
        self.command = command
        self.message = message


class EngineTimeout(GtpClientError):
    """No answer in time; the engine has been killed."""


class EngineCrashed(GtpClientError):
    """The engine process is gone; ``returncode`` (None if unknown) and ``stderr_tail``."""

    def __init__(self, engine: str, message: str, returncode: int | None,
                 stderr_tail: str) -> None:
        detail = f"{message} (exit code {returncode})"
        if stderr_tail:
            detail += f"; stderr: {stderr_tail[-500:]}"
        super().__init__(engine, detail)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class GtpClient:
    """One GTP engine process.

    Args:
        command: a shell-like command line (split with ``shlex``) or an argv list.
        label: how errors name it (default: the program's file name).
        timeout: seconds to wait for an answer unless ``send`` says otherwise.
        env, cwd: for the subprocess.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        label: str | None = None,
        timeout: float = 60.0,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv:
            raise ValueError(f"empty engine command: {command!r}")
        self.argv = argv
        self.label = label or os.path.basename(argv[0])
        self.timeout = timeout
        self._next_id = 1
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._broken: GtpClientError | None = None
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", errors="replace", bufsize=1, env=env, cwd=cwd)
        except OSError as exc:
            raise EngineCrashed(self.label, f"cannot start {argv!r}: {exc}", None, "") from exc
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # ------------------------------------------------------------------ readers
    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                self._lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        try:
            for line in self.process.stderr:
                self._stderr.append(line.rstrip("\n"))
        except (OSError, ValueError):
            pass

    def stderr_tail(self) -> str:
        """The last lines the engine wrote to stderr."""
        return "\n".join(self._stderr)

    @property
    def alive(self) -> bool:
        """Whether the process runs and has not failed a command fatally."""
        return self._broken is None and self.process.poll() is None

    # ------------------------------------------------------------------ commands
    def send(self, command: str, timeout: float | None = None) -> str:
        """Send one command, return the answer text (``"D4"``, multi-line for some).

        Raises ``EngineFailure`` on ``?``, ``EngineTimeout`` and ``EngineCrashed``.
        """
        if "\n" in command or "\r" in command:
            raise ValueError(f"a GTP command is one line, got {command!r}")
        if self._broken is not None:
            raise self._broken
        ident = self._next_id
        self._next_id += 1
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(f"{ident} {command}\n")
            self.process.stdin.flush()
        except (OSError, ValueError) as exc:
            raise self._crash(f"cannot write {command!r}: {exc}") from None
        return self._read_response(ident, command, self.timeout if timeout is None else timeout)

    def _read_response(self, ident: int, command: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while True:
            left = deadline - time.monotonic()
            try:
                raw = self._lines.get(timeout=max(left, 0.0)) if left > 0 else \
                    self._lines.get_nowait()
            except queue.Empty:
                self._broken = EngineTimeout(
                    self.label, f"no answer to {command!r} within {timeout:g} s")
                self.kill()
                raise self._broken from None
            if raw is None:
                raise self._crash(f"exited while answering {command!r}")
            line = raw.rstrip("\r\n")
            if not lines and not line.strip():
                continue  # blank lines between responses
            if not line.strip():
                break
            lines.append(line)
        head = lines[0]
        if head[0] not in "=?":
            self._broken = GtpClientError(self.label, f"answer to {command!r} does not start "
                                                      f"with '=' or '?': {head!r}")
            self.kill()
            raise self._broken
        digits = ""
        rest = head[1:]
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        if digits and int(digits) != ident:
            self._broken = GtpClientError(
                self.label, f"answer id {digits} does not match command id {ident}")
            self.kill()
            raise self._broken
        text = "\n".join([rest.strip()] + lines[1:]).strip()
        if head[0] == "?":
            raise EngineFailure(self.label, command, text)
        return text

    def _crash(self, message: str) -> EngineCrashed:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        time.sleep(0.05)  # let the stderr reader catch the last words
        self._broken = EngineCrashed(self.label, message, code, self.stderr_tail())
        return self._broken

    # ------------------------------------------------------------------ shutdown
    def kill(self) -> None:
        """Kill the process (no ``quit``)."""
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def close(self, timeout: float = 5.0) -> None:
        """``quit`` politely, wait up to ``timeout`` seconds, then kill."""
        if self.alive:
            try:
                self.send("quit", timeout=timeout)
            except GtpClientError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def __enter__(self) -> GtpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
