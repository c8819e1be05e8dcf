"""``python -m selfplay.run``: train a Go network from zero by self-play on Ray.

Examples::

    python -m selfplay.run --workers 32                  # 9x9 on this machine (cpu9)
    python -m selfplay.run --preset agz19 --address auto  # AlphaGo Zero's 19x19 on a cluster
    python -m selfplay.run --run-dir runs/mine            # resume that run

Settings come from the preset, then ``--config FILE`` (TOML with the tables ``[rules]``,
``[network]``, ``[search]``, ``[train]``, ``[pipeline]`` of ``rundir.config``), then the
flags. The resolved settings are written to ``<run-dir>/config.toml``; running again with
the same ``--run-dir`` resumes that run (flags may change how it runs, not its board or
network).

A run started with the default ``--address local`` starts a Ray of its own that listens
on 127.0.0.1 only (``selfplay.ray_session``). The terminal shows the run's own messages
and a live panel (a status line per interval when the output is not a terminal, or with
``--plain``); what TensorFlow, Ray and the actors print goes to
``<run-dir>/logs/run.log`` unless ``--verbose`` (``selfplay.run_output``). The run's web
page (``python -m web``, in a process of its own: ``selfplay.web_page``) is served on
127.0.0.1 and its address printed (``--web-port``, ``--no-web``). When the run stops
(also on Ctrl-C) it prints a summary and the commands to play its best network and to
rate it (``selfplay.run_summary``).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rundir import config as run_config
from rundir.config import RunConfig
from rundir.run_dir import RunDir, RunDirError, write_text_atomic
from rundir.stored_config import read_stored_config
from rundir.toml_config import ConfigError, load_toml
from selfplay.ray_session import LOCAL, RayStartError, listen_on_loopback_only, start_ray
from selfplay.run_output import LOG_NAME, RunOutput
from selfplay.run_summary import summary_lines
from selfplay.web_page import WebPage


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def _port(text: str) -> int:
    value = _int_at_least(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number up to 65535, got {value}")
    return value


def _number(low: float, open_low: bool = False, high: float = math.inf
            ) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < low or (open_low and value == low) \
                or value > high:
            bounds = f"{'>' if open_low else '>='} {low:g}" + (
                f" and <= {high:g}" if high < math.inf else "")
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {text}")
        return value
    return parse


NONE = "none"
"""What ``--resign-threshold none`` parses to: set the field to ``None`` (never resign)."""


def _resign_threshold(text: str) -> float | str:
    if text.strip().lower() == NONE:
        return NONE
    value = _number(-1.0, high=1.0)(text)
    if value >= 0:
        raise argparse.ArgumentTypeError(f"must be below 0 (a losing value) or 'none', "
                                         f"got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m selfplay.run", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    a = parser.add_argument
    a("--workers", type=_int_at_least(1), help="self-play worker processes (no TensorFlow "
      "in them; many per core is fine); cpu9: 4, agz19: 32")
    a("--games-per-worker", type=_int_at_least(1),
      help="games each worker plays at once, their leaves batched together (cpu9: 32, "
      "agz19: 32)")
    a("--address", default="local", help="Ray cluster to join: 'auto' (the cluster this "
      "machine belongs to) or HOST:PORT; default 'local': start a new Ray on this machine")
    a("--run-dir", type=Path, help="the run directory (default runs/<name>); an existing "
      "one is resumed")
    a("--name", help="run name (default <preset>-<network>-<N>x<N>)")
    a("--preset", choices=sorted(run_config.RUN_PRESETS),
      help="starting settings: cpu9 (9x9, CPU-sized network, the default) or agz19 "
      "(AlphaGo Zero's 19x19, 20 blocks x 256)")
    a("--board-size", type=_int_at_least(2), help="board size N; must match the network "
      "(the presets' networks are built for their board: use --network tiny or a "
      "[network] table for other sizes)")
    a("--network", help="network shape: 'tiny' (2 blocks x 16, for tests) or a "
      "network.PRESETS name (cpu9, cpu9_fast, agz19)")
    a("--config", type=Path, help="TOML file with [rules] [network] [search] [train] "
      "[pipeline] tables overriding the preset (flags override it)")
    a("--komi", type=_number(-1000), help="komi (default 7.5)")
    a("--max-moves", type=_int_at_least(1), help="move limit per game, passes included "
      "(default 2 N^2)")
    a("--simulations", type=_int_at_least(1), help="MCTS simulations per move in self-play "
      "(cpu9: 100, agz19: 800)")
    a("--resign-threshold", type=_resign_threshold, help="self-play resigns below this "
      "value (-1..0, then calibrated from the resign-disabled games as AlphaGo Zero did), "
      "or 'none': games are played out (cpu9: none, agz19: -0.9)")
    a("--gate-games", type=_int_at_least(0), help="games per gate match, candidate vs best "
      "(default 400; 0: no match, every candidate is promoted at once, as in AlphaZero)")
    a("--gate-threshold", type=_number(0, high=1), help="win rate that promotes a "
      "candidate (default 0.55; 0 promotes every candidate after its match)")
    a("--gate-sprt", action=argparse.BooleanOptionalAction, default=None,
      help="end gate matches early by a sequential probability ratio test (default on)")
    a("--gate-simulations", type=_int_at_least(1), help="simulations per move in gate "
      "games (default: as self-play)")
    a("--generations", type=_int_at_least(1), help="stop after this many gate matches "
      "(promotions with --gate-games 0) in this session, whatever their outcome (default: "
      "run until stopped)")
    a("--minutes", type=_number(0, open_low=True), help="stop after this many minutes "
      "(default: run until stopped)")
    a("--steps-per-generation", type=_int_at_least(1), help="learner steps between "
      "candidate checkpoints (cpu9: 200, agz19: 1000)")
    a("--first-generation-steps", type=_int_at_least(1), help="learner steps to the "
      "first candidate (cpu9: 80, agz19: the steps per generation)")
    a("--batch-size", type=_int_at_least(1), help="training batch size (cpu9: 128)")
    a("--window", type=_int_at_least(1),
      help="replay window floor in positions; it grows with the run up to the config's "
           "window_max (cpu9: 50000, cap 500000)")
    a("--train-start", type=_int_at_least(0), help="positions at which the learner reaches "
      "its full pace; it takes its first step at a quarter of them (cpu9: 2000)")
    a("--samples-per-position", type=_number(0, open_low=True), help="positions the "
      "learner samples per new self-play position (cpu9: 2)")
    a("--gpus-per-inference", type=_number(0), help="GPUs per inference server (default: "
      "1 per GPU when the cluster has GPUs, else 0 and two CPU servers per machine)")
    a("--inference-servers", type=_int_at_least(1), help="number of inference servers "
      "(default: one per GPU, or two per machine without GPUs, one on a 1-CPU machine)")
    a("--sgf-every", type=_int_at_least(0), help="save every n-th game as SGF (0: none)")
    a("--status-every", type=_number(0, open_low=True),
      help="seconds between status lines (default 2)")
    a("--seed", type=_int_at_least(0), help="random seed of the run (default 0)")
    a("--web-port", type=_port, default=0, help="port of the run's web page on "
      "127.0.0.1 (default 0: a free port, printed at the start)")
    a("--no-web", action="store_true", help="do not serve the run's web page")
    a("--precision", choices=run_config.PRECISION_SETTINGS,
      help="precision of the inference servers' and the learner's networks: auto "
      "(default: each measures its device at start, bfloat16/float16 only where faster) "
      "or forced; checkpoints stay float32")
    a("--verbose", action="store_true", help="show the messages of TensorFlow, Ray and the "
      "actors on the terminal (by default they go to <run-dir>/logs/run.log); implies "
      "--plain")
    a("--plain", action="store_true", help="a status line per interval instead of the live "
      "panel, also on a terminal (what a log file or CI gets anyway)")
    return parser


# flag -> (part, field) of RunConfig
_FLAGS = {
    "workers": ("pipeline", "workers"),
    "games_per_worker": ("pipeline", "games_per_worker"),
    "komi": ("rules", "komi"),
    "max_moves": ("rules", "max_moves"),
    "simulations": ("search", "num_simulations"),
    "resign_threshold": ("search", "resign_threshold"),
    "gate_games": ("pipeline", "gate_games"),
    "gate_threshold": ("pipeline", "gate_threshold"),
    "gate_sprt": ("pipeline", "gate_sprt"),
    "gate_simulations": ("pipeline", "gate_simulations"),
    "generations": ("pipeline", "generations"),
    "minutes": ("pipeline", "minutes"),
    "steps_per_generation": ("pipeline", "steps_per_generation"),
    "first_generation_steps": ("pipeline", "first_generation_steps"),
    "batch_size": ("train", "batch_size"),
    "window": ("pipeline", "window"),
    "train_start": ("pipeline", "train_start"),
    "samples_per_position": ("pipeline", "samples_per_position"),
    "gpus_per_inference": ("pipeline", "gpus_per_inference"),
    "inference_servers": ("pipeline", "inference_servers"),
    "sgf_every": ("pipeline", "sgf_every"),
    "status_every": ("pipeline", "status_every"),
    "seed": ("pipeline", "seed"),
    "precision": ("pipeline", "precision"),
}


def resolve_config(args: argparse.Namespace) -> tuple[RunConfig, RunDir]:
    """The run's config and directory from the flags, the TOML file and a stored run.

    Raises ``ConfigError`` (bad values or files, changes a resumed run cannot take) or
    ``RunDirError`` (a stored config that cannot be read).
    """
    doc: dict[str, Any] = load_toml(args.config) if args.config else {}
    where = str(args.config) if args.config else "config"
    preset_name = args.preset or doc.get("preset") or "cpu9"
    base = run_config.preset(preset_name)
    rules_table = doc.get("rules") if isinstance(doc.get("rules"), dict) else {}
    board = args.board_size or rules_table.get("size") or base.rules.size
    config = _apply(base, doc, where, board, args)
    if args.name is None and "name" not in doc:
        config = dataclasses.replace(config, name=run_config.default_name(config))
    run_dir = RunDir(args.run_dir or Path("runs") / config.name)
    if run_dir.exists():
        stored = read_stored_config(run_dir)
        if args.preset and args.preset != stored.preset:
            raise ConfigError(f"{run_dir.root} holds a {stored.preset} run; it cannot be "
                              f"resumed as {args.preset} (use another --run-dir)")
        resumed = _apply(stored, doc, where, stored.rules.size if args.board_size is None
                         else args.board_size, args, preset_doc=False)
        run_config.check_unchanged(stored, resumed, str(run_dir.root))
        config = resumed
    return config, run_dir


def _apply(base: RunConfig, doc: dict[str, Any], where: str, board: int,
           args: argparse.Namespace, preset_doc: bool = True) -> RunConfig:
    if doc:
        body = {k: v for k, v in doc.items() if preset_doc or k != "preset"}
        config = RunConfig.from_toml_document(body, where, base=base)
    else:
        config = base
    try:
        rules, network = config.rules, config.network
        if args.network:
            network = run_config.network_by_name(args.network, board)
        if args.board_size and args.board_size != rules.size:
            rules = dataclasses.replace(rules, size=args.board_size,
                                        max_moves=2 * args.board_size ** 2)
        config = dataclasses.replace(config, rules=rules, network=network)
        parts: dict[str, dict[str, Any]] = {}
        for flag, (part, key) in _FLAGS.items():
            value = getattr(args, flag)
            if value is not None:
                parts.setdefault(part, {})[key] = None if value == NONE else value
        for part, values in parts.items():
            config = dataclasses.replace(
                config, **{part: dataclasses.replace(getattr(config, part), **values)})
        if args.name:
            config = dataclasses.replace(config, name=args.name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return config


def main(argv: list[str] | None = None) -> int:
    """Run (or resume) a training run; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config, run_dir = resolve_config(args)
    except (ConfigError, RunDirError) as exc:
        parser.error(str(exc))
    if args.address == LOCAL:
        # Before anything imports Ray: a Ray started for this run listens on 127.0.0.1 only.
        listen_on_loopback_only()
    try:  # one run at a time in a run directory; the lock goes when this process ends
        lock = run_dir.lock().acquire()
    except RunDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with lock:
        return _session(args, config, run_dir)


def _session(args: argparse.Namespace, config: RunConfig, run_dir: RunDir) -> int:
    """One session of the run in ``run_dir`` (whose lock the caller holds)."""
    from selfplay.driver import Pipeline
    from selfplay.game_record import GameRecordError

    with RunOutput(verbose=args.verbose, plain=args.plain) as out:
        pipeline = Pipeline(config, run_dir, log=out.log, status=out.status)
        try:
            pipeline.prepare()
        except (RunDirError, GameRecordError) as exc:
            out.error(f"error: run directory {run_dir.root} is not usable: {exc}")
            return 2
        return _run_on_ray(args, config, run_dir, pipeline, out)


def _run_on_ray(args: argparse.Namespace, config: RunConfig, run_dir: RunDir, pipeline: Any,
                out: RunOutput) -> int:
    """Start or join Ray and run ``pipeline`` there, the libraries' output in the log."""
    import ray

    from selfplay.placement import PlacementError

    out.divert(run_dir.logs_dir / LOG_NAME)
    if out.log_path is not None:
        out.log(f"messages of TensorFlow, Ray and the actors: {out.log_path} "
                f"(--verbose shows them here)")
    try:
        started_here, dashboard = start_ray(args.address)
    except RayStartError as exc:
        out.error(f"error: {exc}")
        return 2
    if started_here and dashboard:
        out.log(f"Ray dashboard: {dashboard}")
    web = WebPage(run_dir.root, args.web_port)
    try:
        if not args.no_web:
            url = web.start()
            out.log(f"web page: {url}" if url else f"warning: {web.error}")
        write_text_atomic(run_dir.config_path, config.to_toml())
        pipeline.run()
        out.end_panel()
        for line in summary_lines(pipeline.state, run_dir.root):
            out.log(line)
        if pipeline.failed:
            return 1
    except PlacementError as exc:
        out.error(f"error: {exc}")
        return 2
    finally:
        web.stop()
        if started_here:
            ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
