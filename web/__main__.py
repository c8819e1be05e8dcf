"""``python -m web RUN_DIR [--port N]``: serve a run's page without training.

Works for a finished run and for one that is training (it only reads the directory).
Prints the page's address, then serves until Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, help="the run directory (runs/<name>)")
    parser.add_argument("--port", type=int, default=0,
                        help="port on 127.0.0.1 (default 0: a free port)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of the network that plays on the page (default 1)")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started this one ends (the page "
                        "that python -m selfplay.run starts; also after a kill -9 of it)")
    return parser


def _watch_parent(server: Any, parent: int) -> None:
    """Stop ``server`` once this process's parent is no longer ``parent``."""
    while os.getppid() == parent:
        time.sleep(1.0)
    server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parent = os.getppid()  # before the address is printed: the parent waits for it
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.run_dir.is_dir():
        parser.error(f"run directory {str(args.run_dir)!r} does not exist")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    from web.server import WebServer

    try:
        server = WebServer(args.run_dir, args.port, threads=args.threads)
    except (OSError, ValueError) as exc:
        parser.error(f"cannot serve on port {args.port}: {exc}")
    print(f"web page: {server.url}", flush=True)
    # Anything printed from now on goes where errors go (a parent may stop reading stdout).
    os.dup2(2, 1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.exit_with_parent:
        threading.Thread(target=_watch_parent, args=(server, parent), daemon=True,
                         name="parent-watch").start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
