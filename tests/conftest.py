"""Shared test set-up: keep TensorFlow quiet and on the CPU, and Ray on the loopback."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Every Ray the tests start (and the processes they spawn, which inherit this) binds to
# 127.0.0.1 instead of the machine's network address: test traffic stays on the loopback.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
