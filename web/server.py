"""The web page's HTTP server: the standard library's ``ThreadingHTTPServer`` on
127.0.0.1, the static page from ``web/static/`` and a small JSON API.

``GET``:
  ``/``                       the page (``index.html``); ``/static/<file>`` its script and style
  ``/api/run``                ``RunReader.summary()``: counters, gates, Elo series
  ``/api/losses``             ``RunReader.losses()``: the learner's losses against time
  ``/api/live``               the self-play game in progress (``null`` when none)
  ``/api/games?limit=K``      the newest finished games
  ``/api/games/<id>``         one finished game with its boards, to replay
``POST`` (JSON body ``{"moves": [...], "playouts": P}``):
  ``/api/play``               the best network's answer to the game ``moves``
  ``/api/analyze``            the network's policy and value after ``moves``

Errors are ``{"error": message}`` with status 400 (a bad request: the message names the
bad value, e.g. an illegal move) or 404. Nothing here writes the run directory.
"""

from __future__ import annotations

import json
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from go.errors import ZerogoError
from rundir.run_dir import RunDir, RunDirError
from web.network_player import NetworkPlayer
from web.run_reader import RunReader

HOST = "127.0.0.1"
STATIC = Path(__file__).resolve().parent / "static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".png": "image/png"}
MAX_BODY = 1 << 16


class _ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class WebServer(ThreadingHTTPServer):
    """Serves the page of ``run_dir`` on ``127.0.0.1:port`` (0: a free port; the chosen
    one is ``self.port``). ``threads``: CPU threads of the network that plays
    (``NetworkPlayer``; ``None``: the process's backend as it is)."""

    daemon_threads = True

    def __init__(self, run_dir: str | Path, port: int = 0, threads: int | None = 1) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {port}")
        self.run_dir = RunDir(run_dir)
        self.reader = RunReader(self.run_dir)
        self.player = NetworkPlayer(self.run_dir, threads=threads)
        super().__init__((HOST, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start_in_thread(self) -> threading.Thread:
        """Serve from a daemon thread (tests); stop with ``shutdown()``."""
        thread = threading.Thread(target=self.serve_forever, name="web", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: WebServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass  # no line per request

    # ------------------------------------------------------------------ plumbing
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _answer(self, route: Any) -> None:
        try:
            self._json(HTTPStatus.OK, route())
        except _ApiError as exc:
            self._json(exc.status, {"error": str(exc)})
        except (ZerogoError, ValueError, OSError) as exc:  # RunDirError, IllegalMove, ...
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except Exception as exc:  # a bug: the page shows it, the server lives on
            print(f"web: {self.path}: {exc!r}", file=sys.stderr)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"server error: {exc!r}"})

    # ------------------------------------------------------------------ GET
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        path = url.path
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        reader = self.server.reader
        if path == "/api/run":
            return self._answer(reader.summary)
        if path == "/api/losses":
            return self._answer(reader.losses)
        if path == "/api/live":
            return self._answer(reader.live)
        if path == "/api/games":
            return self._answer(lambda: reader.latest_games(
                _int_param(parse_qs(url.query), "limit", 12, 1, 200)))
        if path.startswith("/api/games/"):
            return self._answer(lambda: reader.game(_game_id(path[len("/api/games/"):])))
        self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

    do_HEAD = do_GET

    def _static(self, name: str) -> None:
        file = STATIC / name
        if "/" in name or name.startswith(".") or file.suffix not in _TYPES \
                or not file.is_file():
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such file: {name}"})
        self._send(HTTPStatus.OK, file.read_bytes(), _TYPES[file.suffix])

    # ------------------------------------------------------------------ POST
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        path = urlparse(self.path).path
        player = self.server.player
        routes = {"/api/play": lambda body: player.reply(body.get("moves"),
                                                         body.get("playouts", 200)),
                  "/api/analyze": lambda body: player.analyze(body.get("moves"))}
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                              {"error": f"request body of {length} bytes is over {MAX_BODY}"})
        raw = self.rfile.read(length)
        if path not in routes:
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

        def route() -> Any:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise _ApiError(HTTPStatus.BAD_REQUEST, "the request body is not JSON") from None
            if not isinstance(body, dict):
                raise _ApiError(HTTPStatus.BAD_REQUEST, "the request body must be a JSON object")
            try:
                return routes[path](body)
            except RunDirError as exc:
                raise _ApiError(HTTPStatus.BAD_REQUEST, f"no network to play yet: {exc}") from None

        self._answer(route)


def _int_param(query: dict[str, list[str]], name: str, default: int, low: int,
               high: int) -> int:
    if name not in query:
        return default
    text = query[name][0]
    try:
        value = int(text)
    except ValueError:
        raise _ApiError(HTTPStatus.BAD_REQUEST, f"{name} must be an integer, got {text!r}") \
            from None
    if not low <= value <= high:
        raise _ApiError(HTTPStatus.BAD_REQUEST,
                        f"{name} must be between {low} and {high}, got {value}")
    return value


def _game_id(text: str) -> int:
    if not text.isdigit():
        raise _ApiError(HTTPStatus.NOT_FOUND, f"no game {text!r}: game ids are integers")
    return int(text)
