"""``python -m arena.match`` (``zerogo-match``): two GTP programs play each other, refereed.

``python -m arena.match --black "CMD" --white "CMD" --games N --size 9 --komi 7.5
--sgf-dir DIR [--alternate] [--handicap H]`` plays N games through ``arena.referee.referee_match``:
program A is the ``--black`` command and program B the ``--white`` one; with
``--alternate`` they swap colours every other game. One line per finished game, then a
table of wins, the win rate with a 95% confidence interval and the Elo difference.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from arena.referee import MatchError, referee_match
from gtp.client import GtpClientError


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: play the match, print one line per game, then the table."""
    parser = argparse.ArgumentParser(
        prog="python -m arena.match", description="Play two GTP programs against each other.")
    parser.add_argument("--black", required=True, help="command of program A (black first)")
    parser.add_argument("--white", required=True, help="command of program B (white first)")
    parser.add_argument("--games", type=int, default=2)
    parser.add_argument("--size", type=int, default=9)
    parser.add_argument("--komi", type=float, default=7.5)
    parser.add_argument("--sgf-dir", default=None, help="write game-NNNN.sgf files here")
    parser.add_argument("--alternate", action="store_true", help="swap colours every game")
    parser.add_argument("--max-moves", type=int, default=None,
                        help="count a game after this many moves (default 3 * size^2)")
    parser.add_argument("--move-timeout", type=float, default=60.0,
                        help="seconds one genmove may take before the mover loses")
    parser.add_argument("--handicap", type=int, default=0,
                        help="fixed handicap stones for black (2..9 on 9x9), white moving "
                             "first (default 0: none)")
    args = parser.parse_args(argv)
    try:
        result = referee_match(
            args.black, args.white, args.games, args.size, args.komi, args.sgf_dir,
            args.alternate, args.max_moves, args.move_timeout,
            report=lambda line: print(line, flush=True), handicap=args.handicap)
    except (MatchError, ValueError, GtpClientError) as exc:
        print(f"match failed: {exc}", file=sys.stderr)
        return 2
    print(result.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
