"""The web page's JSON API over real HTTP (no browser), on the small real run of
``conftest.py``, and ``python -m web`` as a user starts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import GAMES, SIZE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(web_run: Path) -> Iterator:
    from web.server import WebServer

    srv = WebServer(web_run, port=0, threads=None)  # the test process's TensorFlow as is
    srv.start_in_thread()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def get(server, path: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(server.url.rstrip("/") + path, timeout=120) as r:
            body = r.read()
            return r.status, json.loads(body) if "json" in r.headers["Content-Type"] else body
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def post(server, path: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(server.url.rstrip("/") + path,
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_it_listens_on_the_loopback_and_serves_the_page(server):
    assert server.server_address[0] == "127.0.0.1" and server.port > 0
    status, page = get(server, "/")
    assert status == 200 and b'id="play-board"' in page and b"/static/app.js" in page
    status, script = get(server, "/static/app.js")
    assert status == 200 and b"drawBoard" in script
    assert get(server, "/static/../server.py")[0] == 404
    assert get(server, "/nothing")[0] == 404


def test_run_summary_holds_the_counters_gates_and_elo(server):
    status, run = get(server, "/api/run")
    assert status == 200 and run["ready"] and run["board_size"] == SIZE
    assert run["games"] == GAMES and run["best"] == "ckpt-00000002.keras"
    assert [g["promoted"] for g in run["gates"]] == [True, False]
    # The best's Elo starts at 0 and moves by the promoted gate's Elo only.
    assert [p["elo"] for p in run["elo"]] == [0.0, pytest.approx(240.8)]
    assert run["gates"][1]["elo_scale"] == pytest.approx(240.8 - 70.4)


def test_losses_come_from_the_tensorboard_logs(server):
    status, losses = get(server, "/api/losses")
    assert status == 200
    assert [p[1] for p in losses["loss/total"]] == [1, 2, 3, 4]
    assert [p[2] for p in losses["loss/total"]] == pytest.approx([2.75, 2.5, 2.25, 2.0])
    assert "selfplay/games" not in losses


def test_games_are_listed_newest_first_and_replayed_move_by_move(server):
    status, games = get(server, "/api/games?limit=3")
    assert status == 200 and [g["id"] for g in games] == [GAMES - 1, GAMES - 2, GAMES - 3]
    status, game = get(server, "/api/games/0")
    assert status == 200 and len(game["boards"]) == len(game["moves"]) + 1
    assert game["boards"][0] == "." * SIZE * SIZE
    first = game["moves"][0]
    if first < SIZE * SIZE:
        assert game["boards"][1][first] == "X"
    status, error = get(server, f"/api/games/{GAMES}")
    assert status == 400 and f"no game {GAMES}" in error["error"]
    assert get(server, "/api/games?limit=0")[0] == 400


def test_live_game_shows_the_moves_the_worker_wrote(server, web_run):
    status, live = get(server, "/api/live")
    written = json.loads((web_run / "live.json").read_text())
    assert status == 200 and live["moves"] == written["moves"] and len(live["moves"]) == 3
    assert sum(c != "." for c in live["board"]) >= 2


def test_the_network_answers_a_legal_move_and_refuses_an_illegal_one(server):
    centre = (SIZE // 2) * SIZE + SIZE // 2
    status, reply = post(server, "/api/play", {"moves": [centre], "playouts": 8})
    assert status == 200, reply
    assert reply["network"] == "ckpt-00000002.keras"
    assert reply["moves"][0] == centre and len(reply["moves"]) == 2
    move = reply["moves"][1]
    assert move != centre and 0 <= move <= SIZE * SIZE and reply["visits"] >= 8
    assert reply["board"][centre] == "X" and -1 <= reply["value"] <= 1
    status, error = post(server, "/api/play", {"moves": [centre, centre], "playouts": 8})
    assert status == 400 and "illegal move" in error["error"] and "occupied" in error["error"]
    status, error = post(server, "/api/play", {"moves": [], "playouts": 0})
    assert status == 400 and "playouts" in error["error"] and "0" in error["error"]
    status, error = post(server, "/api/play", {"moves": "C3"})
    assert status == 400 and "moves must be a list" in error["error"]


def test_analysis_is_the_networks_policy_and_value(server):
    status, a = post(server, "/api/analyze", {"moves": [0]})
    assert status == 200 and len(a["policy"]) == SIZE * SIZE + 1
    assert a["policy"][0] == 0.0  # occupied
    assert sum(a["policy"]) == pytest.approx(1.0, abs=1e-3)
    assert a["to_play"] == -1 and -1 <= a["value"] <= 1


def test_python_m_web_prints_its_address_and_serves_until_terminated(web_run):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "web", str(web_run)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("web page: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[-1]
        with urllib.request.urlopen(url + "api/run", timeout=60) as r:
            assert json.loads(r.read())["games"] == GAMES
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_python_m_web_refuses_a_missing_run_directory(tmp_path):
    out = subprocess.run([sys.executable, "-m", "web", str(tmp_path / "none")], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and "does not exist" in out.stderr
