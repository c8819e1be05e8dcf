"""``python -m selfplay.run`` started as a user starts it: on a Ray of its own.

One short real run (a subprocess, with nothing set in its environment that the user would
not set) serves two checks: every socket its processes listen on is bound to the loopback,
and its terminal shows the run's own lines, not TensorFlow's, absl's or Ray's messages.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.tiny_run import TINY_RUN_FLAGS, check_run_dir
from tests.selfplay.listening_sockets import Listener, listening_sockets

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# Lines that the libraries under the run print, never the run itself.
NOISE = ("cuInit", "oneDNN", "absl::InitializeLog", "cudart_stub", "cpu_feature_guard",
         "Started a local Ray instance")


@dataclass
class LocalRun:
    """What a finished run left: its terminal output, its directory, its listeners."""

    stdout: str
    stderr: str
    run_dir: Path
    listeners: set[Listener]
    returncode: int

    def explain(self) -> str:
        """The end of the terminal output and of the run's log, for failure messages."""
        log = self.run_dir / "logs" / "run.log"
        tail = log.read_text()[-3000:] if log.is_file() else "(no log)"
        return (f"exit code {self.returncode}\n--- terminal:\n{self.stdout[-3000:]}"
                f"{self.stderr[-3000:]}\n--- {log}:\n{tail}")


def user_environment(ray_tmp: Path) -> dict[str, str]:
    """The test process's environment without what the test suite sets for itself
    (the loopback switch, TensorFlow's log level): what a user's shell would hold."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "TF_CPP_MIN_LOG_LEVEL",
                        "RAY_ADDRESS", "PYTEST_CURRENT_TEST"}}
    # A temp dir of its own (short: Ray's socket paths are limited to 107 bytes), and no
    # usage report: neither changes what the run binds to or prints.
    env.update(RAY_TMPDIR=str(ray_tmp), RAY_USAGE_STATS_ENABLED="0",
               PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="module")
def local_run() -> Iterator[LocalRun]:
    ray_tmp = Path(tempfile.mkdtemp(prefix="zg-", dir="/tmp"))
    try:
        yield _run(ray_tmp)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)


def _run(ray_tmp: Path) -> LocalRun:
    """Run ``python -m selfplay.run`` for one generation, sampling its listeners."""
    run_dir = ray_tmp / "run"
    with open(ray_tmp / "out", "w+") as out, open(ray_tmp / "err", "w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "selfplay.run", "--run-dir", str(run_dir),
             *TINY_RUN_FLAGS, "--generations", "1"],
            cwd=ROOT, env=user_environment(ray_tmp), stdout=out, stderr=err, text=True)
        listeners: set[Listener] = set()
        deadline = time.monotonic() + 900
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                listeners |= listening_sockets(proc.pid)
                time.sleep(0.5)
        finally:
            if proc.poll() is None:  # too slow: Ctrl-C stops it and its Ray cleanly
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
            proc.wait()
        out.seek(0)
        err.seek(0)
        return LocalRun(out.read(), err.read(), run_dir, listeners, proc.returncode)


def test_a_local_run_listens_on_the_loopback_only(local_run: LocalRun) -> None:
    assert local_run.returncode == 0, local_run.explain()
    names = {listener.name for listener in local_run.listeners}
    # The sampling saw Ray's servers and the actors, not just the driver.
    assert {"gcs_server", "raylet"} <= names, names
    assert any(name.startswith("ray::") for name in names), names
    exposed = sorted(f"{x.name} (pid {x.pid}) on {x.address}:{x.port}"
                     for x in local_run.listeners if not x.loopback_only)
    assert not exposed, "listening beyond the loopback:\n" + "\n".join(exposed)


def test_a_local_run_keeps_library_noise_off_the_terminal(local_run: LocalRun) -> None:
    output = local_run.stdout + local_run.stderr
    assert local_run.returncode == 0, local_run.explain()
    check_run_dir(local_run.run_dir, 1, output)
    noisy = [line for line in output.splitlines() if any(n in line for n in NOISE)]
    assert not noisy, "library messages on the terminal:\n" + "\n".join(noisy[:20])
    assert "gen 0 | best v0" in output  # the status line
    assert "stopped (1 generations)" in output  # the final message
    assert "web page: http://127.0.0.1:" in output  # the run's page, on the loopback
    # The libraries' messages are kept, in the run directory's log.
    log = (local_run.run_dir / "logs" / "run.log").read_text()
    assert "Started a local Ray instance" in log
