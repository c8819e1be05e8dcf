"""``NodePool``: the preallocated arrays that hold every tree of a ``BatchedSearch``.

One pool serves all G trees; nodes are taken from and returned to a free list, and the
arrays grow (by half again) when fewer free nodes remain than a step may need. Memory per
node is about ``17 * (N*N + 1) + N*N + 40`` bytes (1.4 KB on 9x9, 6.5 KB on 19x19).
See ``mcts.tree_kernels`` for the meaning of each array and the value sign convention.
"""

from __future__ import annotations

import numpy as np

from mcts import tree_kernels as tk
from mcts.tree_arrays import TreeArrays

# (name, dtype, per-edge?) of every node array; per-edge arrays have a second axis of A.
_FIELDS = (
    ("node_board", np.int8, "points"),
    ("node_hash", np.uint64, None),
    ("node_to_play", np.int8, None),
    ("node_passes", np.int8, None),
    ("node_move_number", np.int32, None),
    ("node_parent", np.int32, None),
    ("node_move", np.int32, None),
    ("node_state", np.int8, None),
    ("node_n", np.int32, None),
    ("node_w", np.float64, None),
    ("node_value", np.float32, None),
    ("child", np.int32, "actions"),
    ("edge_n", np.int32, "actions"),
    ("edge_w", np.float32, "actions"),
    ("prior", np.float32, "actions"),
)


class NodePool:
    """Node arrays of capacity C for boards of ``size``: see ``mcts.tree_kernels``.

    ``free_nodes[:free_top[0]]`` are the free node ids (taken from the end). ``arrays``
    holds all of them as one ``TreeArrays``, and ``fields`` the same as a plain tuple, the
    form the kernels take (see ``mcts.tree_arrays``); both are rebuilt when the pool grows
    (the arrays are then new), so read them again after ``reserve``/``take``/``grow``.
    """

    # each field of TreeArrays is also an attribute of the same name
    arrays: TreeArrays
    fields: tuple[np.ndarray, ...]

    def __init__(self, size: int, capacity: int) -> None:
        self.size = size
        self.points = size * size
        self.actions = self.points + 1
        self.capacity = 0
        for name, dtype, width in _FIELDS:
            shape = (0,) if width is None else (0, getattr(self, width))
            setattr(self, name, np.zeros(shape, dtype))
        self.free_nodes = np.zeros(0, np.int32)
        self.free_top = np.zeros(1, np.int64)
        self.grow(max(int(capacity), 1))

    @property
    def free_count(self) -> int:
        """How many nodes can be taken before the pool must grow."""
        return int(self.free_top[0])

    @property
    def nodes_in_use(self) -> int:
        return self.capacity - self.free_count

    def grow(self, capacity: int) -> None:
        """Enlarge the arrays to ``capacity`` nodes, keeping every node where it is."""
        old = self.capacity
        if capacity <= old:
            return
        for name, dtype, width in _FIELDS:
            shape = (capacity,) if width is None else (capacity, getattr(self, width))
            array = np.zeros(shape, dtype)
            array[:old] = getattr(self, name)
            setattr(self, name, array)
        free = np.zeros(capacity, np.int32)
        top = self.free_count
        free[:top] = self.free_nodes[:top]
        # new ids go below the old free ones so that old ids are reused first
        added = np.arange(capacity - 1, old - 1, -1, dtype=np.int32)
        free[: len(added)] = added
        free[len(added) : len(added) + top] = self.free_nodes[:top]
        self.free_nodes = free
        self.free_top[0] = top + len(added)
        self.capacity = capacity
        self.arrays = TreeArrays(**{name: getattr(self, name) for name in TreeArrays._fields})
        self.fields = tuple(self.arrays)

    def reserve(self, count: int) -> None:
        """Make sure at least ``count`` nodes are free, growing by half again or more."""
        if self.free_count >= count:
            return
        need = self.capacity + count - self.free_count
        self.grow(max(need, self.capacity + self.capacity // 2))

    def take(self) -> int:
        """A free node id (the caller fills it in)."""
        self.reserve(1)
        self.free_top[0] -= 1
        return int(self.free_nodes[self.free_top[0]])

    def free_subtree(self, start: int, keep: int = -1) -> None:
        """Free ``start`` and everything under it except the subtree of ``keep``."""
        tk.free_subtree(self.fields, np.int32(start), np.int32(keep))
