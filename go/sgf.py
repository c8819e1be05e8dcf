"""SGF (FF[4]) read and write for Go games.

``to_string(game)`` / ``save(path, game)`` write a ``Game`` (root properties GM, FF, CA,
AP, SZ, KM, RU, PB, PW, DT, RE, HA, AB, AW, PL, C; then one node per move with an
optional C). ``parse(text)`` / ``load(path)`` read the main line of the first game tree
back into a ``Game``: setup AB/AW/AE and PL in the nodes before the first move, HA,
escapes (``\\]``, ``\\\\``, soft line breaks), compressed point lists (``AB[aa:cc]``), and
pass written as ``B[]`` or ``B[tt]``. Variations are checked for syntax and skipped.

Anything malformed raises ``SgfError`` (a ``ValueError``) naming the line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from go import coords
from go.atomic_file import write_text_atomic
from go.errors import ZerogoError
from go.game_record import Game
from go.position import MAX_SIZE, MIN_SIZE, Position

APPLICATION = "zerogo:0.1"
_SETUP = ("AB", "AW", "AE")
_SIMPLE_TEXT = ("PB", "PW", "DT", "RE", "RU")


class SgfError(ZerogoError, ValueError):
    """Malformed or unsupported SGF; the message says where (line and column)."""


# ---------------------------------------------------------------------------- writing
def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("]", "\\]")


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def to_string(game: Game) -> str:
    """The SGF text of ``game`` (one game tree, main line only)."""
    size = game.size
    root = [f"GM[1]FF[4]CA[UTF-8]AP[{APPLICATION}]SZ[{size}]KM[{_number(game.komi)}]"]
    for ident, value in (("RU", game.rules), ("PB", game.black_player),
                         ("PW", game.white_player), ("DT", game.date), ("RE", game.result)):
        if value is not None:
            root.append(f"{ident}[{_escape(value)}]")
    if game.handicap:
        root.append(f"HA[{game.handicap}]")
    for ident, stones in (("AB", game.black_stones), ("AW", game.white_stones)):
        if stones:
            root.append(ident + "".join(f"[{coords.to_sgf(p, size)}]" for p in stones))
    if game.to_play != 1:
        root.append("PL[W]")
    if game.comment is not None:
        root.append(f"C[{_escape(game.comment)}]")
    lines = ["(;" + "".join(root)]
    line: list[str] = []
    for i, move in enumerate(game.moves):
        colour = "B" if game.colour_of(i) == 1 else "W"
        node = f";{colour}[{coords.to_sgf(move, size)}]"
        if i in game.comments:
            node += f"C[{_escape(game.comments[i])}]"
        line.append(node)
        if len(line) == 10 or i in game.comments:
            lines.append("".join(line))
            line = []
    if line:
        lines.append("".join(line))
    return "\n".join(lines) + ")\n"


def save(path: str | os.PathLike, game: Game) -> None:
    """Write ``game`` to ``path`` as UTF-8 SGF, atomically (temp file, then rename)."""
    write_text_atomic(path, to_string(game))


# ---------------------------------------------------------------------------- parsing
@dataclass
class _Node:
    offset: int
    props: dict[str, list[str]]


class _Parser:
    """An iterative SGF parser (no recursion limit on nested variations): ``main_line``
    returns the nodes of the first game tree's main line and checks the rest for syntax."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def where(self, offset: int) -> str:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return f"line {line}, column {col}"

    def fail(self, message: str, offset: int | None = None) -> SgfError:
        offset = self.i if offset is None else offset
        return SgfError(f"{message} (SGF {self.where(offset)})")

    def skip_space(self) -> None:
        text, i = self.text, self.i
        while i < len(text) and text[i].isspace():
            i += 1
        self.i = i

    def main_line(self) -> list[_Node]:
        self.skip_space()
        if self.i >= len(self.text):
            raise self.fail("empty SGF: no game tree")
        if self.text[self.i] != "(":
            raise self.fail(f"SGF must start with '(', found {self.text[self.i]!r}")
        self.i += 1
        # One entry per open game tree: [on_main_line, nodes_seen, children_seen].
        stack = [[True, 0, 0]]
        nodes: list[_Node] = []
        while stack:
            self.skip_space()
            if self.i >= len(self.text):
                raise self.fail(f"SGF ends inside a game tree ({len(stack)} unclosed '(')")
            c = self.text[self.i]
            tree = stack[-1]
            if c == ";":
                if tree[2]:
                    raise self.fail("node after a variation (';' must come before '(')")
                offset = self.i
                self.i += 1
                props = self.properties()
                tree[1] += 1
                if tree[0]:
                    nodes.append(_Node(offset, props))
            elif c == "(":
                if not tree[1]:
                    raise self.fail("game tree without a node (expected ';')")
                self.i += 1
                stack.append([tree[0] and tree[2] == 0, 0, 0])
                tree[2] += 1
            elif c == ")":
                if not tree[1]:
                    raise self.fail("game tree without a node (expected ';')")
                self.i += 1
                stack.pop()
            else:
                raise self.fail(f"unexpected {c!r} (expected ';', '(' or ')')")
        return nodes

    def properties(self) -> dict[str, list[str]]:
        props: dict[str, list[str]] = {}
        text = self.text
        while True:
            self.skip_space()
            start = self.i
            while self.i < len(text) and text[self.i].isascii() and text[self.i].isalpha():
                self.i += 1
            if self.i == start:
                return props
            # FF[3] allowed lowercase letters in names ("AddBlack" = AB): keep the capitals.
            ident = "".join(ch for ch in text[start:self.i] if ch.isupper())
            if not ident:
                raise self.fail(f"property name {text[start:self.i]!r} has no capital letter",
                                start)
            values = props.setdefault(ident, [])
            self.skip_space()
            if self.i >= len(text) or text[self.i] != "[":
                raise self.fail(f"property {ident} without a value (expected '[')")
            while self.i < len(text) and text[self.i] == "[":
                values.append(self.value())
                self.skip_space()

    def value(self) -> str:
        text = self.text
        start = self.i
        self.i += 1
        out: list[str] = []
        while True:
            j = self.i
            while j < len(text) and text[j] not in "]\\":
                j += 1
            out.append(text[self.i:j])
            if j >= len(text):
                raise self.fail("property value never closed (missing ']')", start)
            if text[j] == "]":
                self.i = j + 1
                return "".join(out)
            # Backslash: escape the next character; backslash-newline is a soft line break.
            if j + 1 >= len(text):
                raise self.fail("property value never closed (missing ']')", start)
            nxt = text[j + 1]
            if nxt in "\r\n":
                k = j + 2
                if k < len(text) and text[k] in "\r\n" and text[k] != nxt:
                    k += 1
                self.i = k
            else:
                out.append(nxt)
                self.i = j + 2


def parse(text: str) -> Game:
    """Read the main line of the first game tree in ``text`` into a ``Game``.

    Raises ``SgfError`` (a ``ValueError``) naming line and column for malformed SGF,
    for properties with bad values, and for what a ``Game`` cannot hold (moves that do
    not alternate, setup stones after the first move, board sizes outside 2..19).
    """
    if not isinstance(text, str):
        raise SgfError(f"SGF text must be a str, got {type(text).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]
    parser = _Parser(text)
    nodes = parser.main_line()
    return _game(parser, nodes)


def load(path: str | os.PathLike) -> Game:
    """Read an SGF file (UTF-8; Latin-1 if it is not valid UTF-8) into a ``Game``."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        return parse(text)
    except SgfError as exc:
        raise SgfError(f"{os.fspath(path)}: {exc}") from None


def _single(parser: _Parser, node: _Node, ident: str) -> str | None:
    values = node.props.get(ident)
    if values is None:
        return None
    if len(values) != 1:
        raise parser.fail(f"property {ident} has {len(values)} values, expected one",
                          node.offset)
    return values[0]


def _simple_text(value: str) -> str:
    return "".join(" " if ch.isspace() else ch for ch in value)


def _points(parser: _Parser, node: _Node, ident: str, size: int) -> set[int]:
    out: set[int] = set()
    for value in node.props.get(ident, ()):
        try:
            if ":" in value:
                first, last = value.split(":", 1)
                a, b = coords.from_sgf(first, size), coords.from_sgf(last, size)
                if size * size in (a, b):
                    raise ValueError(f"pass in a point rectangle {value!r}")
                (r0, c0), (r1, c1) = divmod(a, size), divmod(b, size)
                if r0 > r1 or c0 > c1:
                    raise ValueError(f"point rectangle {value!r} is not top-left:bottom-right")
                out.update(r * size + c for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
            else:
                p = coords.from_sgf(value, size)
                if p == size * size:
                    raise ValueError(f"empty point {value!r} in a point list")
                out.add(p)
        except ValueError as exc:
            raise parser.fail(f"{ident}: {exc}", node.offset) from None
    return out


def _game(parser: _Parser, nodes: list[_Node]) -> Game:
    root = nodes[0]
    gm = _single(parser, root, "GM")
    if gm is not None and gm.strip() != "1":
        raise parser.fail(f"GM[{gm}] is not a Go game (GM[1])", root.offset)
    size_text = _single(parser, root, "SZ")
    size = 19
    if size_text is not None:
        parts = size_text.split(":")
        try:
            dims = [int(p) for p in parts]
        except ValueError:
            raise parser.fail(f"SZ[{size_text}] is not a board size", root.offset) from None
        if len(dims) > 2 or len(set(dims)) != 1:
            raise parser.fail(f"SZ[{size_text}]: only square boards are supported",
                              root.offset)
        size = dims[0]
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise parser.fail(f"SZ[{size}]: board size must be between {MIN_SIZE} and "
                              f"{MAX_SIZE}", root.offset)
    komi_text = _single(parser, root, "KM")
    komi = 0.0
    if komi_text is not None and komi_text.strip():
        try:
            komi = float(komi_text)
        except ValueError:
            raise parser.fail(f"KM[{komi_text}] is not a number", root.offset) from None
        if komi != komi or komi in (float("inf"), float("-inf")):
            raise parser.fail(f"KM[{komi_text}] is not a finite number", root.offset)
    handicap_text = _single(parser, root, "HA")
    handicap = 0
    if handicap_text is not None and handicap_text.strip():
        try:
            handicap = int(handicap_text)
        except ValueError:
            raise parser.fail(f"HA[{handicap_text}] is not an integer", root.offset) from None
        if handicap < 0:
            raise parser.fail(f"HA[{handicap}] is negative", root.offset)
    info: dict[str, str | None] = {}
    for ident in _SIMPLE_TEXT:
        value = _single(parser, root, ident)
        info[ident] = None if value is None else _simple_text(value)

    board: dict[int, int] = {}
    to_play: int | None = None
    moves: list[int] = []
    comments: dict[int, str] = {}
    comment_parts: list[str] = []
    for node in nodes:
        has_setup = any(ident in node.props for ident in _SETUP)
        colours = [ident for ident in ("B", "W") if ident in node.props]
        if has_setup:
            if moves:
                raise parser.fail("setup stones (AB/AW/AE) after the first move are not "
                                  "supported", node.offset)
            placed: dict[int, str] = {}
            for ident, colour in (("AE", 0), ("AB", 1), ("AW", -1)):
                for p in _points(parser, node, ident, size):
                    if p in placed:
                        raise parser.fail(f"point {coords.to_sgf(p, size)} is in both "
                                          f"{placed[p]} and {ident} of one node", node.offset)
                    placed[p] = ident
                    if colour:
                        board[p] = colour
                    else:
                        board.pop(p, None)
        pl = _single(parser, node, "PL")
        if pl is not None:
            colour = _colour(parser, node, pl)
            if not moves:
                to_play = colour
            elif colour != _next_colour(to_play, len(moves)):
                raise parser.fail(f"PL[{pl}] after move {len(moves)} breaks alternation",
                                  node.offset)
        if len(colours) > 1:
            raise parser.fail("node with both a B and a W move", node.offset)
        if colours:
            ident = colours[0]
            colour = 1 if ident == "B" else -1
            value = _single(parser, node, ident)
            assert value is not None
            if to_play is None:
                to_play = colour
            if colour != _next_colour(to_play, len(moves)):
                raise parser.fail(f"move {len(moves) + 1} is {ident} but "
                                  f"{'B' if colour == -1 else 'W'} is to play (moves must "
                                  f"alternate)", node.offset)
            try:
                moves.append(coords.from_sgf(value, size))
            except ValueError as exc:
                raise parser.fail(f"move {len(moves) + 1}: {exc}", node.offset) from None
        text = _single(parser, node, "C")
        if text is not None:
            if not moves:
                comment_parts.append(text)
            elif len(moves) - 1 in comments:
                comments[len(moves) - 1] += "\n" + text
            else:
                comments[len(moves) - 1] = text

    black = tuple(sorted(p for p, c in board.items() if c == 1))
    white = tuple(sorted(p for p, c in board.items() if c == -1))
    try:
        Position.setup(size, komi, black, white, to_play or 1)
    except ValueError as exc:
        raise parser.fail(f"bad setup: {exc}", root.offset) from None
    return Game(
        size=size, komi=komi, moves=moves, black_stones=black, white_stones=white,
        to_play=to_play or 1, result=info["RE"], black_player=info["PB"],
        white_player=info["PW"], date=info["DT"], rules=info["RU"], handicap=handicap,
        comment="\n".join(comment_parts) if comment_parts else None, comments=comments,
    )


def _colour(parser: _Parser, node: _Node, text: str) -> int:
    t = text.strip().upper()
    if t in ("B", "BLACK"):
        return 1
    if t in ("W", "WHITE"):
        return -1
    raise parser.fail(f"PL[{text}] is not B or W", node.offset)


def _next_colour(first: int | None, n_played: int) -> int:
    first = first or 1
    return first if n_played % 2 == 0 else -first
