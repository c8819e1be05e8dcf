"""The run's web page beside training: ``selfplay.web_page.WebPage`` starts
``python -m web`` as a child process, reports its address and ends it; the run's flags."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest

from rundir.run_dir import RunDir
from selfplay.run import build_parser
from selfplay.web_page import WebPage


def test_the_page_starts_on_the_loopback_serves_the_run_and_stops(tmp_path):
    RunDir(tmp_path).create()
    with WebPage(tmp_path) as web:
        url = web.start()
        assert url is not None and url.startswith("http://127.0.0.1:"), web.error
        with urllib.request.urlopen(url + "api/run", timeout=60) as r:
            run = json.loads(r.read())
        assert run["ready"] is False and "config.toml" in run["waiting"]
        proc = web.proc
    assert proc.poll() is not None  # ended with the context
    assert not (tmp_path / "state.json").exists()  # it read the directory, wrote nothing


def test_a_busy_port_is_reported_and_training_goes_on(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        web = WebPage(tmp_path, busy.getsockname()[1])
        assert web.start() is None
        assert "did not start" in web.error and web.proc is None


def test_the_run_flags_choose_the_port_or_no_page():
    parser = build_parser()
    args = parser.parse_args([])
    assert args.web_port == 0 and not args.no_web
    args = parser.parse_args(["--web-port", "8123", "--no-web"])
    assert args.web_port == 8123 and args.no_web
    with pytest.raises(SystemExit):
        parser.parse_args(["--web-port", "65536"])
    with pytest.raises(ValueError, match="65536"):
        WebPage(".", 65536)


def test_the_page_ends_when_the_run_is_killed(tmp_path):
    """A run killed with -9 cannot stop its page: the page notices and ends by itself."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = ("import sys, time; from selfplay.web_page import WebPage; "
            f"w = WebPage({str(tmp_path)!r}); w.start(); print(w.proc.pid, flush=True); "
            "time.sleep(600)")
    run = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONPATH": str(root)})
    page = int(run.stdout.readline())
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(page, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.kill(page, signal.SIGKILL)
        raise AssertionError(f"the page (pid {page}) outlived its killed run by 60 s")
