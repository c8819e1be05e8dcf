"""Go rules: positions, moves, captures, positional superko, area scoring, coordinates, SGF.

numpy (and numba for the compiled inner loops) only: importable without tensorflow or ray.
"""

from go.errors import IllegalMove
from go.position import MAX_SIZE, MIN_SIZE, Position, RulesConfig, check_size

__all__ = ["IllegalMove", "MAX_SIZE", "MIN_SIZE", "Position", "RulesConfig", "check_size"]
