"""One run at a time: the directory lock refuses a second holder, naming the first, and a
killed holder's lock never blocks."""

import json
import os
import socket
import subprocess
import sys

import pytest

from rundir.run_dir import RunDir, RunDirLockedError

HOLD = """
import sys, time
from rundir.run_dir import RunDir
lock = RunDir(sys.argv[1]).lock().acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_holder_is_refused_naming_the_first_and_a_dead_holder_never_blocks(tmp_path):
    run = RunDir(tmp_path / "run")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run.root)],
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirLockedError,
                           match=f"{run.root} is in use by another run \\(process "
                                 f"{holder.pid} on host {socket.gethostname()}, since"):
            run.lock().acquire()
    finally:
        holder.kill()  # SIGKILL: the holder cannot clean up
        holder.wait()
    assert json.loads((run.root / "lock").read_text())["pid"] == holder.pid  # stale file
    with run.lock() as lock:
        assert lock.held
        assert json.loads((run.root / "lock").read_text())["pid"] == os.getpid()
        with pytest.raises(RunDirLockedError, match=f"process {os.getpid()}"):
            run.lock().acquire()  # a second lock in the same process is refused too
    assert not lock.held
    run.lock().acquire().release()
