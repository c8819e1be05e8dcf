"""A ``python -m selfplay.run`` child process in a test: wait for a condition while it runs,
stop it with Ctrl-C, and never leave it behind when the test fails.

Used by the slow tests that start whole runs (tests/selfplay/test_pipeline.py,
tests/selfplay/test_ungated.py, tests/cluster/test_multinode.py). The process must have
been started with ``stdout=subprocess.PIPE`` (stderr folded into it) and ``text=True``.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest


def wait_for(condition: Callable[[], bool], seconds: float, what: str,
             proc: subprocess.Popen) -> None:
    """Poll ``condition`` every 0.3 s until it holds. Fail the test, with the end of the
    run's output, if the run exits first or ``seconds`` pass (a hang, not a speed limit:
    the timeout is generous)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the run exited ({proc.returncode}) while waiting for {what}:\n"
                        f"{proc.stdout.read()[-4000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out after {seconds:g} s waiting for {what}:\n"
                        f"{proc.communicate()[0][-4000:]}")
        time.sleep(0.3)


def interrupt(proc: subprocess.Popen, timeout: float = 180) -> str:
    """Stop the run as a user would, with Ctrl-C (SIGINT), and return all its output once it
    has exited (``subprocess.TimeoutExpired`` after ``timeout`` seconds)."""
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=timeout)[0]


@contextmanager
def reaped(proc: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """Yield ``proc``; whatever happens in the block, a process still running when it ends
    (a failed assertion, a timeout) is killed and its pipes drained, so no run outlives
    its test."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
