"""The rules checked move by move against real GNU Go (Chinese rules, positional superko).

For every position of many random games, GNU Go's full set of legal moves (``all_legal``)
and its board (``list_stones``) must equal ours, and for games played out by a player that
never fills its own one-point eyes (so no stone is dead at the end) GNU Go's
``final_score`` must equal our Tromp-Taylor score.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from go import Position, coords, kernels
from tests.go.gtp_process import GtpProcess, gnugo

COLOUR_NAME = {1: "black", -1: "white"}
GAMES_9X9 = 300
SMALL_BOARD_GAMES = 60


@pytest.fixture(scope="module")
def engines():
    """One GNU Go process per board size, started on first use."""
    started: dict[int, GtpProcess] = {}

    def get(size: int) -> GtpProcess:
        if size not in started:
            started[size] = gnugo(size)
        return started[size]

    yield get
    for engine in started.values():
        engine.close()


def own_eyes(position: Position) -> np.ndarray:
    """bool[N*N]: empty points whose orthogonal neighbours are all the mover's stones."""
    flat = position.flat_board
    nbrs = kernels.neighbour_table(position.size)
    valid = nbrs >= 0
    neighbour_colour = np.where(valid, flat[np.where(valid, nbrs, 0)], position.to_play)
    return (flat == 0) & np.all(neighbour_colour == position.to_play, axis=1)


def random_game(size: int, komi: float, rng: np.random.Generator, *, fill_eyes: bool,
                capture_bias: float = 0.0, max_moves: int | None = None) -> list[Position]:
    """Positions of a game of uniformly random legal moves; pass only when nothing else.

    ``fill_eyes=False``: never fill one's own one-point eye. ``capture_bias``: the chance
    of choosing among capturing moves when there are any (makes ko and superko common).
    """
    position = Position.new(size, komi, max_moves=max_moves)
    positions = [position]
    while not position.is_over():
        legal = position.legal_moves()[:-1].copy()
        if not fill_eyes:
            legal &= ~own_eyes(position)
        candidates = np.flatnonzero(legal)
        if len(candidates) == 0:
            move = position.pass_move
        else:
            if capture_bias and rng.random() < capture_bias:
                capturing = [m for m in candidates if captures(position, int(m))]
                if capturing:
                    candidates = np.array(capturing)
            move = int(candidates[rng.integers(len(candidates))])
        position = position.play(move)
        positions.append(position)
    return positions


def captures(position: Position, move: int) -> bool:
    """Whether ``move`` (legal) captures stones."""
    return int(np.count_nonzero(position.play(move).flat_board)) <= int(
        np.count_nonzero(position.flat_board))


def superko_points(position: Position) -> tuple[int, int]:
    """Empty points illegal for the player to move by positional superko alone, as
    ``(simple_ko, longer_cycle)``: recreating the board of two moves ago, or an older one."""
    size = position.size
    hashes = position.board_hashes
    simple = longer = 0
    for move in np.flatnonzero(position.flat_board == 0):
        board = position.flat_board.copy()
        status, new_hash, _ = kernels.play_inplace(
            board, position.to_play, int(move), np.uint64(position.zobrist_hash),
            hashes, len(hashes), kernels.neighbour_table(size), kernels.zobrist_table(size))
        if status == kernels.SUPERKO:
            if len(hashes) >= 2 and new_hash == hashes[-2]:
                simple += 1
            else:
                longer += 1
    return simple, longer


def every_chain_has_two_liberties(position: Position) -> bool:
    """True when no chain is in atari: at the end of a no-eye-filling game this means every
    chain is safe (the opponent has no legal move that captures), so nothing is dead.

    It can fail when positional superko forbade the capture of a chain in atari.
    """
    size = position.size
    group_of, liberties, _ = kernels.label_groups(
        position.flat_board, kernels.neighbour_table(size), kernels.zobrist_table(size))
    return bool(np.all(liberties[np.unique(group_of[group_of >= 0])] >= 2))


def vertices(text: str, size: int) -> set[int]:
    return {coords.from_gtp(v, size) for v in text.split()}


def check_game(engine: GtpProcess, positions: list[Position], score: bool) -> list[str]:
    """Replay ``positions`` on GNU Go; return every difference found (empty: none)."""
    size = positions[0].size
    commands = ["clear_board", f"komi {positions[0].komi}"]
    checked: list[tuple[str, int]] = []  # (what, position index) per answer after set-up

    def query(index: int) -> None:
        position = positions[index]
        if not position.is_over():
            commands.append(f"all_legal {COLOUR_NAME[position.to_play]}")
            checked.append(("legal", index))
        commands.append("list_stones black")
        checked.append(("black", index))
        commands.append("list_stones white")
        checked.append(("white", index))

    query(0)
    for i, position in enumerate(positions[1:], start=1):
        mover = COLOUR_NAME[positions[i - 1].to_play]
        commands.append(f"play {mover} {coords.to_gtp(position.last_move, size)}")
        checked.append(("play", i))
        query(i)
    if score:
        commands.append("final_score")
        checked.append(("score", len(positions) - 1))
    answers = engine.batch(commands)
    problems = [f"set-up {command!r} failed: {text}"
                for command, (ok, text) in zip(commands[:2], answers[:2], strict=True) if not ok]
    for (what, index), (ok, text) in zip(checked, answers[2:], strict=True):
        position = positions[index]
        where = f"move {index} ({' '.join(coords.to_gtp(m, size) for m in position.moves())})"
        if not ok:
            problems.append(f"{what} refused by GNU Go at {where}: {text}")
            break
        if what == "legal":
            ours = set(np.flatnonzero(position.legal_moves()[:-1]).tolist())
            theirs = vertices(text, size)
            if ours != theirs:
                only_ours = sorted(coords.to_gtp(m, size) for m in ours - theirs)
                only_theirs = sorted(coords.to_gtp(m, size) for m in theirs - ours)
                problems.append(f"legal moves differ at {where}: only ours {only_ours}, "
                                f"only GNU Go's {only_theirs}")
        elif what in ("black", "white"):
            colour = 1 if what == "black" else -1
            ours = set(np.flatnonzero(position.flat_board == colour).tolist())
            if ours != vertices(text, size):
                problems.append(f"{what} stones differ at {where}:\n{position}\nGNU Go: {text}")
        elif what == "score" and text != position.result_string():
            problems.append(f"final score differs at {where}: ours "
                            f"{position.result_string()}, GNU Go {text}\n{position}")
    return problems


@pytest.mark.timeout(300)
def test_random_9x9_games_match_gnugo(engines) -> None:
    rng = np.random.default_rng(20240901)
    engine = engines(9)
    problems: list[str] = []
    moves = captured_games = scored_games = 0
    for _ in range(GAMES_9X9):
        positions = random_game(9, 7.5, rng, fill_eyes=False, max_moves=400)
        assert positions[-1].passes == 2, "a no-eye-filling random game should end by passes"
        moves += len(positions) - 1
        captured_games += any(captures(a, b.last_move) for a, b in pairwise(positions)
                              if b.last_move != b.pass_move)
        # Score only where no stone can be dead (see every_chain_has_two_liberties).
        score = every_chain_has_two_liberties(positions[-1])
        scored_games += score
        problems += check_game(engine, positions, score=score)
        if problems:
            break
    assert problems == [], "\n".join(problems[:5])
    # The games exercised the rules: long games, most of them with captures.
    assert moves > GAMES_9X9 * 60
    assert captured_games > GAMES_9X9 * 3 // 4
    assert scored_games >= 150, scored_games


@pytest.mark.timeout(300)
@pytest.mark.parametrize("size", [3, 4, 5])
def test_superko_heavy_small_board_games_match_gnugo(engines, size: int) -> None:
    rng = np.random.default_rng(7000 + size)
    engine = engines(size)
    problems: list[str] = []
    simple_ko = longer_cycles = 0
    for _ in range(SMALL_BOARD_GAMES):
        positions = random_game(size, 0.5, rng, fill_eyes=True, capture_bias=0.7,
                                max_moves=6 * size * size)
        for position in positions:
            if not position.is_over():
                simple, longer = superko_points(position)
                simple_ko += simple
                longer_cycles += longer
        problems += check_game(engine, positions, score=False)
        if problems:
            break
    assert problems == [], "\n".join(problems[:5])
    # Positional superko really was tested: many points were forbidden by it alone, by
    # simple ko and by longer cycles.
    assert simple_ko >= 20, simple_ko
    assert longer_cycles >= 5, longer_cycles
