"""Make the README's picture of the web page: ``python -m tests.web.take_screenshot RUN_DIR
OUT.png`` serves ``RUN_DIR``'s page, opens it in headless Chromium, plays one move against
the network with its policy shown, and saves a screenshot of the whole page."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.web.browser import Browser, find_chromium
from tests.web.test_browser import click_point


def main(argv: list[str]) -> int:
    run_dir, out = Path(argv[0]), Path(argv[1])
    from web.server import WebServer

    server = WebServer(run_dir, port=0, threads=1)
    server.start_in_thread()
    try:
        with Browser(find_chromium() or "chromium", width=1100, height=1400) as browser:
            page = browser.page()
            page.navigate(server.url)
            page.wait_for("document.body && document.body.dataset.ready === '1'")
            size = int(page.evaluate("document.getElementById('play-board').dataset.size"))
            page.evaluate("document.getElementById('play-analyze').click()")
            click_point(page, "play-board", (size // 2 - 1) * size + size // 2)
            page.wait_for("document.getElementById('play-board').dataset.moves === '2'",
                          timeout=300)
            page.wait_for("document.getElementById('play-analysis').textContent", timeout=300)
            time.sleep(1.5)  # one more refresh of the game in progress
            page.screenshot(out)
    finally:
        server.shutdown()
        server.server_close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
