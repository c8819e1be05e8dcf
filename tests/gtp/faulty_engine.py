"""A GTP program that misbehaves on purpose, to test how the referee and the client cope.

``python faulty_engine.py MODE [AFTER]`` answers the setup commands properly and plays
first-legal-looking moves (it walks the board from A1) until it has generated AFTER moves
(default 3); from then on, depending on MODE:

* ``occupied``: answers genmove with a point it played before (illegal: occupied);
* ``garbage``: answers genmove with text that is not a move;
* ``crash``: exits with code 3 in the middle of a genmove;
* ``hang``: never answers genmove;
* ``refuse``: answers every ``play`` with ``? illegal move``;
* ``fail``: answers genmove with ``? cannot think``.
Standard library only.
"""

from __future__ import annotations

import sys
import time

COLUMNS = "ABCDEFGHJKLMNOPQRST"


def main() -> None:
    mode = sys.argv[1]
    after = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    size = 9
    taken: set[str] = set()
    mine: list[str] = []
    generated = 0
    for raw in sys.stdin:
        parts = raw.split()
        if not parts:
            continue
        ident = parts.pop(0) if parts[0].isdigit() else ""
        name, args = parts[0], parts[1:]

        def answer(text: str = "", ok: bool = True, ident: str = ident) -> None:
            sys.stdout.write(f"{'=' if ok else '?'}{ident} {text}\n\n")
            sys.stdout.flush()

        if name == "name":
            answer(f"faulty-{mode}")
        elif name == "version":
            answer("1")
        elif name == "boardsize":
            size = int(args[0])
            answer()
        elif name == "clear_board":
            taken.clear()
            mine.clear()
            answer()
        elif name == "komi":
            answer()
        elif name == "play":
            if mode == "refuse" and generated >= after:
                answer("illegal move", ok=False)
            else:
                taken.add(args[1].upper())
                answer()
        elif name == "genmove":
            if generated >= after:
                if mode == "occupied":
                    answer(mine[0] if mine else sorted(taken)[0])
                    continue
                if mode == "garbage":
                    answer("over-there")
                    continue
                if mode == "crash":
                    sys.exit(3)
                if mode == "hang":
                    time.sleep(3600)
                if mode == "fail":
                    answer("cannot think", ok=False)
                    continue
            generated += 1
            move = next((f"{c}{r}" for r in range(1, size + 1) for c in COLUMNS[:size]
                         if f"{c}{r}" not in taken), "pass")
            if move != "pass":
                taken.add(move)
                mine.append(move)
            answer(move)
        elif name == "quit":
            answer()
            return
        else:
            answer("unknown command", ok=False)


if __name__ == "__main__":
    main()
