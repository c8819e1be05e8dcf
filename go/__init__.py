"""Go rules: positions, moves, captures, positional superko, area scoring, coordinates, SGF.

numpy (and numba for the compiled inner loops) only: importable without tensorflow or ray.
"""

from go import coords, sgf
from go.coords import MAX_SIZE, MIN_SIZE, check_size
from go.diagram import parse_diagram
from go.errors import IllegalMove, ZerogoError
from go.game_record import Game
from go.position import Position, RulesConfig
from go.sgf import SgfError

__all__ = [
    "Game", "IllegalMove", "MAX_SIZE", "MIN_SIZE", "Position", "RulesConfig", "SgfError",
    "ZerogoError", "check_size", "coords", "parse_diagram", "sgf",
]
