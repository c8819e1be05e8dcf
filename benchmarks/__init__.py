"""Benchmarks: ``python -m benchmarks [--quick] [--only NAME,...]``.

Each benchmark module exposes ``run(quick: bool) -> Iterator[dict]`` and yields records
``{"bench", "metric", "value", "unit", ...}``; a record that compares carries
``"reference"`` (what it is compared with) and ``"ratio"`` (value / reference value, both
measured in the same run). The harness prints one JSON object per line.
"""

BENCHMARKS = ("rules", "network", "mcts", "selfplay", "gtp")
