"""``python tests/selfplay/crash_driver.py POINT OCCURRENCE -- <selfplay.run flags>``: runs
``python -m selfplay.run`` and kills its own process (``os._exit(9)``, as a ``kill -9``
would: no cleanup, no flush) at the OCCURRENCE-th write that matches kill point POINT.

The kill comes from ``go.atomic_file.crash_hook``, called at each step of every atomic
write of this (the driver's) process: ``temporary`` (the new data is in a temporary file,
the target untouched) and ``replaced`` (the target holds the new data).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from go import atomic_file  # noqa: E402


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _best_lags_state(path: Path, run: Path) -> bool:
    """state.json was just replaced and names a best the pointer does not name yet."""
    pointer = run / "checkpoints" / "best"
    best = _json(path).get("best")
    named = pointer.read_text().strip() if pointer.exists() else ""
    return bool(best) and best != named


def _pair_half_written(json_path: Path) -> bool:
    """The ``.keras`` beside ``json_path`` is newer than it (or it is missing): the
    pair's first write, not a metadata update."""
    keras = json_path.with_name(json_path.name[:-len(".json")])
    return not json_path.exists() or keras.stat().st_mtime_ns > json_path.stat().st_mtime_ns


# point -> (step, test of the written path relative to the run directory)
POINTS = {
    "initial-keras": ("temporary", lambda rel, p, run: rel == "checkpoints/ckpt-00000000.keras"),
    "state-before-best": ("replaced", lambda rel, p, run: rel == "state.json"
                          and _best_lags_state(p, run)),
    "game": ("replaced", lambda rel, p, run: rel.startswith("games/")),
    "sgf": ("temporary", lambda rel, p, run: rel.startswith("sgf/")),
    "state": ("temporary", lambda rel, p, run: rel == "state.json"),
    # the candidate's .keras is in place, its .json not yet:
    "candidate-pair": ("temporary", lambda rel, p, run: rel.startswith("checkpoints/ckpt-")
                       and rel.endswith(".keras.json") and _pair_half_written(p)
                       and rel != "checkpoints/ckpt-00000000.keras.json"),
    "gate-metadata": ("replaced", lambda rel, p, run: rel.endswith(".keras.json")
                      and "gate" in _json(p)),
    # the learner's .keras is in place, its .json not yet:
    "learner-pair": ("temporary", lambda rel, p, run: rel.startswith("checkpoints/learner-")
                     and rel.endswith(".keras.json")),
}


def main() -> int:
    point, occurrence = sys.argv[1], int(sys.argv[2])
    flags = sys.argv[sys.argv.index("--") + 1:]
    run = Path(flags[flags.index("--run-dir") + 1]).resolve()
    step, matches = POINTS[point]
    seen = 0

    def crash(path: Path, at: str) -> None:
        nonlocal seen
        if at != step:
            return
        try:
            rel = Path(path).resolve().relative_to(run).as_posix()
        except ValueError:
            return
        if matches(rel, Path(path), run):
            seen += 1
            if seen == occurrence:
                print(f"crash_driver: killed at {point} ({at} {rel})", flush=True)
                os._exit(9)

    atomic_file.crash_hook = crash
    from selfplay.run import main as run_main

    return run_main(flags)


if __name__ == "__main__":
    sys.exit(main())
