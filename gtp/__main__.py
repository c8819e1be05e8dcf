"""``python -m gtp``: the GTP engine over a checkpoint (or a fresh network) on stdin/stdout.

Examples::

    python -m gtp --checkpoint runs/my-run                # the run's best checkpoint
    python -m gtp --checkpoint runs/my-run/checkpoints/ckpt-1000.keras --playouts 400
    python -m gtp --random-network --board-size 9 --playouts 50 --seed 1

Everything the engine logs goes to stderr; stdout carries GTP only (stray output of
libraries is sent to stderr too).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; see ``--help``."""
    parser = argparse.ArgumentParser(prog="python -m gtp", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="a .keras checkpoint, or a run directory "
                                             "(its checkpoints/best)")
    source.add_argument("--random-network", action="store_true",
                        help="a freshly initialised network (see --preset, --board-size)")
    parser.add_argument("--preset", default="cpu9", help="network preset for --random-network")
    parser.add_argument("--board-size", type=int, default=None,
                        help="board size for --random-network (default: the preset's)")
    parser.add_argument("--playouts", type=int, default=None,
                        help="simulations per move (default 200 when no time limit is set)")
    parser.add_argument("--seconds-per-move", type=float, default=None,
                        help="thinking time per move when the controller sets no clock")
    parser.add_argument("--batch", type=int, default=8,
                        help="leaves evaluated together per tree (virtual loss)")
    parser.add_argument("--max-playouts", type=int, default=20000,
                        help="cap on the simulations of one search or analysis")
    parser.add_argument("--resign-threshold", type=float, default=-0.9,
                        help="resign when the value for the side to move is below this "
                             "(-1..1); -1 never resigns")
    parser.add_argument("--seed", type=int, default=None, help="seed of the search and "
                        "of the random symmetries (and of --random-network's weights)")
    parser.add_argument("--komi", type=float, default=7.5, help="komi until 'komi' is sent")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for the network")
    parser.add_argument("--cpu", action="store_true", help="do not use a GPU")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16", "float16"),
                        default="auto", help="the network's arithmetic: auto (default: "
                        "measured on this machine at start, bfloat16/float16 only where "
                        "faster) or forced")
    args = parser.parse_args(argv)
    for name in ("playouts", "batch", "max_playouts", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.seconds_per_move is not None and not args.seconds_per_move > 0:
        parser.error(f"--seconds-per-move must be positive, got {args.seconds_per_move}")
    if not -1 <= args.resign_threshold <= 1:
        parser.error(f"--resign-threshold must be in [-1, 1], got {args.resign_threshold}")
    from gtp.game_state import check_komi

    try:
        args.komi = check_komi(args.komi)
    except ValueError as exc:
        parser.error(f"--komi: {exc}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Load the network, then serve GTP until ``quit`` or end of input."""
    args = parse_args(argv)
    # GTP owns the real stdout; anything else printing to fd 1 lands on stderr.
    sys.stdout.flush()
    gtp_out = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), encoding="utf-8", newline="\n",
                               line_buffering=False)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    gtp_in = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace",
                              newline="\n")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from gtp.network_source import (
        load_network,
        network_in_precision,
        random_network,
        resolve_checkpoint,
    )

    if args.checkpoint is not None:  # refuse a bad path before TensorFlow loads
        try:
            resolve_checkpoint(args.checkpoint)
        except (OSError, ValueError) as exc:
            print(f"cannot load the network: {exc}", file=sys.stderr)
            return 2
    if args.cpu:
        from network import backend

        backend.hide_gpus()
    from gtp.engine import VERSION, GtpEngine
    from gtp.search_player import PlayerConfig
    from network import NetworkEvaluator, backend

    backend.configure(gpu_memory_growth=True, threads=args.threads)
    try:
        if args.random_network:
            model, config = random_network(args.preset, args.board_size, args.seed)
            origin = "random"
        else:
            model, config, _, file = load_network(args.checkpoint)
            origin = file.stem
        model, choice = network_in_precision(model, config, args.precision,
                                             batch=args.batch)
    except (OSError, ValueError) as exc:
        print(f"cannot load the network: {exc}", file=sys.stderr)
        return 2
    evaluator = NetworkEvaluator(model, config, seed=args.seed, random_symmetry=True)
    player = PlayerConfig(
        playouts=args.playouts, seconds_per_move=args.seconds_per_move,
        leaves_per_tree=args.batch, max_playouts=args.max_playouts,
        resign_threshold=None if args.resign_threshold <= -1 else args.resign_threshold)
    engine = GtpEngine(evaluator, player, seed=args.seed, komi=args.komi,
                       version=f"{VERSION} ({config.name} {origin})")
    print(f"zerogo GTP engine ready: {config.name} on {config.board_size}x"
          f"{config.board_size}, network {origin}, precision {choice.describe()}",
          file=sys.stderr, flush=True)
    engine.serve(gtp_in, gtp_out)
    return 0


def run() -> None:
    """Entry point (``python -m gtp``, console scripts): ``main()``, then exit at once.

    The stdin reader thread may still sit in a blocking read; leaving without the
    interpreter's shutdown avoids waiting for (or aborting on) that read.
    """
    code = main()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
