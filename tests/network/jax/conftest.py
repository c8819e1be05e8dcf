"""Tests of Keras' JAX backend. The backend is fixed per process, so these run in their own
pytest process: ``KERAS_BACKEND=jax python -m pytest tests/network/jax`` (scripts/test.sh
does, together with the backend-agnostic network tests). In a process on another backend
they are not collected: the run says so in its header."""

from __future__ import annotations

import os

if os.environ.get("KERAS_BACKEND") != "jax":
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header(config):
    if os.environ.get("KERAS_BACKEND") != "jax":
        return "tests/network/jax not collected: they need KERAS_BACKEND=jax"
    return None
