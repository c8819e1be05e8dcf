"""Who plays on the ladder: a run's promoted checkpoints, the fixed anchors, the pairings.

``promoted_checkpoints(run_dir)`` lists every checkpoint of the run whose metadata says it
was promoted (the initial network counts, at generation 0), oldest first, with its
generation (the gate match that promoted it), training steps, and training time (seconds
of the run's sessions before it was saved, from ``state.json``'s ``sessions`` and the
checkpoint's ``saved_at``).

``PlayerSpec`` describes a player completely (what ``arena.ladder_store`` compares
before reusing games): ``random``; ``<ckpt>.policy`` (the network alone); ``<ckpt>.p<P>``
(the network with ``P`` playouts of search); ``gnugo.l<L>`` (GNU Go at level ``L``, Chinese
rules, positional superko, ``--capture-all-dead``); ``gnugo.l<L>.h<N>`` (the same GNU Go
giving ``N`` fixed handicap stones: the network is black in every game, with the stones,
and GNU Go white moves first; the komi stays the rules'). A handicap anchor resolves
where the even game does not: a network that loses every even game can still be rated
by how many stones it needs.
``plan_pairings`` chooses the matches: consecutive generations with search (and alone
when the policy player is asked for), every generation against the random player, and
the newest generation against each GNU Go anchor (a level, with or without handicap).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rundir.run_dir import RunDir, RunDirError

RANDOM = "random"


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint on the ladder: promoted, or (``--rejected``) a candidate its gate rejected.

    name: file name in ``checkpoints/``; generation: the gate match that promoted it (0:
    the initial network), or for a rejected candidate the gate that rejected it; version:
    its rank in the ladder's list (0, 1, 2, ...); training_steps: learner steps;
    training_seconds: run time (all sessions) when it was saved; sha256: the ``.keras``
    file's hash from its metadata; promoted: False for a rejected candidate.
    """

    name: str
    path: Path
    generation: int
    version: int
    training_steps: int
    training_seconds: float
    sha256: str
    promoted: bool = True

    @property
    def stem(self) -> str:
        return self.name.removesuffix(".keras")


def session_lengths(sessions: list[dict[str, Any]], elapsed: float | None = None
                    ) -> list[tuple[float, float]]:
    """``(started, seconds of training)`` of each session (``state.json``), oldest first;
    the last one, if it has no ``stopped``, is open (``inf``).

    A session that was killed (no ``stopped``) before a later one resumed the run lasted
    what the next session's ``elapsed_at_start`` (the run's training seconds when it
    began) says, less the sessions before it. Runs written before sessions recorded that:
    a single such session gets what ``elapsed`` (``state.json``'s ``elapsed_seconds``, the
    whole run's) leaves after the others; failing both, it lasts until the next session
    started (an upper bound: the pause between sessions counts)."""
    ordered = sorted(sessions, key=lambda s: float(s.get("started", 0.0)))
    starts = [float(s.get("started", 0.0)) for s in ordered]
    lengths: list[float | None] = []
    for i, session in enumerate(ordered):
        stop = session.get("stopped")
        if stop is not None:
            lengths.append(float(stop) - starts[i])
        elif i + 1 == len(ordered):
            lengths.append(math.inf)
        elif ordered[i + 1].get("elapsed_at_start") is not None:
            before = sum(x for x in lengths if x is not None)
            gap = starts[i + 1] - starts[i]
            lengths.append(min(gap, max(0.0, float(ordered[i + 1]["elapsed_at_start"])
                                        - before)))
        else:
            lengths.append(None)
    unknown = [i for i, x in enumerate(lengths) if x is None]
    if len(unknown) == 1 and elapsed is not None and lengths[-1] != math.inf:
        i = unknown[0]
        rest = elapsed - sum(x for x in lengths if x is not None)
        lengths[i] = min(starts[i + 1] - starts[i], max(0.0, rest))
    return [(start, starts[i + 1] - start if length is None else length)
            for i, (start, length) in enumerate(zip(starts, lengths, strict=True))]


def run_seconds(timestamp: float, sessions: list[dict[str, Any]],
                elapsed: float | None = None) -> float:
    """Seconds of training of the run (its sessions in ``state.json``, see
    ``session_lengths``; ``elapsed``: the state's ``elapsed_seconds``) that had passed at
    ``timestamp`` (a Unix time): earlier sessions count in full, the one holding it up to
    it."""
    return seconds_at(timestamp, session_lengths(sessions, elapsed))


def seconds_at(timestamp: float, spans: list[tuple[float, float]]) -> float:
    """``run_seconds`` over spans already measured by ``session_lengths``."""
    total = 0.0
    for start, length in spans:
        if timestamp < start:
            break
        if timestamp <= start + length:
            return total + timestamp - start
        total += length
    return total


def promoted_checkpoints(run_dir: RunDir, rejected: bool = False) -> list[Checkpoint]:
    """The run's promoted checkpoints, oldest first (see the module docstring); with
    ``rejected`` also the candidates their gate rejected (each with the generation of that
    gate), so that the ladder follows what the learner made, not only what the gates kept.

    Raises ``RunDirError`` naming the file when the state or a checkpoint's metadata is
    unusable, or when the run has no promoted checkpoint yet.
    """
    state = run_dir.read_state()
    found = []
    for path in sorted(run_dir.checkpoints.glob("*.keras")):
        meta = run_dir.read_checkpoint_metadata(path.name)
        if meta.get("learner_state"):
            continue
        gate = meta.get("gate")
        if rejected and meta.get("promoted") is False and isinstance(gate, dict):
            meta = dict(meta, generation=gate.get("generation"))
        elif meta.get("promoted") is not True:
            continue
        where = str(RunDir.metadata_path(path))
        generation = meta.get("generation")
        steps = meta.get("training_steps")
        if not isinstance(generation, int) or not isinstance(steps, int):
            raise RunDirError(f"{where}: a promoted checkpoint needs integer generation and "
                              f"training_steps, got {generation!r} and {steps!r}")
        saved_at = meta.get("saved_at")
        try:
            saved = datetime.datetime.fromisoformat(str(saved_at)).timestamp()
        except ValueError:
            raise RunDirError(f"{where}: saved_at is not an ISO 8601 time: {saved_at!r}") \
                from None
        found.append((generation, steps, path, saved, str(meta.get("keras_sha256", "")),
                      meta.get("promoted") is True))
    if not found:
        raise RunDirError(f"{run_dir.checkpoints}: no promoted checkpoint (has the run "
                          f"started?)")
    found.sort(key=lambda f: (f[0], f[1]))
    spans = session_lengths(state["sessions"], state["elapsed_seconds"])
    return [Checkpoint(path.name, path, generation, version, steps,
                       seconds_at(saved, spans), sha, promoted)
            for version, (generation, steps, path, saved, sha, promoted) in enumerate(found)]


@dataclass(frozen=True)
class PlayerSpec:
    """One ladder player.

    kind: ``"random"``, ``"policy"``, ``"search"`` or ``"gnugo"``; checkpoint: for the
    network players; playouts: for ``"search"``; level and handicap (0, or the fixed
    handicap stones GNU Go gives, 2..9): for ``"gnugo"``; resign_threshold: the network
    players' (``None``: never resign).
    """

    kind: str
    checkpoint: Checkpoint | None = None
    playouts: int | None = None
    level: int | None = None
    resign_threshold: float | None = None
    handicap: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("random", "policy", "search", "gnugo"):
            raise ValueError(f"unknown player kind {self.kind!r}")
        if self.kind in ("policy", "search") and self.checkpoint is None:
            raise ValueError(f"a {self.kind} player needs a checkpoint")
        if self.kind == "search" and (self.playouts is None or self.playouts < 1):
            raise ValueError(f"a search player needs playouts >= 1, got {self.playouts!r}")
        if self.kind == "gnugo" and (self.level is None or not 0 <= self.level <= 10):
            raise ValueError(f"GNU Go levels are 0..10, got {self.level!r}")
        if self.handicap and (self.kind != "gnugo" or not 2 <= self.handicap <= 9):
            raise ValueError(f"a handicap is 2..9 stones given by GNU Go, got "
                             f"{self.handicap!r} for a {self.kind} player")

    @property
    def name(self) -> str:
        if self.kind == "random":
            return RANDOM
        if self.kind == "gnugo":
            stones = f".h{self.handicap}" if self.handicap else ""
            return f"gnugo.l{self.level}{stones}"
        assert self.checkpoint is not None
        suffix = "policy" if self.kind == "policy" else f"p{self.playouts}"
        return f"{self.checkpoint.stem}.{suffix}"

    @property
    def in_process(self) -> bool:
        """Whether this player can play in-process (everything but GNU Go)."""
        return self.kind != "gnugo"

    def to_json(self) -> dict[str, Any]:
        """What identifies the player in a results file."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.checkpoint is not None:
            out.update(checkpoint=self.checkpoint.name, sha256=self.checkpoint.sha256,
                       resign_threshold=self.resign_threshold)
        if self.kind == "search":
            out["playouts"] = self.playouts
        if self.kind == "gnugo":
            # games stored before the ladder passed --capture-all-dead lack this key and
            # are refused (``arena.ladder_store``) rather than mixed with these
            out.update(level=self.level, capture_all_dead=True)
            if self.handicap:
                out["handicap"] = self.handicap
        return out


@dataclass(frozen=True)
class Opponents:
    """The ``--opponents`` list: the random player, the policy-only players, GNU Go.

    gnugo: ``(level, handicap)`` pairs, handicap 0 for an even game.
    """

    random: bool = True
    policy: bool = True
    gnugo: tuple[tuple[int, int], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Opponents:
        """``"random,policy,gnugo:0,gnugo:0:h4"`` -> ``Opponents``; ``ValueError`` naming a
        bad entry."""
        random = policy = False
        anchors: list[tuple[int, int]] = []
        for raw in text.split(","):
            item = raw.strip()
            if item == "random":
                random = True
            elif item == "policy":
                policy = True
            elif item.startswith("gnugo:"):
                anchor = _parse_gnugo(item)
                if anchor not in anchors:
                    anchors.append(anchor)
            elif item:
                raise ValueError(f"unknown opponent {item!r}; use random, policy, "
                                 f"gnugo:<level> or gnugo:<level>:h<stones>")
        return cls(random, policy, tuple(anchors))


def _parse_gnugo(item: str) -> tuple[int, int]:
    """``"gnugo:5"`` -> ``(5, 0)``; ``"gnugo:0:h4"`` -> ``(0, 4)``."""
    parts = item.split(":")
    usage = "expected gnugo:<0..10> or gnugo:<0..10>:h<2..9>"
    try:
        level = int(parts[1])
        handicap = int(parts[2][1:]) if len(parts) == 3 and parts[2][:1] == "h" else None
    except ValueError:
        raise ValueError(f"bad GNU Go opponent {item!r}: {usage}") from None
    if len(parts) == 3 and handicap is None or len(parts) > 3:
        raise ValueError(f"bad GNU Go opponent {item!r}: {usage}")
    if not 0 <= level <= 10:
        raise ValueError(f"GNU Go levels are 0..10, got {item!r}")
    if handicap is not None and not 2 <= handicap <= 9:
        raise ValueError(f"GNU Go handicaps are 2..9 stones, got {item!r}")
    return level, handicap or 0


def plan_pairings(checkpoints: list[Checkpoint], opponents: Opponents, playouts: int,
                  resign_threshold: float | None = None,
                  gnugo_generations: tuple[int, ...] = ()
                  ) -> list[tuple[PlayerSpec, PlayerSpec]]:
    """The matches of the ladder, cheapest first: ``(a, b)`` spec pairs.

    With search (``<ckpt>.p<playouts>``): consecutive generations, and each generation
    against the random player. Alone (``<ckpt>.policy``, when ``opponents.policy``): the
    same. Each GNU Go anchor plays the newest generation with search (and alone), and, with
    search, each generation listed in ``gnugo_generations`` (``ValueError`` naming one that
    is not a promoted generation among ``checkpoints``).
    """
    if not checkpoints:
        raise ValueError("the ladder needs at least one checkpoint")
    by_generation = {c.generation: c for c in checkpoints}
    for generation in gnugo_generations:
        if generation not in by_generation:
            raise ValueError(f"generation {generation} is not a promoted generation of the "
                             f"run; promoted: {sorted(by_generation)}")

    def search(c: Checkpoint) -> PlayerSpec:
        return PlayerSpec("search", c, playouts=playouts, resign_threshold=resign_threshold)

    def policy(c: Checkpoint) -> PlayerSpec:
        return PlayerSpec("policy", c, resign_threshold=None)

    random = PlayerSpec("random")
    kinds = [search] + ([policy] if opponents.policy else [])
    pairs: list[tuple[PlayerSpec, PlayerSpec]] = []
    for make in kinds:
        if opponents.random:
            pairs += [(make(c), random) for c in checkpoints]
        pairs += [(make(new), make(old)) for old, new in
                  zip(checkpoints, checkpoints[1:], strict=False)]
    if not opponents.random and opponents.policy:  # link the two chains without the anchor
        pairs.append((search(checkpoints[0]), policy(checkpoints[0])))
    newest = checkpoints[-1]
    earlier = [by_generation[g] for g in sorted(set(gnugo_generations))
               if by_generation[g] != newest]
    for level, handicap in opponents.gnugo:
        gnugo = PlayerSpec("gnugo", level=level, handicap=handicap)
        pairs += [(search(c), gnugo) for c in earlier]
        pairs += [(make(newest), gnugo) for make in kinds]
    return pairs
