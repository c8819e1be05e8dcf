"""``python -m arena.compare``: several runs rated on one Elo scale (A/B tests at equal compute).

Example (the A/B of docs/learning.md)::

    python -m arena.compare --run-dir runs/laptop9 --run-dir runs/agz9 --minutes 60 \\
        --games 10 --cross-games 10 --final-games 100 --gnugo-games 20 --playouts 100 \\
        --opponents random,gnugo:0 --out runs/ab9

Each run's own ladder (``arena.ladder``: its promoted checkpoints up to ``--minutes`` of
training time, ``--games`` per pairing of consecutive generations and against the random
player, ``--gnugo-games`` of the newest against each GNU Go level) is played and stored in
its run directory as usual, so games already there are reused. Then
the runs meet, every pair of them: each promoted checkpoint plays, with search, the other
run's checkpoint closest to it in training time (``--cross-games``), and the two newest
checkpoints, and the two best (the newest promoted, which each run would play with), play
each other ``--final-games`` games (the A/B's headline: which run's network is stronger
after the same time). These games are stored in ``<out>/results/``
under player names prefixed with the run's label. One maximum-likelihood fit over every
game (random fixed at 0) rates every player; ``<out>/ratings.csv`` (with a ``run``
column), ``<out>/elo.png`` (Elo against training time, one line per run) and
``<out>/report.md`` are written.

The runs must share their rules (board, komi, move limit); equal compute is the caller's
part: the same machine and the same ``--minutes`` of training time.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from arena.ladder import (
    DEFAULT_OPPONENTS,
    Ladder,
    check_args,
    print_ratings,
    ratings_csv,
)
from arena.ladder_entrants import RANDOM, Checkpoint, PlayerSpec
from arena.ladder_plot import RatedPlayer, render_comparison_png
from arena.ladder_store import LadderStore, LadderStoreError, PairingRecord, check_player_name
from arena.rating_fit import PairResult, fit_ratings
from arena.referee import MatchError
from arena.stats import match_elo, wilson_interval
from rundir.run_dir import RunDirError, write_bytes_atomic, write_text_atomic

CrossPair = tuple[int, PlayerSpec, int, PlayerSpec]
"""``(run index a, a's player, run index b, b's player)``: one cross-run pairing."""


def nearest(checkpoints: Sequence[Checkpoint], seconds: float) -> Checkpoint:
    """The checkpoint whose training time is closest to ``seconds`` (the older on a tie)."""
    return min(checkpoints, key=lambda c: (abs(c.training_seconds - seconds),
                                           c.training_seconds))


def newest_promoted(checkpoints: Sequence[Checkpoint]) -> Checkpoint:
    """The run's best network: its newest promoted checkpoint (the first one, the initial
    network, counts as promoted)."""
    return next((c for c in reversed(checkpoints) if c.promoted), checkpoints[0])


def plan_cross(runs: Sequence[Sequence[Checkpoint]], playouts: int,
               resign_threshold: float | None = None) -> list[CrossPair]:
    """Cross-run pairings, for every pair of runs ``i < j``: each checkpoint of either run
    against the other run's closest in training time (each pairing once), ``i``'s
    player first. The newest of ``i`` against the newest of ``j``, and the best against
    the best (``newest_promoted``: what each run would play with, which differs from the
    newest when its last candidates were rejected) are always among them."""

    def search(c: Checkpoint) -> PlayerSpec:
        return PlayerSpec("search", c, playouts=playouts, resign_threshold=resign_threshold)

    pairs: list[CrossPair] = []
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            chosen = [(a, nearest(runs[j], a.training_seconds)) for a in runs[i]]
            chosen += [(nearest(runs[i], b.training_seconds), b) for b in runs[j]]
            chosen.append((runs[i][-1], runs[j][-1]))
            chosen.append((newest_promoted(runs[i]), newest_promoted(runs[j])))
            seen: set[tuple[str, str]] = set()
            for a, b in sorted(chosen, key=lambda p: (p[0].training_seconds,
                                                      p[1].training_seconds)):
                if (a.name, b.name) not in seen:
                    seen.add((a.name, b.name))
                    pairs.append((i, search(a), j, search(b)))
    return pairs


class Comparison:
    """The runs' ladders, their cross-run games, one fit (see the module docstring).

    Args:
        ladders: one ``arena.ladder.Ladder`` per run (built with the same playouts and
            ``minutes``); labels: a distinct player-name-safe label per run; out: the
            output folder; cross_games: games per cross-run pairing; final_games: games of
            the two newest checkpoints, and of the two best, against each other (at least
            ``cross_games``).
    """

    def __init__(self, ladders: Sequence[Ladder], labels: Sequence[str], out: Path,
                 cross_games: int = 10, final_games: int = 100,
                 log: Callable[[str], None] = print) -> None:
        if len(ladders) < 2 or len(labels) != len(ladders):
            raise ValueError(f"a comparison needs two or more runs, each with a label; got "
                             f"{len(ladders)} runs and labels {list(labels)}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"run labels must differ, got {list(labels)}")
        for label in labels:
            check_player_name(label)
        first = ladders[0]
        for ladder in ladders[1:]:
            if ladder.rules != first.rules:
                raise ValueError(f"runs with different rules cannot share a scale: "
                                 f"{first.run_dir.root} has {first.rules}, "
                                 f"{ladder.run_dir.root} has {ladder.rules}")
        self.ladders = list(ladders)
        self.labels = list(labels)
        self.out = Path(out)
        self.cross_games = cross_games
        self.final_games = max(final_games, cross_games)
        self.log = log
        self.store = LadderStore(self.out / "results")
        self.cross = plan_cross([ladder.checkpoints for ladder in ladders], first.playouts,
                                first.resign_threshold)
        self.games_played = 0

    def prefixed(self, index: int, name: str) -> str:
        """The name of run ``index``'s player ``name`` on the joint scale (the shared
        anchors, random and GNU Go, keep theirs)."""
        if name == RANDOM or name.startswith("gnugo."):
            return name
        return f"{self.labels[index]}.{name}"

    def wanted(self, a: PlayerSpec, b: PlayerSpec, i: int, j: int) -> int:
        """Games the cross pairing should have: ``final_games`` for the two newest and for
        the two best (``newest_promoted``), else ``cross_games``."""
        runs = self.ladders[i].checkpoints, self.ladders[j].checkpoints
        final = ((a.checkpoint, b.checkpoint) == (runs[0][-1], runs[1][-1])
                 or (a.checkpoint, b.checkpoint) == (newest_promoted(runs[0]),
                                                     newest_promoted(runs[1])))
        return self.final_games if final else self.cross_games

    def play(self) -> list[tuple[int, int, PairingRecord]]:
        """Play every ladder's and every cross pairing's missing games; returns
        ``(run index a, run index b, record)`` for all of them."""
        found: list[tuple[int, int, PairingRecord]] = []
        for index, ladder in enumerate(self.ladders):
            self.log(f"{self.labels[index]}: its ladder ({len(ladder.checkpoints)} "
                     f"checkpoints, {len(ladder.pairings)} pairings)")
            found += [(index, index, record) for record in ladder.play()]
            self.games_played += ladder.games_played
        for i, a, j, b in self.cross:
            name_a, name_b = self.prefixed(i, a.name), self.prefixed(j, b.name)
            record = self.store.load(name_a, name_b, a.to_json(), b.to_json())
            missing = self.wanted(a, b, i, j) - record.played
            if missing > 0:
                started = time.perf_counter()
                seed = zlib.crc32(f"{name_a}:{name_b}:{record.played}".encode())
                self.ladders[i].play_players(
                    record, self.ladders[i].player(a, seed),
                    self.ladders[j].player(b, seed + 1), missing, store=self.store)
                self.games_played += missing
                self.log(f"{name_a} vs {name_b}: {record.a_points:g}/{record.played} "
                         f"({missing} new games, {time.perf_counter() - started:.0f} s)")
            found.append((i, j, record))
        return found

    def rate(self, records: Sequence[tuple[int, int, PairingRecord]]) -> list[RatedPlayer]:
        """One maximum-likelihood fit over every game (random = 0)."""
        specs: dict[str, tuple[int, PlayerSpec]] = {}
        for index, ladder in enumerate(self.ladders):
            for pair in ladder.pairings:
                for spec in pair:
                    specs[self.prefixed(index, spec.name)] = (index, spec)
        for i, a, j, b in self.cross:
            specs[self.prefixed(i, a.name)] = (i, a)
            specs[self.prefixed(j, b.name)] = (j, b)
        results = []
        for i, j, r in records:
            if not r.played:
                continue
            a, b = (r.a, r.b) if i != j else (self.prefixed(i, r.a), self.prefixed(j, r.b))
            results.append(PairResult(a, b, r.played, r.a_points))
        if not results:
            raise ValueError("no games to rate")
        ratings = fit_ratings(results, anchor=RANDOM if RANDOM in specs else results[0].a)
        rows = []
        for name, rating in ratings.items():
            index, spec = specs[name]
            c = spec.checkpoint
            low, high = rating.interval
            shared = spec.kind in ("random", "gnugo")
            rows.append(RatedPlayer(
                player=name, kind=spec.kind, checkpoint=c.name if c else None,
                generation=c.generation if c else None, version=c.version if c else None,
                training_steps=c.training_steps if c else None,
                training_minutes=c.training_seconds / 60 if c else None,
                playouts=spec.playouts, level=spec.level, elo=rating.elo, elo_low=low,
                elo_high=high, stderr=rating.stderr, games=rating.games,
                run=None if shared else self.labels[index],
                promoted=c.promoted if c else None,
                handicap=spec.handicap if spec.kind == "gnugo" else None))
        order = {"random": 0, "search": 1, "policy": 2, "gnugo": 3}
        rows.sort(key=lambda r: (order[r.kind], r.run or "", r.generation or 0, r.level or 0,
                                 r.handicap or 0))
        return rows

    def write(self, rows: Sequence[RatedPlayer],
              records: Sequence[tuple[int, int, PairingRecord]]) -> dict[str, Path]:
        """``ratings.csv``, ``elo.png`` and ``report.md`` in the output folder."""
        self.out.mkdir(parents=True, exist_ok=True)
        files = {"csv": self.out / "ratings.csv", "png": self.out / "elo.png",
                 "report": self.out / "report.md"}
        csv_text = ratings_csv(rows)
        lines = csv_text.splitlines()
        lines = ["run," + lines[0]] + [f"{r.run or ''},{line}"
                                       for r, line in zip(rows, lines[1:], strict=True)]
        write_text_atomic(files["csv"], "\n".join(lines) + "\n")
        rules = self.ladders[0].rules
        title = (f"{' vs '.join(self.labels)}: {rules.size}x{rules.size}, komi {rules.komi:g}"
                 + (f", first {self.minutes:g} minutes" if self.minutes else ""))
        write_bytes_atomic(files["png"], render_comparison_png(rows, self.labels, title))
        write_text_atomic(files["report"], self.report(rows, records))
        return files

    @property
    def minutes(self) -> float | None:
        return self.ladders[0].minutes

    def report(self, rows: Sequence[RatedPlayer],
               records: Sequence[tuple[int, int, PairingRecord]]) -> str:
        """Markdown: each run's Elo by training time; the cross-run results."""
        lines = ["| run | generation | steps | minutes | Elo with search |",
                 "|---|---:|---:|---:|---:|"]
        promoted = {self.prefixed(i, f"{c.stem}.p{ladder.playouts}"): c.promoted
                    for i, ladder in enumerate(self.ladders) for c in ladder.checkpoints}
        for r in rows:
            if r.kind == "search":
                mark = "" if promoted.get(r.player, True) else " (rejected)"
                lines.append(f"| {r.run} | {r.generation}{mark} | {r.training_steps} | "
                             f"{r.training_minutes:.1f} | {r.elo:+.0f} [{r.elo_low:+.0f}, "
                             f"{r.elo_high:+.0f}] |")
        for r in rows:
            if r.kind in ("random", "gnugo"):
                lines.append(f"| {r.player} | | | | {r.elo:+.0f} [{r.elo_low:+.0f}, "
                             f"{r.elo_high:+.0f}] |")
        lines += ["", "Cross-run games (points of the first player: wins + half draws, "
                  "Wilson 95% interval):", "",
                  "| first | second | points | share [95%] | Elo difference |",
                  "|---|---|---:|---:|---:|"]
        for i, j, r in records:
            if i == j or not r.played:
                continue
            low, high = wilson_interval(r.a_points, r.played)
            elo = match_elo(r.a_points, r.played)
            lines.append(f"| {r.a} | {r.b} | {r.a_points:g}/{r.played} | "
                         f"{100 * r.a_points / r.played:.0f}% [{100 * low:.0f}, "
                         f"{100 * high:.0f}] | {elo.elo:+.0f} |")
        lines += ["", "Headline matches:", ""]
        by_names = {(r.a, r.b): r for i, j, r in records if i != j}
        for i, a, j, b in self.cross:
            if self.wanted(a, b, i, j) != self.final_games:
                continue
            r = by_names.get((self.prefixed(i, a.name), self.prefixed(j, b.name)))
            if r is None or not r.played:
                continue
            kinds = ["newest" if a.checkpoint == self.ladders[i].checkpoints[-1]
                     and b.checkpoint == self.ladders[j].checkpoints[-1] else "",
                     "best" if (a.checkpoint, b.checkpoint) == (
                         newest_promoted(self.ladders[i].checkpoints),
                         newest_promoted(self.ladders[j].checkpoints)) else ""]
            low, high = wilson_interval(r.a_points, r.played)
            which = " and ".join(k for k in kinds if k)
            share = 100 * r.a_points / r.played
            lines.append(f"- {which} against {which}: {r.a} scored {r.a_points:g}/{r.played} "
                         f"against {r.b} ({share:.0f}%, 95% interval {100 * low:.0f}-"
                         f"{100 * high:.0f}%)")
        return "\n".join(lines) + "\n"

    def run(self) -> tuple[list[RatedPlayer], dict[str, Path]]:
        """Play, rate, write; returns the rows and the files written."""
        records = self.play()
        rows = self.rate(records)
        return rows, self.write(rows, records)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m arena.compare", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    a = parser.add_argument
    a("--run-dir", type=Path, action="append", required=True,
      help="a run directory; give it two or more times")
    a("--label", action="append", default=None, help="a label per run, in --run-dir order "
      "(default: each run directory's name)")
    a("--out", type=Path, required=True, help="folder for the cross-run results and the "
      "ratings, figure and report")
    a("--minutes", type=float, default=None, help="rate each run's checkpoints saved within "
      "this many minutes of training time (default: all)")
    a("--rejected", action="store_true", help="rate the candidates the gates rejected too: "
      "the learners' progress, not only what the gates kept (a run whose gates rejected "
      "everything still gets a curve)")
    a("--games", type=int, default=10, help="games per pairing of each run's own ladder "
      "(default 10)")
    a("--gnugo-games", type=int, default=20, help="games of each run's newest network "
      "against each GNU Go anchor (default 20)")
    a("--cross-games", type=int, default=10, help="games per cross-run pairing (default 10)")
    a("--final-games", type=int, default=100, help="games of the runs' newest networks "
      "against each other (default 100)")
    a("--playouts", type=int, default=64, help="simulations per move (default 64)")
    a("--opponents", default="random", help="each run's ladder's anchors: random, policy, "
      f"gnugo:<level>, gnugo:<level>:h<stones> (default random; the ladder's own default is "
      f"{DEFAULT_OPPONENTS})")
    a("--parallel", type=int, default=64, help="in-process games played at once")
    a("--resign-threshold", type=float, default=None, help="let the networks resign below "
      "this value (default: never)")
    a("--gnugo", default=None, help="GNU Go binary (default: gnugo on the PATH or "
      "/usr/games/gnugo)")
    a("--move-timeout", type=float, default=120.0, help="seconds a GTP program may take for "
      "one move")
    a("--threads", type=int, default=None, help="CPU threads for TensorFlow")
    a("--seed", type=int, default=0, help="seeds the players")
    a("--quiet", action="store_true", help="print only the final table")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Compare the runs; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    opponents = check_args(parser, args)
    if args.cross_games < 1:
        parser.error(f"--cross-games must be at least 1, got {args.cross_games}")
    if len(args.run_dir) < 2:
        parser.error(f"give --run-dir two or more times, got {len(args.run_dir)}")
    labels = args.label or [path.resolve().name for path in args.run_dir]
    if len(labels) != len(args.run_dir):
        parser.error(f"--label must be given once per --run-dir: {len(labels)} labels for "
                     f"{len(args.run_dir)} runs")
    from network import CheckpointError, backend

    backend.configure(gpu_memory_growth=True, threads=args.threads)
    log = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        ladders = [Ladder(path, games=args.games, playouts=args.playouts,
                          opponents=opponents, parallel=args.parallel,
                          gnugo_games=args.gnugo_games, final_games=None,
                          resign_threshold=args.resign_threshold, gnugo=args.gnugo,
                          move_timeout=args.move_timeout, threads=args.threads,
                          seed=args.seed, minutes=args.minutes, rejected=args.rejected,
                          log=log)
                   for path in args.run_dir]
        comparison = Comparison(ladders, labels, args.out, cross_games=args.cross_games,
                                final_games=args.final_games, log=log)
        started = time.perf_counter()
        rows, files = comparison.run()
    except (RunDirError, LadderStoreError, CheckpointError, MatchError, OSError,
            ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_ratings(rows, comparison.games_played, time.perf_counter() - started, files,
                  width=36)
    return 0


if __name__ == "__main__":
    sys.exit(main())
