"""Analysis output for GUIs: Leela Zero's ``lz-analyze`` and KataGo's ``kata-analyze`` lines.

One output line lists every reported move, each as ``info move ... pv ...``:

* Leela Zero (``lz``): ``info move D4 visits 12 winrate 5234 prior 1234 lcb 5000 order 0
  pv D4 Q16``, winrate, prior and lcb in 1/100 of a percent (0..10000);
* KataGo (``kata``): ``info move D4 visits 12 utility 0.0468 winrate 0.523400 prior
  0.123400 lcb 0.500000 scoreMean 2.5 scoreLead 2.5 order 0 pv D4 Q16`` with 0..1 floats.
  ``scoreLead`` (and KataGo's older name ``scoreMean``, the same number) is the network's
  predicted final score after the move, in points for the side to move, and is present
  only when the network has a score head; so is the trailing ``ownership`` followed by
  N*N values in [-1, 1] (+1: the side to move ends up owning the point), row-major from
  the top-left point (A9 on 9x9), when ``ownership true`` is asked.

Winrates are for the side to move at the analysed position: ``(Q + 1) / 2`` of the
search's values, which are from that player's point of view. ``lcb`` is a lower
confidence bound of the winrate, ``winrate - 1.96 * sqrt(w (1 - w) / visits)`` (0 for an
unvisited move). ``order`` ranks moves by visits, then winrate, then prior.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from go import coords
from gtp.game_state import parse_colour
from gtp.protocol import GtpSyntaxError, parse_bool, parse_int, shown
from mcts import RootStats

Z_LCB = 1.96


@dataclass(frozen=True)
class AnalyzeRequest:
    """Arguments of ``lz-analyze`` / ``kata-analyze`` / ``*-genmove_analyze``.

    ``colour``: the side to analyse for (``None``: the side to move); ``interval``:
    centiseconds between output lines (0: no periodic output); ``min_moves``: report at
    least this many moves (unvisited ones by prior); ``max_moves``: at most this many
    (0: no limit); ``pv_visits``: KataGo's ``pvVisits``; ``root_info``: KataGo's
    ``rootInfo``; ``ownership``: append the predicted ownership (KataGo style only).
    """

    colour: int | None = None
    interval: int = 0
    min_moves: int = 0
    max_moves: int = 0
    pv_visits: bool = False
    root_info: bool = False
    ownership: bool = False


def parse_analyze(tokens: list[str], colour_required: bool = False) -> AnalyzeRequest:
    """``[colour] [interval] [key value ...]`` as Leela Zero and KataGo accept them.

    Keys: ``interval``, ``minmoves``, ``maxmoves`` (integers), ``pvVisits``,
    ``rootInfo``, ``ownership``, ``ownershipStdev``, ``movesOwnership`` (booleans).
    ``avoid``/``allow`` are refused (the search cannot restrict its root moves).
    Integers are GTP ``int`` (0..2^31-1, ASCII digits). Raises ``GtpSyntaxError`` naming
    the bad token (cut when long).
    """
    rest = list(tokens)
    colour = None
    if rest:
        try:
            colour = parse_colour(rest[0])
            rest.pop(0)
        except ValueError:
            pass
    if colour is None and colour_required:
        got = shown(tokens[0]) if tokens else "nothing"
        raise GtpSyntaxError(f"a colour is required, got {got}")
    values: dict[str, object] = {}
    if rest and rest[0].isascii() and rest[0].isdigit():
        token = rest.pop(0)
        try:
            values["interval"] = parse_int(token)
        except ValueError as exc:
            raise GtpSyntaxError(f"bad interval: {exc}") from None
    ints = {"interval": "interval", "minmoves": "min_moves", "maxmoves": "max_moves"}
    bools = {"pvvisits": "pv_visits", "rootinfo": "root_info", "ownership": "ownership",
             "ownershipstdev": None, "movesownership": None}
    while rest:
        key = rest.pop(0)
        lowered = key.lower()
        if lowered in ("avoid", "allow"):
            raise GtpSyntaxError(f"{key} is not supported")
        if lowered not in ints and lowered not in bools:
            raise GtpSyntaxError(f"unknown analysis option {shown(key)}")
        if not rest:
            raise GtpSyntaxError(f"option {key!r} needs a value")
        value = rest.pop(0)
        try:
            if lowered in ints:
                values[ints[lowered]] = parse_int(value)
            else:
                flag = parse_bool(value)
                name = bools[lowered]
                if name is not None:
                    values[name] = flag
        except ValueError as exc:
            raise GtpSyntaxError(f"bad value for {key}: {exc}") from None
    return AnalyzeRequest(colour=colour, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MoveInfo:
    """One reported move: flat ``move``, ``visits``, ``winrate`` and ``lcb`` (0..1 for the
    side to move), ``prior`` (0..1), ``utility`` (the value, -1..1), ``order`` (rank),
    ``pv`` (flat moves, starting with ``move``), ``pv_visits`` (visits along ``pv``)."""

    move: int
    visits: int
    winrate: float
    lcb: float
    prior: float
    utility: float
    order: int
    pv: tuple[int, ...]
    pv_visits: tuple[int, ...] = ()


def lower_bound(winrate: float, visits: int) -> float:
    """Normal-approximation lower confidence bound of a winrate after ``visits``."""
    if visits <= 0:
        return 0.0
    return max(0.0, winrate - Z_LCB * math.sqrt(max(winrate * (1 - winrate), 0.0) / visits))


def move_infos(
    stats: RootStats,
    principal_variation: Callable[[int], list[int]],
    request: AnalyzeRequest,
    pv_visits: Callable[[list[int]], list[int]] | None = None,
) -> list[MoveInfo]:
    """The moves to report, ranked, from a search node's statistics (see ``RootStats``).

    ``principal_variation(move)`` gives the line starting with ``move``;
    ``pv_visits(line)`` the visits of each move along it (asked only for ``pvVisits``).
    Visited moves always; unvisited legal moves by prior until ``min_moves`` are listed;
    at most ``max_moves`` when that is positive.
    """
    root_value = 0.0 if math.isnan(stats.value) else float(stats.value)
    legal = np.flatnonzero(stats.legal)
    visited = [int(m) for m in legal if stats.visits[m] > 0]
    q = {m: float(stats.q[m]) for m in visited}
    visited.sort(key=lambda m: (-int(stats.visits[m]), -q[m], -float(stats.priors[m])))
    chosen = list(visited)
    if len(chosen) < request.min_moves:
        spare = sorted((int(m) for m in legal if stats.visits[m] == 0),
                       key=lambda m: -float(stats.priors[m]))
        chosen += spare[: request.min_moves - len(chosen)]
    if request.max_moves > 0:
        chosen = chosen[: request.max_moves]
    infos = []
    for order, move in enumerate(chosen):
        visits = int(stats.visits[move])
        value = q.get(move, root_value)
        winrate = min(max((value + 1) / 2, 0.0), 1.0)
        pv = tuple(principal_variation(move)) if visits > 0 else (move,)
        along = tuple(pv_visits(list(pv))) if (pv_visits is not None and request.pv_visits) \
            else ()
        infos.append(MoveInfo(move, visits, winrate, lower_bound(winrate, visits),
                              float(stats.priors[move]), value, order, pv, along))
    return infos


def lz_line(infos: list[MoveInfo], size: int) -> str:
    """Leela Zero's format: integers in 1/100 percent."""
    parts = []
    for info in infos:
        pv = " ".join(coords.to_gtp(m, size) for m in info.pv)
        parts.append(
            f"info move {coords.to_gtp(info.move, size)} visits {info.visits} "
            f"winrate {round(10000 * info.winrate)} prior {round(10000 * info.prior)} "
            f"lcb {round(10000 * info.lcb)} order {info.order} pv {pv}")
    return " ".join(parts)


def kata_line(infos: list[MoveInfo], size: int, root: RootStats | None = None,
              root_info: bool = False, score_leads: list[float] | None = None,
              ownership: np.ndarray | None = None,
              root_score_lead: float | None = None) -> str:
    """KataGo's format: winrate, prior, lcb as 0..1 floats; ``utility`` is the value.

    ``score_leads[i]``: ``infos[i]``'s predicted score lead (points, side to move) shown as
    ``scoreMean`` and ``scoreLead``; ``ownership float[N*N]`` (side to move's view) is
    appended after the moves; ``root_score_lead`` goes into ``rootInfo``. ``None``: left
    out (a network without a score/ownership head).
    """
    parts = []
    for i, info in enumerate(infos):
        pv = " ".join(coords.to_gtp(m, size) for m in info.pv)
        score = "" if score_leads is None else (
            f"scoreMean {score_leads[i]:.4f} scoreLead {score_leads[i]:.4f} ")
        text = (f"info move {coords.to_gtp(info.move, size)} visits {info.visits} "
                f"utility {info.utility:.6f} winrate {info.winrate:.6f} "
                f"prior {info.prior:.6f} lcb {info.lcb:.6f} {score}order {info.order} "
                f"pv {pv}")
        if info.pv_visits:
            text += " pvVisits " + " ".join(str(v) for v in info.pv_visits)
        parts.append(text)
    if root_info and root is not None:
        value = 0.0 if math.isnan(root.value) else float(root.value)
        lead = "" if root_score_lead is None else f" scoreLead {root_score_lead:.4f}"
        parts.append(f"rootInfo visits {root.total_visits} utility {value:.6f} "
                     f"winrate {(value + 1) / 2:.6f}{lead}")
    if ownership is not None:
        parts.append("ownership " + " ".join(f"{v:.4f}" for v in np.asarray(ownership)))
    return " ".join(parts)
