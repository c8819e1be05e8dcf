#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine (GNU Go, and Chromium for
# the web page's browser test), then lint and test.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/games/gnugo ] || ! command -v chromium >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq gnugo chromium >/dev/null
fi
python -m pip install -q -e '.[test]'
python -m pip install -q -e '.[jax]'
python -m ruff check .
# tests/learning runs in its own process first: its fixed-seed training pins TensorFlow to one
# thread, which only works before anything else in the process has initialised TensorFlow.
python -m pytest -q -ra --durations=25 tests/learning "$@"
python -m pytest -q -ra --durations=25 --ignore=tests/learning "$@"
# Keras' backend is fixed per process: the JAX path (tests/network/jax, and the network
# tests that hold on every backend) runs in a process of its own under KERAS_BACKEND=jax.
KERAS_BACKEND=jax python -m pytest -q -ra --durations=25 tests/network/jax tests/network/test_precision.py "$@"
