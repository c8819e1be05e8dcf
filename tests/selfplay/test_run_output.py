"""selfplay.run_output and selfplay.ray_session, without a cluster: the terminal keeps the
run's lines while descriptors 1 and 2 go to the log; the loopback switch, whenever Ray
was imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from selfplay.ray_session import is_loopback

ROOT = Path(__file__).resolve().parents[2]

DIVERT = """
import os, sys
from pathlib import Path
from selfplay.run_output import RunOutput
log = Path(sys.argv[1])
with RunOutput() as out:
    out.log("before")
    out.divert(log)
    os.write(2, b"E0000 cuInit from C++\\n")
    os.write(1, b"I0000 from C++ on stdout\\n")
    print("a library's print", flush=True)
    print("a library's warning", file=sys.stderr, flush=True)
    out.status("gen 0 | status")
    out.log("a run message")
    out.error("error: something the user must see")
print("after the run", flush=True)
"""


def run_script(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""})


def test_divert_sends_descriptors_to_the_log_and_run_lines_to_the_terminal(
        tmp_path: Path) -> None:
    log = tmp_path / "logs" / "run.log"
    done = run_script(DIVERT, str(log))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["before", "gen 0 | status", "a run message",
                                        "after the run"]
    assert done.stderr.splitlines() == ["error: something the user must see"]
    assert log.read_text().splitlines() == [
        "E0000 cuInit from C++", "I0000 from C++ on stdout", "a library's print",
        "a library's warning"]


def test_verbose_diverts_nothing(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    done = run_script(DIVERT.replace("RunOutput()", "RunOutput(verbose=True)"), str(log))
    assert done.returncode == 0, done.stderr
    assert "E0000 cuInit from C++" in done.stderr and "a library's print" in done.stdout
    assert not log.exists()


def test_an_exception_inside_still_reaches_the_terminal(tmp_path: Path) -> None:
    code = DIVERT.replace('out.error("error: something the user must see")',
                          'raise RuntimeError("crash inside the run")')
    done = run_script(code, str(tmp_path / "run.log"))
    assert done.returncode == 1
    assert "RuntimeError: crash inside the run" in done.stderr


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("0.0.0.0", False), ("::", False), ("192.0.2.2", False), ("10.1.2.3", False),
    ("not an address", False),
])
def test_is_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_the_loopback_switch_works_after_ray_was_imported() -> None:
    code = ("import ray, os\n"
            "from selfplay.ray_session import listen_on_loopback_only\n"
            "from ray._private import services\n"
            "listen_on_loopback_only()\n"
            "print(os.environ['RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER'],"
            " services.get_node_ip_address())\n")
    done = run_script(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "127.0.0.1"]
