#!/usr/bin/env bash
# The GPU benchmark on a machine with an accelerator: `python -m benchmarks --only gpu`
# under Keras' JAX backend, in a fresh virtual environment, JSON lines on stdout and in
# $OUT/gpu_bench.jsonl (OUT defaults to the current directory). Extra arguments go to the
# benchmark (e.g. --quick).
#
# The environment sees the machine's own packages (--system-site-packages): an image that
# ships jax with its CUDA plugin, numba and numpy is used as it is. What is missing is
# installed from ./wheels when that folder exists (machines without internet: fill it
# beforehand on a connected machine of the same Python version, see docs/precision.md),
# else from the package index: keras, numba, numpy, and jax: `jax[cuda12]` when
# nvidia-smi sees a GPU, `jax[cpu]` otherwise. A jax that sees no GPU is reported loudly
# and the benchmark still runs (on the CPU); REQUIRE_GPU=1 makes that an error instead.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-${TMPDIR:-/tmp}/zerogo-gpu-venv}
WHEELS=${WHEELS:-wheels}
OUT=${OUT:-.}
PYTHON=${PYTHON:-python3}

"$PYTHON" -m venv --system-site-packages "$VENV"
# shellcheck disable=SC1091
. "$VENV/bin/activate"

install() {
    if [ -d "$WHEELS" ]; then
        python -m pip install -q --no-index --find-links "$WHEELS" "$@"
    else
        python -m pip install -q "$@"
    fi
}
have() { python -c "import $1" >/dev/null 2>&1; }

have numpy || install 'numpy>=1.26'
have numba || install 'numba>=0.60'
have keras || install 'keras>=3.3'
if ! have jax; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        install 'jax[cuda12]' || { echo "gpu_bench: jax[cuda12] could not be installed;" \
            "falling back to jax[cpu]" >&2; install 'jax[cpu]'; }
    else
        install 'jax[cpu]'
    fi
fi

export KERAS_BACKEND=jax
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# One process owns the device: let XLA take most of its memory (training at batch 2048).
export XLA_PYTHON_CLIENT_MEM_FRACTION=${XLA_PYTHON_CLIENT_MEM_FRACTION:-0.9}

python - <<'PY'
import os, sys
import jax, keras, numba, numpy
platforms = sorted({d.platform for d in jax.devices()})
print(f"gpu_bench: jax {jax.__version__} devices {jax.devices()}; keras {keras.__version__}; "
      f"numba {numba.__version__}; numpy {numpy.__version__}", file=sys.stderr)
if platforms == ["cpu"]:
    print("gpu_bench: WARNING: jax sees no GPU (installed jax has no CUDA plugin, or no "
          "driver): the figures below are the CPU's", file=sys.stderr)
    if os.environ.get("REQUIRE_GPU") == "1":
        sys.exit("gpu_bench: REQUIRE_GPU=1 and no GPU: stopping")
PY

mkdir -p "$OUT"
python -m benchmarks --only gpu "$@" | tee "$OUT/gpu_bench.jsonl"
