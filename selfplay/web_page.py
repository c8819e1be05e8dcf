"""The run's web page beside training: ``python -m web`` in a process of its own.

The page's server reads the run directory and searches its own games (``web``), so it
never holds the training's GIL or its GPUs; this module only starts it, reports its
address, and ends it with the run.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

STARTUP_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[1]


class WebPage:
    """``python -m web RUN_DIR --port PORT`` as a child process (a context manager).

    ``url`` is the page's address once started (``None`` when it could not start: the
    reason is in ``error``; training goes on without the page). The child's own output
    goes where this process's stderr goes (the run's log); it ends by itself when this
    process ends, even by a ``kill -9``.
    """

    def __init__(self, run_dir: str | os.PathLike, port: int = 0) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"web port must be between 0 and 65535, got {port}")
        self.run_dir, self.port = Path(run_dir), port
        self.url: str | None = None
        self.error: str | None = None
        self.proc: subprocess.Popen | None = None

    def start(self) -> str | None:
        env = dict(os.environ)
        if (ROOT / "web" / "__init__.py").is_file():  # a source checkout: keep it importable
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                              env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "web", str(self.run_dir), "--port", str(self.port),
             "--exit-with-parent"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
        ready, _, _ = select.select([self.proc.stdout], [], [], STARTUP_SECONDS)
        line = self.proc.stdout.readline().decode(errors="replace") if ready else ""
        self.proc.stdout.close()
        if line.startswith("web page: "):
            self.url = line.split()[-1]
        else:
            self.error = (f"the web page did not start (exit code {self.proc.poll()}); see "
                          f"the run's log")
            self.stop()
        return self.url

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> WebPage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
