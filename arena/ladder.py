"""``python -m arena.ladder``: the evaluation ladder of a run, with Elo ratings and plots.

Examples::

    python -m arena.ladder --run-dir runs/laptop5
    python -m arena.ladder --run-dir runs/laptop5 --games 100 --playouts 64 \\
        --opponents random,policy,gnugo:0,gnugo:1

The run's promoted checkpoints (``arena.ladder_entrants``) play each other (consecutive
generations) and fixed anchors: the uniform-random player (Elo 0 by definition), each
checkpoint's network alone (one evaluation per move, no search), and GNU Go at the chosen
levels (Chinese rules, positional superko, ``--capture-all-dead``), in even games or
giving the network fixed handicap stones (``gnugo:0:h4``: the network black with four
stones in every game, GNU Go moving first; for networks that lose every even game).
Every game is played by the one match loop (``arena.match_loop``).
Network-against-network and network-against-random games are played in this process
(``arena.players``), many at once, each side's positions (or search leaves) evaluated in
one batch; games against GNU Go go through the GTP referee (``arena.referee``) with the
checkpoint served by ``python -m gtp --checkpoint ...``. The rules (board, komi, move
limit) are the run's.

Results are stored per pairing in ``<run>/ladder/results/`` and reused: a rerun plays only
the missing games (``--games`` more games per pairing adds that many). Ratings are fitted
by maximum likelihood over all the ladder's games (``arena.rating_fit``, random fixed
at 0) and written with their 95% intervals to ``<run>/ladder/ratings.csv``; the figure
goes to ``<run>/ladder/elo.png`` and, with the same numbers, to TensorBoard
(``<run>/ladder/logs``); ``<run>/ladder/report.md`` holds the tables as Markdown.
"""

from __future__ import annotations

import argparse
import csv
import io
import shlex
import shutil
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from arena.ladder_entrants import (
    RANDOM,
    Checkpoint,
    Opponents,
    PlayerSpec,
    plan_pairings,
    promoted_checkpoints,
)
from arena.ladder_plot import RatedPlayer, render_png, write_tensorboard
from arena.ladder_store import LadderStore, LadderStoreError, PairingRecord
from arena.match_loop import play_match
from arena.rating_fit import PairResult, fit_ratings
from arena.referee import MatchError, referee_games
from arena.stats import match_elo, wilson_interval
from rundir.run_dir import RunDir, RunDirError, write_bytes_atomic, write_text_atomic
from rundir.stored_config import read_stored_config

DEFAULT_OPPONENTS = "random,policy,gnugo:0,gnugo:1"
GTP_CHUNK = 10  # GNU Go games between two saves of a pairing's results
CSV_FIELDS = ("player", "kind", "checkpoint", "generation", "version", "training_steps",
              "training_minutes", "playouts", "level", "elo", "elo_low", "elo_high",
              "stderr", "games", "promoted", "handicap")


def default_gnugo() -> str:
    """``gnugo`` on the PATH, else Debian's ``/usr/games/gnugo``."""
    return shutil.which("gnugo") or "/usr/games/gnugo"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m arena.ladder", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    a = parser.add_argument
    a("--run-dir", type=Path, required=True, help="the run directory to evaluate")
    a("--games", type=int, default=40, help="games per pairing, colours alternating "
      "(default 40); stored games count")
    a("--gnugo-games", type=int, default=None, help="games per pairing against GNU Go "
      "(default: --games); these are played one at a time over GTP")
    a("--final-games", type=int, default=None, help="games of the newest network (with "
      "and without search) against the random player and GNU Go (default: --games or "
      "--gnugo-games); more games there tighten the headline win rates")
    a("--playouts", type=int, default=64, help="simulations per move of the network with "
      "search (default 64)")
    a("--opponents", default=DEFAULT_OPPONENTS, help="comma-separated: random, policy "
      "(each checkpoint's network alone), gnugo:<level>, gnugo:<level>:h<stones> (GNU Go "
      "giving the network 2..9 handicap stones) (default %(default)s)")
    a("--parallel", type=int, default=64, help="in-process games played at once")
    a("--resign-threshold", type=float, default=None, help="let the network with search "
      "resign below this value (-1..1); default: never resign on the ladder")
    a("--gnugo", default=None, help="GNU Go binary (default: gnugo on the PATH or "
      "/usr/games/gnugo)")
    a("--move-timeout", type=float, default=120.0, help="seconds a GTP program may take for "
      "one move before it loses the game")
    a("--threads", type=int, default=None, help="CPU threads for TensorFlow")
    a("--seed", type=int, default=0, help="seeds the players (each pairing derives its own)")
    a("--gnugo-generations", default="", help="comma-separated generations that also play "
      "each GNU Go level with search (--gnugo-games each), e.g. 12,18,24 to see whether "
      "strength against GNU Go follows the chain (default: only the newest)")
    a("--minutes", type=float, default=None, help="rate only the checkpoints saved within "
      "this many minutes of training time (the run as it stood then; default: all)")
    a("--rejected", action="store_true", help="rate the candidates the gates rejected too "
      "(the learner's progress, not only the gates' choice)")
    a("--quiet", action="store_true", help="print only the final table")
    return parser


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Opponents:
    """Validate the flags (``parser.error`` naming the bad one); returns the opponents."""
    for name in ("games", "playouts", "parallel", "gnugo_games", "final_games"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {value}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.resign_threshold is not None and not -1 <= args.resign_threshold <= 1:
        parser.error(f"--resign-threshold must be in [-1, 1], got {args.resign_threshold}")
    if not args.move_timeout > 0:
        parser.error(f"--move-timeout must be positive, got {args.move_timeout}")
    if args.minutes is not None and not args.minutes > 0:
        parser.error(f"--minutes must be positive, got {args.minutes}")
    text = getattr(args, "gnugo_generations", None)
    if isinstance(text, str):
        try:
            args.gnugo_generations = tuple(int(g) for g in text.split(",") if g.strip())
        except ValueError:
            parser.error(f"--gnugo-generations must be comma-separated generation numbers, "
                         f"got {text!r}")
    try:
        opponents = Opponents.parse(args.opponents)
    except ValueError as exc:
        parser.error(f"--opponents: {exc}")
    if opponents.gnugo:
        args.gnugo = args.gnugo or default_gnugo()
        if shutil.which(args.gnugo) is None:
            parser.error(f"GNU Go not found at {args.gnugo!r} (install gnugo, pass --gnugo "
                         f"PATH, or leave gnugo:<level> out of --opponents)")
    return opponents


class Ladder:
    """One evaluation of a run directory (see the module docstring).

    Args:
        run_dir: the run. games, playouts, opponents, parallel, gnugo_games, final_games,
        resign_threshold, gnugo, move_timeout, threads, seed, minutes, gnugo_generations,
        rejected: as the command-line flags.
        log: receives one line per finished match and progress messages.
    """

    def __init__(self, run_dir: Path, games: int = 40, playouts: int = 64,
                 opponents: Opponents | None = None, parallel: int = 64,
                 gnugo_games: int | None = None, final_games: int | None = None,
                 resign_threshold: float | None = None, gnugo: str | None = None,
                 move_timeout: float = 120.0, threads: int | None = None, seed: int = 0,
                 minutes: float | None = None, gnugo_generations: tuple[int, ...] = (),
                 rejected: bool = False, log: Callable[[str], None] = print) -> None:
        self.run_dir = RunDir(run_dir)
        if not self.run_dir.exists():
            raise RunDirError(f"{self.run_dir.root}: not a run directory (no config.toml)")
        self.config = read_stored_config(self.run_dir)
        self.rules = self.config.rules
        self.games = games
        self.gnugo_games = games if gnugo_games is None else gnugo_games
        self.final_games = final_games
        self.playouts = playouts
        self.opponents = opponents or Opponents.parse(DEFAULT_OPPONENTS)
        self.parallel = parallel
        self.resign_threshold = resign_threshold
        self.gnugo = gnugo or default_gnugo()
        self.move_timeout = move_timeout
        self.threads = threads
        self.seed = seed
        self.minutes = minutes
        self.log = log
        self.root = self.run_dir.root / "ladder"
        self.store = LadderStore(self.root / "results")
        self.checkpoints = promoted_checkpoints(self.run_dir, rejected=rejected)
        if minutes is not None:
            self.checkpoints = [c for c in self.checkpoints
                                if c.training_seconds <= 60.0 * minutes]
            if not self.checkpoints:
                raise RunDirError(f"{self.run_dir.root}: no promoted checkpoint within "
                                  f"{minutes:g} minutes of training")
        self.pairings = plan_pairings(self.checkpoints, self.opponents, playouts,
                                      resign_threshold, gnugo_generations)
        self._evaluators: dict[str, Any] = {}
        self.games_played = 0

    # ------------------------------------------------------------------ playing
    def play(self) -> list[PairingRecord]:
        """Play every pairing's missing games; returns the records of all pairings."""
        records = []
        for a, b in self.pairings:
            record = self.store.load(a.name, b.name, a.to_json(), b.to_json())
            missing = self.wanted(a, b) - record.played
            if missing > 0:
                started = time.perf_counter()
                if a.in_process and b.in_process:
                    self._play_in_process(record, a, b, missing)
                else:
                    self._play_gtp(record, a, b, missing)
                self.log(f"{a.name} vs {b.name}: {record.a_points:g}/{record.played} "
                         f"({missing} new games, {time.perf_counter() - started:.0f} s)")
            records.append(record)
        return records

    def wanted(self, a: PlayerSpec, b: PlayerSpec) -> int:
        """Games the pairing ``a`` against ``b`` should have."""
        games = self.games if a.in_process and b.in_process else self.gnugo_games
        newest = self.checkpoints[-1]
        if (self.final_games is not None and a.checkpoint == newest
                and b.kind in ("random", "gnugo")):
            games = max(games, self.final_games)
        return games

    def _pair_seed(self, record: PairingRecord) -> int:
        text = f"{self.seed}:{record.a}:{record.b}:{record.played}"
        return zlib.crc32(text.encode())

    def _evaluator(self, checkpoint: Checkpoint, seed: int):
        from network import NetworkEvaluator, load_checkpoint, network_config_of

        if checkpoint.name not in self._evaluators:
            model, _ = load_checkpoint(checkpoint.path,
                                       expect_board_size=self.rules.size)
            self._evaluators[checkpoint.name] = NetworkEvaluator(
                model, network_config_of(model), seed=seed, random_symmetry=True)
        return self._evaluators[checkpoint.name]

    def player(self, spec: PlayerSpec, seed: int):
        """A fresh player for ``spec`` (in-process kinds only), seeded with ``seed``."""
        from arena.players import BatchedSearchPlayer, PolicyPlayer, RandomPlayer

        if spec.kind == "random":
            return RandomPlayer(seed, name=spec.name)
        assert spec.checkpoint is not None
        evaluator = self._evaluator(spec.checkpoint, seed)
        if spec.kind == "policy":
            return PolicyPlayer(evaluator, spec.name)
        return BatchedSearchPlayer.engine_like(evaluator, spec.name, spec.playouts or 1,
                                               resign_threshold=spec.resign_threshold,
                                               seed=seed)

    def _play_in_process(self, record: PairingRecord, a: PlayerSpec, b: PlayerSpec,
                         games: int) -> None:
        seed = self._pair_seed(record)
        self.play_players(record, self.player(a, seed), self.player(b, seed + 1), games)

    def play_players(self, record: PairingRecord, player_a: Any, player_b: Any,
                     games: int, store: LadderStore | None = None) -> None:
        """Play ``games`` more games of ``record`` in this process between the two players,
        saving them to ``store`` (default: this ladder's) as they finish."""
        store = store or self.store
        save_every = max(1, min(self.parallel, games) // 2)
        pending = 0

        def on_game(outcome) -> None:
            nonlocal pending
            record.games.append(outcome)
            self.games_played += 1
            pending += 1
            if pending >= save_every:
                store.save(record)
                pending = 0

        play_match(player_a, player_b, self.rules, games, parallel=self.parallel,
                   first_colour=record.next_colour(), on_game=on_game)
        store.save(record)

    def gtp_command(self, spec: PlayerSpec, seed: int) -> str:
        """The command line that serves ``spec`` over GTP."""
        if spec.kind == "gnugo":
            # --capture-all-dead: GNU Go plays on until every dead stone is off the board,
            # so that the project's area count (Tromp-Taylor) of the final position is
            # GNU Go's own count; without it GNU Go passes with its opponent's dead stones
            # still standing in its area, where area scoring counts them for the opponent
            return shlex.join([self.gnugo, "--mode", "gtp", "--level", str(spec.level),
                               "--chinese-rules", "--positional-superko",
                               "--capture-all-dead"])
        if spec.kind not in ("policy", "search") or spec.checkpoint is None:
            raise ValueError(f"{spec.name} cannot be served over GTP")
        playouts = 1 if spec.kind == "policy" else spec.playouts
        threshold = -1.0 if spec.resign_threshold is None else spec.resign_threshold
        argv = [sys.executable, "-m", "gtp", "--checkpoint", str(spec.checkpoint.path),
                "--playouts", str(playouts), "--batch", "8", "--resign-threshold",
                f"{threshold:g}", "--seed", str(seed), "--komi", f"{self.rules.komi:g}"]
        if self.threads is not None:
            argv += ["--threads", str(self.threads)]
        return shlex.join(argv)

    def _play_gtp(self, record: PairingRecord, a: PlayerSpec, b: PlayerSpec,
                  games: int) -> None:
        while games > 0:
            chunk = min(GTP_CHUNK, games)
            seed = self._pair_seed(record) % (2**31)
            # a handicap anchor gives the stones: the network is black in every game
            handicap = b.handicap
            outcomes = referee_games(
                self.gtp_command(a, seed), self.gtp_command(b, seed + 1), self.rules, chunk,
                first_colour=1 if handicap else record.next_colour(),
                move_timeout=self.move_timeout, handicap=handicap)
            record.games.extend(outcomes)
            self.games_played += len(outcomes)
            self.store.save(record)
            games -= chunk

    # ------------------------------------------------------------------ rating
    def rate(self, records: Sequence[PairingRecord]) -> list[RatedPlayer]:
        """Maximum-likelihood Elo of every player of ``records`` (random fixed at 0)."""
        results = [PairResult(r.a, r.b, r.played, r.a_points) for r in records if r.played]
        if not results:
            raise ValueError("no games to rate")
        specs = {spec.name: spec for pair in self.pairings for spec in pair}
        anchor = RANDOM if RANDOM in specs else self.pairings[0][0].name
        ratings = fit_ratings(results, anchor=anchor)
        rows = []
        for name, rating in ratings.items():
            spec = specs[name]
            c = spec.checkpoint
            low, high = rating.interval
            rows.append(RatedPlayer(
                player=name, kind=spec.kind, checkpoint=c.name if c else None,
                generation=c.generation if c else None, version=c.version if c else None,
                training_steps=c.training_steps if c else None,
                training_minutes=c.training_seconds / 60 if c else None,
                playouts=spec.playouts, level=spec.level, elo=rating.elo, elo_low=low,
                elo_high=high, stderr=rating.stderr, games=rating.games,
                promoted=c.promoted if c else None,
                handicap=spec.handicap if spec.kind == "gnugo" else None))
        order = {"random": 0, "search": 1, "policy": 2, "gnugo": 3}
        rows.sort(key=lambda r: (order[r.kind], r.generation or 0, r.level or 0,
                                 r.handicap or 0))
        return rows

    # ------------------------------------------------------------------ writing
    def write(self, rows: Sequence[RatedPlayer], records: Sequence[PairingRecord]
              ) -> dict[str, Path]:
        """``ratings.csv``, ``elo.png``, ``report.md`` and TensorBoard logs in ``ladder/``."""
        self.root.mkdir(parents=True, exist_ok=True)
        out = {"csv": self.root / "ratings.csv", "png": self.root / "elo.png",
               "report": self.root / "report.md", "logs": self.root / "logs"}
        write_text_atomic(out["csv"], ratings_csv(rows))
        n = self.rules.size
        title = (f"{self.config.name}: {n}x{n}, komi {self.rules.komi:g}, network "
                 f"{self.config.network.name}")
        png = render_png(rows, title)
        write_bytes_atomic(out["png"], png)
        write_text_atomic(out["report"], report_markdown(rows, records, self))
        write_tensorboard(out["logs"], rows, png)
        return out

    def run(self) -> tuple[list[RatedPlayer], dict[str, Path]]:
        """Play, rate, write; returns the rows and the files written."""
        records = self.play()
        rows = self.rate(records)
        return rows, self.write(rows, records)


def ratings_csv(rows: Sequence[RatedPlayer]) -> str:
    """The ``ratings.csv`` text (``CSV_FIELDS``; empty cells where a field does not apply)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in rows:
        values = []
        for name in CSV_FIELDS:
            value = getattr(r, name)
            if value is None:
                values.append("")
            elif isinstance(value, float):
                values.append(f"{value:.1f}" if name != "training_minutes" else f"{value:.2f}")
            else:
                values.append(str(value))
        writer.writerow(values)
    return buffer.getvalue()


def _rate_text(points: float, games: int) -> str:
    if not games:
        return "-"
    elo = match_elo(points, games)
    return f"{100 * points / games:.1f}% of {games} (Elo {elo.elo:+.0f})"


def report_markdown(rows: Sequence[RatedPlayer], records: Sequence[PairingRecord],
                    ladder: Ladder) -> str:
    """Two Markdown tables: Elo per generation; the newest network's results."""
    lines = ["| generation | steps | minutes | Elo with search | Elo alone |",
             "|---:|---:|---:|---:|---:|"]
    by_player = {r.player: r for r in rows}

    def cell(name: str) -> str:
        r = by_player.get(name)
        if r is None:
            return "-"
        return f"{r.elo:+.0f} [{r.elo_low:+.0f}, {r.elo_high:+.0f}]"

    for c in ladder.checkpoints:
        mark = "" if c.promoted else " (rejected)"
        lines.append(f"| {c.generation}{mark} | {c.training_steps} | "
                     f"{c.training_seconds / 60:.1f} "
                     f"| {cell(f'{c.stem}.p{ladder.playouts}')} | {cell(f'{c.stem}.policy')} |")
    newest = ladder.checkpoints[-1]
    lines += ["", f"Newest network ({newest.name}, generation {newest.generation}): share of "
              f"points (wins + half draws) against each opponent.", "",
              f"| opponent | with search ({ladder.playouts} playouts) | alone (no search) |",
              "|---|---:|---:|"]
    pairs = {(r.a, r.b): r for r in records}
    anchors = [PlayerSpec("gnugo", level=level, handicap=stones).name
               for level, stones in ladder.opponents.gnugo]
    for opponent in [RANDOM] + anchors:
        cells = []
        for suffix in (f"p{ladder.playouts}", "policy"):
            r = pairs.get((f"{newest.stem}.{suffix}", opponent))
            cells.append(_rate_text(r.a_points, r.played) if r else "-")
        lines.append(f"| {opponent} | {cells[0]} | {cells[1]} |")
    against_gnugo = [r for r in records if r.b.startswith("gnugo.") and r.played
                     and r.a.endswith(f".p{ladder.playouts}")]
    if len(against_gnugo) > len(anchors):
        lines += ["", "Generations against GNU Go (with search; Wilson 95% interval):", "",
                  "| player | GNU Go | points | share [95%] |", "|---|---|---:|---:|"]
        for r in against_gnugo:
            low, high = wilson_interval(r.a_points, r.played)
            lines.append(f"| {r.a} | {r.b} | {r.a_points:g}/{r.played} | "
                         f"{100 * r.a_points / r.played:.0f}% [{100 * low:.0f}, "
                         f"{100 * high:.0f}] |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the ladder; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    opponents = check_args(parser, args)
    from network import CheckpointError, backend

    backend.configure(gpu_memory_growth=True, threads=args.threads)
    log = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        ladder = Ladder(args.run_dir, games=args.games, playouts=args.playouts,
                        opponents=opponents, parallel=args.parallel,
                        gnugo_games=args.gnugo_games, final_games=args.final_games,
                        resign_threshold=args.resign_threshold, gnugo=args.gnugo,
                        move_timeout=args.move_timeout, threads=args.threads,
                        seed=args.seed, minutes=args.minutes,
                        gnugo_generations=args.gnugo_generations,
                        rejected=args.rejected, log=log)
        started = time.perf_counter()
        rows, files = ladder.run()
    except (RunDirError, LadderStoreError, CheckpointError, MatchError, OSError,
            ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_ratings(rows, ladder.games_played, time.perf_counter() - started, files)
    return 0


def print_ratings(rows: Sequence[RatedPlayer], new_games: int, seconds: float,
                  files: dict[str, Path], width: int = 28) -> None:
    """The final table on standard output: each player's Elo, 95% interval and games,
    then the new games played and the files written."""
    print(f"{'player':<{width}}{'Elo':>8}{'95% interval':>20}{'games':>8}")
    for r in rows:
        interval = f"[{r.elo_low:+.0f}, {r.elo_high:+.0f}]"
        print(f"{r.player:<{width}}{r.elo:>+8.0f}{interval:>20}{r.games:>8.0f}")
    print(f"{new_games} new games in {seconds:.0f} s; wrote "
          + ", ".join(str(p) for p in files.values()))


if __name__ == "__main__":
    sys.exit(main())
