"""The 8 dihedral symmetries of the board, for boards, planes, policies and moves.

Symmetry ``k`` in 0..7 is "flip left-right if ``k >= 4``, then rotate ``k % 4`` quarter
turns counter-clockwise" (``numpy.rot90``); ``k = 0`` is the identity. ``inverse(k)`` undoes
``k``: rotations invert to the opposite rotation, the four flipped ones are their own
inverse. Everything is consistent: if ``b2 = transform_boards(b, k)`` then the move ``m``
on ``b`` is the move ``transform_move(m, k, N)`` on ``b2``, and the one-hot policy of ``m``
maps to the one-hot policy of that move; pass (index ``N*N``) never moves.

Per-position symmetries (a different ``k`` for each batch element, as random-symmetry
evaluation and augmentation need) use ``permutation(k, N)`` gather tables:
``transformed_flat = flat[..., permutation(k, N)]``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NUM_SYMMETRIES = 8


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < 8:
        raise ValueError(f"symmetry index must be an integer in 0..7, got {k!r}")
    return int(k)


def inverse(k: int) -> int:
    """The symmetry that undoes ``k``."""
    k = _check_k(k)
    return (4 - k) % 4 if k < 4 else k


def _transform_last_two(x: np.ndarray, k: int, axes: tuple[int, int]) -> np.ndarray:
    if k >= 4:
        x = np.flip(x, axis=axes[1])
    return np.rot90(x, k % 4, axes=axes)


def transform_boards(x: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to the last two axes of ``x`` (``[..., N, N]``: boards, histories).

    Returns a new contiguous array of the same shape and dtype.
    """
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"boards must be [..., N, N], got shape {x.shape}")
    return np.ascontiguousarray(_transform_last_two(x, _check_k(k), (-2, -1)))


def transform_planes(x: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to channels-last planes ``[B, N, N, C]`` (axes 1 and 2)."""
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1] != x.shape[2]:
        raise ValueError(f"planes must be [B, N, N, C], got shape {x.shape}")
    return np.ascontiguousarray(_transform_last_two(x, _check_k(k), (1, 2)))


def transform_policy(p: np.ndarray, k: int, size: int) -> np.ndarray:
    """Apply symmetry ``k`` to policies ``[..., N*N + 1]`` (pass, the last entry, stays)."""
    p = np.asarray(p)
    if p.ndim < 1 or p.shape[-1] != size * size + 1:
        raise ValueError(
            f"policy must be [..., {size * size + 1}] for a {size}x{size} board, "
            f"got shape {p.shape}")
    return p[..., permutation(_check_k(k), size, with_pass=True)]


def inverse_boards(x: np.ndarray, k: int) -> np.ndarray:
    """Undo ``transform_boards(., k)``."""
    return transform_boards(x, inverse(k))


def inverse_planes(x: np.ndarray, k: int) -> np.ndarray:
    """Undo ``transform_planes(., k)``."""
    return transform_planes(x, inverse(k))


def inverse_policy(p: np.ndarray, k: int, size: int) -> np.ndarray:
    """Undo ``transform_policy(., k, size)``."""
    return transform_policy(p, inverse(k), size)


@lru_cache(maxsize=64)
def _permutations(size: int, with_pass: bool) -> np.ndarray:
    points = size * size
    index = np.arange(points, dtype=np.intp).reshape(size, size)
    table = np.empty((NUM_SYMMETRIES, points + int(with_pass)), np.intp)
    for k in range(NUM_SYMMETRIES):
        table[k, :points] = _transform_last_two(index, k, (0, 1)).ravel()
        if with_pass:
            table[k, points] = points
    table.setflags(write=False)
    return table


def permutation(k: int, size: int, with_pass: bool = False) -> np.ndarray:
    """Gather table ``intp[N*N (+1)]``: ``transformed_flat = flat[..., table]``.

    With ``with_pass`` the table has ``N*N + 1`` entries and maps pass to itself.
    """
    return _permutations(int(size), bool(with_pass))[_check_k(k)]


def permutations(size: int, with_pass: bool = False) -> np.ndarray:
    """All 8 gather tables, ``intp[8, N*N (+1)]`` (read-only), row ``k`` = ``permutation(k)``."""
    return _permutations(int(size), bool(with_pass))


def transform_move(move: int, k: int, size: int) -> int:
    """Where flat move ``move`` (pass = ``N*N``) lands under symmetry ``k``."""
    points = size * size
    if isinstance(move, bool) or not isinstance(move, (int, np.integer)) or not (
            0 <= move <= points):
        raise ValueError(f"move must be a flat index in 0..{points}, got {move!r}")
    if move == points:
        return points
    # The gather table says which source point each target takes; invert it for one move.
    return int(np.flatnonzero(permutation(k, size) == move)[0])


def transform_boards_each(x: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """A different symmetry per batch element: ``x [B, ..., N, N]``, ``ks int[B]`` in 0..7."""
    x = np.asarray(x)
    ks = _check_ks(ks, x.shape[0] if x.ndim else -1)
    if x.ndim < 3 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"boards must be [B, ..., N, N], got shape {x.shape}")
    size = x.shape[-1]
    points = size * size
    middle = int(np.prod(x.shape[1:-2], dtype=np.intp))
    # One flat gather from x.ravel(): for element b, slice m, target point j the source is
    # b * middle * points + m * points + permutation(ks[b])[j].
    index = (permutations(size)[ks][:, None, :]
             + (np.arange(len(ks), dtype=np.intp) * (middle * points))[:, None, None]
             + (np.arange(middle, dtype=np.intp) * points)[None, :, None])
    return np.ascontiguousarray(x).ravel()[index.ravel()].reshape(x.shape)


def transform_policy_each(p: np.ndarray, ks: np.ndarray, size: int) -> np.ndarray:
    """A different symmetry per row: ``p [B, N*N + 1]``, ``ks int[B]`` in 0..7."""
    p = np.asarray(p)
    if p.ndim != 2 or p.shape[1] != size * size + 1:
        raise ValueError(
            f"policy must be [B, {size * size + 1}] for a {size}x{size} board, "
            f"got shape {p.shape}")
    ks = _check_ks(ks, p.shape[0])
    moves = p.shape[1]
    index = (permutations(size, with_pass=True)[ks]
             + (np.arange(len(ks), dtype=np.intp) * moves)[:, None])
    return np.ascontiguousarray(p).ravel()[index.ravel()].reshape(p.shape)


def inverse_policy_each(p: np.ndarray, ks: np.ndarray, size: int) -> np.ndarray:
    """Undo ``transform_policy_each(., ks, size)`` row by row."""
    ks = _check_ks(ks, np.shape(p)[0] if np.ndim(p) else -1)
    return transform_policy_each(p, _INVERSES[ks], size)


_INVERSES = np.array([inverse(k) for k in range(NUM_SYMMETRIES)], np.intp)
INVERSES = _INVERSES
"""``intp[8]``: ``INVERSES[k]`` = ``inverse(k)``, to undo per-position symmetries
(``transform_boards_each(x, INVERSES[ks])`` undoes ``transform_boards_each(x, ks)``)."""


def _check_ks(ks: np.ndarray, batch: int) -> np.ndarray:
    ks = np.asarray(ks)
    if ks.shape != (batch,) or not np.issubdtype(ks.dtype, np.integer):
        raise ValueError(f"ks must be int[{batch}], got {ks.dtype}{list(ks.shape)}")
    if batch and (ks.min() < 0 or ks.max() >= NUM_SYMMETRIES):
        raise ValueError(f"symmetry indices must be in 0..7, got {np.unique(ks)}")
    return ks.astype(np.intp, copy=False)
