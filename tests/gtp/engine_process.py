"""A raw GTP pipe for tests: write exact bytes to an engine, read its exact answers.

Unlike ``gtp.client.GtpClient`` it adds nothing (no ids, no parsing), so tests can check
the wire format itself: ``=id text``, the blank line that ends each response, streams.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Sequence


class EnginePipe:
    """An engine subprocess with unbuffered byte pipes; stderr goes to ``stderr_path``."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: str,
                 stderr_path: str) -> None:
        self._stderr = open(stderr_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(list(argv), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._stderr,
                                        env=env, cwd=cwd, bufsize=0)
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, b""):
            self._lines.put(line)
        self._lines.put(None)

    def write(self, data: bytes | str) -> None:
        """Send raw bytes (str is UTF-8 encoded)."""
        assert self.process.stdin is not None
        self.process.stdin.write(data.encode() if isinstance(data, str) else data)
        self.process.stdin.flush()

    def line(self, timeout: float = 120.0) -> str:
        """The next output line, newline included; raises if the engine ends or stalls."""
        try:
            raw = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output from the engine within {timeout} s") from None
        if raw is None:
            raise AssertionError(f"engine closed its output (exit code "
                                 f"{self.process.poll()})")
        return raw.decode("utf-8")

    def response(self, timeout: float = 120.0) -> str:
        """One complete response, exactly as written: from ``=``/``?`` to the blank line
        that ends it (both newlines included)."""
        text = ""
        while True:
            line = self.line(timeout)
            text += line
            if line == "\n":
                return text

    def ask(self, command: str, timeout: float = 120.0) -> str:
        """Send ``command`` plus a newline and return its response."""
        self.write(command + "\n")
        return self.response(timeout)

    def pending(self) -> bool:
        """Whether output is waiting to be read."""
        return not self._lines.empty()

    def close(self, timeout: float = 30.0) -> int | None:
        """Close stdin, wait for the exit, return the exit code (kill after ``timeout``)."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()
        except OSError:
            pass
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        finally:
            self._stderr.close()
