"""Command line of the benchmarks; see ``benchmarks/__init__.py``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from benchmarks import BENCHMARKS

#: Run only when named in --only: "gpu" measures an accelerator under Keras' JAX backend
#: (see benchmarks/gpu.py and scripts/gpu_bench.sh) and needs a process of its own;
#: "driver" measures the driver's capacity (benchmarks/driver.py, a few minutes).
OPT_IN = ("gpu", "driver")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (for smoke tests)")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {', '.join(BENCHMARKS)}; "
                             f"also {', '.join(OPT_IN)} (only when named)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS + OPT_IN]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from "
                     f"{', '.join(BENCHMARKS + OPT_IN)}")
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"benchmarks.{name}":
                raise
            print(json.dumps({"bench": name, "error": "not implemented yet"}), flush=True)
            continue
        for record in module.run(quick=args.quick):
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
