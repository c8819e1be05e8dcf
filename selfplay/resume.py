"""Starting a session: a fresh run, or a resumed one read back from its run directory.

Resuming reads ``state.json`` (the source of truth), repairs what a kill between two
writes leaves (``RunDir.reconcile``: the ``best`` pointer, temporary files), checks the
checkpoints the state names, counts the games written after the last state write, and
rebuilds the replay buffer from ``games/``.

Digests: ``state.json`` records ``buffer_digest`` (the buffer when it was written) and
each session its ``stop_digest``. The rebuilt buffer is compared with both, over the games
each of them saw; a difference is reported as a warning naming both digests and what
could explain it (game files changed since, a changed window), not a refusal: the games
on disk are the run's data, and the buffer is rebuilt from them either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rundir.config import RunConfig
from rundir.run_dir import RunDir
from rundir.state import RunState, Session
from selfplay import replay_window
from selfplay.game_record import GameRecord
from selfplay.ingest import count_game, read_game, rebuild_buffer
from selfplay.replay_buffer import ReplayBuffer
from selfplay.resign_calibration import ResignCalibration, observe

SESSION_SEED_STRIDE = 7919  # session k's random streams use seed + k * this


@dataclass
class SessionStart:
    """What ``start_session`` read: the state (with the new session appended), the
    rebuilt buffer, whether the run was resumed, and the session's seed."""

    state: RunState
    buffer: ReplayBuffer
    resumed: bool
    seed: int


def start_session(run_dir: RunDir, config: RunConfig,
                  log: Callable[[str], None]) -> SessionStart:
    """Read (or create) the run's state and rebuild its buffer (see the module doc).

    Raises ``RunDirError`` or ``GameRecordError`` naming the file when anything in the
    directory fails its checks."""
    resumed = run_dir.state_path.exists()
    if resumed:
        state = run_dir.read_state()
        for line in run_dir.reconcile(state):
            log(line)
        for name in {state.best, state.learner_checkpoint, state.pending_candidate} - {""}:
            run_dir.check_checkpoint(name)
    else:
        run_dir.create()
        state = RunState()
    size = config.rules.size
    cache: dict[int, GameRecord] = {}

    def read(game_id: int) -> GameRecord:
        if game_id not in cache:
            cache[game_id] = read_game(run_dir, game_id, size)
        return cache[game_id]

    counted = run_dir.count_games(state.games)
    calibration = ResignCalibration(target=config.search.resign_false_positive_target)
    games_in_state = state.games  # what the state's buffer_digest was computed over
    for game_id in range(state.games, counted):  # written after the last state write
        state = count_game(state, read(game_id))
        state, _ = observe(state.replace(games=game_id + 1), read(game_id), calibration,
                           config.search.resign_threshold)
        state = state.replace(games=games_in_state)
    p = config.pipeline
    seed = p.seed + SESSION_SEED_STRIDE * len(state.sessions)

    window = replay_window.from_pipeline(p)

    def rebuild(games: int) -> ReplayBuffer:
        # The positions of games 0..games-1: the state's total less the newer games.
        positions = state.positions - sum(read(i).num_positions
                                          for i in range(games, counted))
        return rebuild_buffer(run_dir, games, size, config.network.history_length,
                              window, seed, read, total_positions=positions)

    buffer = rebuild(counted)
    digest = buffer.digest()
    for line in digest_warnings(state, counted, digest, rebuild, str(run_dir.state_path)):
        log(line)
    state = state.replace(games=counted).add_session(Session(
        started=time.time(), resumed=resumed, games_at_start=counted,
        generation_at_start=state.generation, resume_digest=digest,
        elapsed_at_start=state.elapsed_seconds))
    return SessionStart(state, buffer, resumed, seed)


def digest_warnings(state: RunState, counted: int, digest: str,
                    rebuild: Callable[[int], ReplayBuffer], where: str) -> list[str]:
    """Warnings for each recorded digest the rebuilt buffer does not reproduce.

    ``state``: as read (its ``games`` is the count its ``buffer_digest`` saw); ``counted``
    and ``digest``: the games on disk and the rebuilt buffer's digest; ``rebuild(n)``: the
    buffer after the first ``n`` games."""
    checks = []
    if state.buffer_digest:
        checks.append(("buffer_digest", state.buffer_digest, state.games))
    if state.sessions and state.sessions[-1].stop_digest:
        last = state.sessions[-1]
        checks.append((f"sessions[{len(state.sessions) - 1}].stop_digest",
                       last.stop_digest, last.games_at_stop))
    warnings = []
    digests = {counted: digest}
    for key, recorded, games in checks:
        if games is None or games > counted:
            continue
        if games not in digests:
            digests[games] = rebuild(games).digest()
        got = digests[games]
        if got != recorded:
            warnings.append(
                f"warning: {where}: {key} is {recorded[:16]}, but the buffer rebuilt from "
                f"the first {games} games on disk has digest {got[:16]}: game files were "
                f"changed after it was written, or the replay window changed; resuming "
                f"with the games on disk")
    return warnings
