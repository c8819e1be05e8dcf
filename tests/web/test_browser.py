"""The page in a real browser: headless Chromium (Debian's package) opens the page of the
small real run of ``conftest.py``, renders the board, the plots and the game list, and a
person's click on the board gets the network's answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.browser import Browser, Page, find_chromium
from tests.web.conftest import GAMES, SIZE


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's path, installed with apt-get when missing and this user may install."""
    path = find_chromium()
    if path is None and shutil.which("apt-get"):
        sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
        if sudo is not None:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "chromium"], env=env,
                           capture_output=True, timeout=900)
            path = find_chromium()
    if path is None:
        pytest.fail("Chromium is required for the browser test (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def page(web_run: Path, chromium: str) -> Iterator[tuple[Page, object]]:
    from web.server import WebServer

    server = WebServer(web_run, port=0, threads=None)
    server.start_in_thread()
    try:
        with Browser(chromium) as browser:
            page = browser.page()
            page.navigate(server.url)
            page.wait_for("document.body && document.body.dataset.ready === '1'")
            yield page, server
    finally:
        server.shutdown()
        server.server_close()


def data(page: Page, element: str, key: str) -> str | None:
    return page.evaluate(f"document.getElementById({element!r}).dataset.{key} ?? null")


def test_the_page_renders_the_plots_the_boards_and_the_game_list(page, tmp_path):
    page, server = page
    page.wait_for("document.querySelectorAll('#games li').length > 0")
    assert page.evaluate("document.querySelectorAll('#games li').length") == GAMES
    page.wait_for("Number(document.getElementById('loss-plot').dataset.points) > 0")
    assert int(data(page, "loss-plot", "points")) == 12  # 3 losses x 4 steps
    # the best as a step line (start, before and after its promotion), 2 candidates
    assert int(data(page, "elo-plot", "points")) == 3 + 2
    assert page.evaluate("document.querySelectorAll('#gates tbody tr').length") == 2
    live = json.loads(server.run_dir.live_game_path.read_text())
    page.wait_for(f"document.getElementById('live-board').dataset.moves === "
                  f"'{len(live['moves'])}'")
    assert int(data(page, "live-board", "stones")) >= 2
    # The newest game opens for replay at its last move (fetched once the list is in, so
    # wait for it); the first button goes back.
    page.wait_for("document.getElementById('replay-caption').textContent.includes('game #')")
    assert f"game #{GAMES - 1}" in page.evaluate(
        "document.getElementById('replay-caption').textContent")
    assert int(data(page, "replay-board", "stones")) > 0
    page.evaluate("document.getElementById('replay-first').click()")
    assert int(data(page, "replay-board", "stones")) == 0
    assert data(page, "play-board", "size") == str(SIZE)
    shot = page.screenshot(tmp_path / "page.png")
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000


def click_point(page: Page, canvas: str, move: int) -> None:
    """Click the point of flat index ``move`` on the board drawn in ``canvas``, where the
    page's own ``geometry`` says it is."""
    x, y = page.evaluate(f"""(() => {{
        const c = document.getElementById({canvas!r}), r = c.getBoundingClientRect();
        const size = Number(c.dataset.size), g = geometry(c, size), k = r.width / c.width;
        return [r.left + (g.margin + ({move} % size) * g.step) * k,
                r.top + (g.margin + Math.floor({move} / size) * g.step) * k]; }})()""")
    page.click(x, y)


def test_a_click_plays_a_move_and_the_network_answers(page):
    page, _ = page
    page.evaluate("document.getElementById('playouts').value = '16'")
    centre = (SIZE // 2) * SIZE + SIZE // 2
    click_point(page, 'play-board', centre)
    page.wait_for("document.getElementById('play-board').dataset.moves === '2'", timeout=120)
    status = page.evaluate("document.getElementById('play-status').textContent")
    assert status.startswith("network (white) plays "), status
    assert int(data(page, "play-board", "stones")) == 2
    # The same point again is occupied: a clear error, the game unchanged.
    click_point(page, 'play-board', centre)
    page.wait_for("document.getElementById('play-status').className === 'error'")
    error = page.evaluate("document.getElementById('play-status').textContent")
    assert "illegal move C3" in error and "occupied" in error, error
    assert data(page, "play-board", "moves") == "2"
    # The network's policy and value, on request.
    page.evaluate("document.getElementById('play-analyze').click()")
    text = page.wait_for("document.getElementById('play-analysis').textContent")
    assert "value" in text and "for black to move" in text, text
