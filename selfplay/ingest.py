"""Finished games into the run: checked, written to ``games/`` (and a sample to ``sgf/``),
counted in the state, added to the replay buffer; and read back on resume.

A game is replayed (every move checked legal) before anything is written, so no file in
``games/`` holds an illegal move; it is written before the state counts it, so a kill at
any moment leaves ``state.json`` counting no more games than are on disk (the games it
has not counted yet are counted again from their files on resume).
"""

from __future__ import annotations

from collections.abc import Callable

from go.game_record import Game
from go.sgf import to_string
from rundir.run_dir import RunDir, RunDirError, write_text_atomic
from rundir.state import RunState
from selfplay.game_record import GameRecord, GameRecordError
from selfplay.replay_buffer import ReplayBuffer
from selfplay.replay_window import ReplayWindow


def count_game(state: RunState, record: GameRecord) -> RunState:
    """``state`` with ``record``'s positions and resignation bookkeeping added (the game
    count itself is ``ingest_game``'s)."""
    changes = {"positions": state.positions + record.num_positions}
    if record.no_resign:
        changes["no_resign_games"] = state.no_resign_games + 1
        if record.would_resign:
            changes["resign_would_have"] = state.resign_would_have + 1
            changes["resign_false_positives"] = (state.resign_false_positives
                                                 + int(record.false_positive))
    return state.replace(**changes)


def read_game(run_dir: RunDir, game_id: int, board_size: int) -> GameRecord:
    """Game ``game_id`` from ``games/``; ``GameRecordError``/``RunDirError`` naming the file
    when it is unreadable, holds another id or is for another board size."""
    path = run_dir.game_path(game_id)
    record = GameRecord.from_npz(path, where=str(path))
    if record.game_id != game_id:
        raise RunDirError(f"{path}: holds game id {record.game_id}, expected {game_id}")
    if record.board_size != board_size:
        raise RunDirError(f"{path}: a {record.board_size}x{record.board_size} game in a "
                          f"{board_size}x{board_size} run")
    return record


def rebuild_buffer(run_dir: RunDir, games: int, board_size: int, history_length: int,
                   window: int | ReplayWindow, seed: int,
                   read: Callable[[int], GameRecord] | None = None,
                   total_positions: int | None = None) -> ReplayBuffer:
    """The replay buffer after games ``0..games-1`` (read newest first until the window is
    full); an illegal move raises ``GameRecordError`` naming its file.

    ``total_positions``: positions of games ``0..games-1`` together; a growing window
    takes the size they imply (``selfplay.replay_window``)."""
    read = read or (lambda i: read_game(run_dir, i, board_size))
    return ReplayBuffer.rebuild(
        (read(i) for i in range(games - 1, -1, -1)), board_size, history_length, window,
        seed=seed, where=lambda record: str(run_dir.game_path(record.game_id)),
        total_positions=total_positions)


class GameIngest:
    """Takes the games workers return (see the module docstring).

    Args:
        run_dir: where games go. buffer: the session's replay buffer.
        sgf_every: every n-th game (by id) is also written as SGF (0: none).
        player: the SGF's player names; run_name: named in the SGF comment.
        log: one line per dropped game.
    """

    def __init__(self, run_dir: RunDir, buffer: ReplayBuffer, sgf_every: int, player: str,
                 run_name: str, log: Callable[[str], None]) -> None:
        self.run_dir = run_dir
        self.buffer = buffer
        self.sgf_every = sgf_every
        self.player = player
        self.run_name = run_name
        self.log = log
        self.dropped = 0

    def ingest(self, state: RunState, record: GameRecord) -> RunState:
        """Check, write, count and buffer one finished game; returns the new state. A game
        that fails its checks is dropped with a log line (nothing written)."""
        record.game_id = state.games
        try:
            record.validate(f"game from worker {record.worker}")
            self.buffer.add(record, f"game from worker {record.worker}")
        except GameRecordError as exc:
            self.dropped += 1
            self.log(f"dropped an invalid game: {exc}")
            return state
        self.run_dir.write_game(record.game_id, record.to_npz_bytes())
        state = count_game(state.replace(games=state.games + 1), record)
        if self.sgf_every and record.game_id % self.sgf_every == 0:
            self.write_sgf(record)
        return state

    def write_sgf(self, record: GameRecord) -> None:
        player = f"{self.player} v{record.best_version}"
        game = Game(size=record.board_size, komi=record.komi, moves=record.moves.tolist(),
                    result=record.result_string(), black_player=player, white_player=player,
                    comment=f"self-play game {record.game_id} of run {self.run_name}, "
                            f"worker {record.worker}")
        write_text_atomic(self.run_dir.sgf_path(record.game_id), to_string(game))
