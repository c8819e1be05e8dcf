"""Numeric precision of a network: float32, or mixed bfloat16 / float16 where it pays.

A precision is one of ``PRECISIONS``:

* ``"float32"``: variables and arithmetic in float32;
* ``"bfloat16"``: Keras' ``mixed_bfloat16`` (variables float32, convolutions and dense
  layers in bfloat16, batch normalisation statistics in float32);
* ``"float16"``: Keras' ``mixed_float16`` likewise (GPUs; inference only, training in
  float16 would need loss scaling and is refused by ``Trainer``).

The precision belongs to a model, not to the process: ``build_model(config, precision)``
gives every layer its own dtype policy, so one process can hold a float32 and a bfloat16
model side by side (``keras.mixed_precision.set_global_policy`` is never needed). The heads
always return float32 logits and values. Weights are float32 in every precision, so
``get_weights()`` / ``set_weights()`` move between precisions unchanged, and a checkpoint
holds float32 weights whatever precision it was trained in (``load_checkpoint(path,
precision=...)`` loads it in either).

Which precision a process uses is decided once, at start, by ``choose_precision``: a short
measurement (a few hundred milliseconds after compilation) of this network's forward pass
on the process's default device in each candidate precision, the fastest low precision
winning only if it is at least ``margin`` times float32's rate and its outputs stay within
the accuracy bounds below (``within_bounds``); or forced by a setting. The
returned ``PrecisionChoice`` is what a caller prints (``describe()``) and records
(``to_dict()``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from network.config import NetworkConfig
from network.dtype_policy import (  # the names, re-exported: callers import them from here
    PRECISIONS,
    PrecisionError,
    check_precision,
    dtype_policy,
    precision_of,
)
from network.model import build_model, network_config_of

__all__ = [
    "PRECISIONS", "PrecisionError", "apply", "check_precision", "choose_precision",
    "dtype_policy", "precision_of",
]

#: Accuracy bounds of a low precision against float32 on the same weights and positions,
#: checked by the accuracy test (9x9 b6c64, positions from played games) and by
#: ``choose_precision``: mean policy KL divergence (nats, float32 || low precision), mean
#: and largest absolute value difference (values in [-1, 1]). bfloat16 keeps 8 bits of
#: mantissa, so logits move by about 1%: measured on the test's 156 positions, KL 1.5e-4,
#: value errors 0.008 mean and 0.054 largest, far below the noise of the search's estimates.
POLICY_KL_BOUND = 0.01
VALUE_ERROR_MEAN_BOUND = 0.02
VALUE_ERROR_MAX_BOUND = 0.1
#: ``choose_precision`` times the candidates in this many interleaved rounds.
MEASURE_ROUNDS = 3


def apply(model: Any, precision: str) -> Any:
    """``model`` in ``precision``: itself if already so, else a new ``build_model`` network
    with the same (float32) weights.

    The new model is not compiled and carries no optimizer; to keep training state across
    a change of precision, pass ``precision=`` to ``Trainer`` instead, which carries the
    optimizer's step and momenta over.
    """
    check_precision(precision)
    if precision_of(model) == precision:
        return model
    converted = build_model(network_config_of(model), precision)
    converted.set_weights(model.get_weights())
    return converted


def output_divergence(
    logits_ref: np.ndarray, values_ref: np.ndarray, logits: np.ndarray, values: np.ndarray
) -> dict[str, float]:
    """How far outputs are from reference outputs on the same positions.

    Args: ``logits_ref, logits: float[B, M]`` (policy logits over every move),
    ``values_ref, values: float[B]`` (values for the player to move).
    Returns ``policy_kl_mean`` / ``policy_kl_max`` (KL(softmax(ref) || softmax(other)),
    nats, over all moves) and ``value_error_mean`` / ``value_error_max`` (absolute).
    """
    ref = np.asarray(logits_ref, np.float64)
    other = np.asarray(logits, np.float64)
    log_p = ref - ref.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    log_q = other - other.max(axis=1, keepdims=True)
    log_q -= np.log(np.exp(log_q).sum(axis=1, keepdims=True))
    kl = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    err = np.abs(np.asarray(values_ref, np.float64) - np.asarray(values, np.float64))
    return {"policy_kl_mean": float(kl.mean()), "policy_kl_max": float(kl.max()),
            "value_error_mean": float(err.mean()), "value_error_max": float(err.max())}


def within_bounds(divergence: dict[str, float]) -> bool:
    """Whether ``output_divergence``'s result is inside ``POLICY_KL_BOUND`` (mean KL),
    ``VALUE_ERROR_MEAN_BOUND`` and ``VALUE_ERROR_MAX_BOUND``."""
    return (divergence["policy_kl_mean"] <= POLICY_KL_BOUND
            and divergence["value_error_mean"] <= VALUE_ERROR_MEAN_BOUND
            and divergence["value_error_max"] <= VALUE_ERROR_MAX_BOUND)


@dataclass(frozen=True)
class PrecisionChoice:
    """The outcome of ``choose_precision``.

    Attributes:
        precision: the chosen one of ``PRECISIONS``.
        forced: True when a setting chose it (nothing was measured).
        device: the device measured on, in words (``"cpu"``, ``"gpu: NVIDIA H200"``).
        backend: the Keras backend.
        batch: positions per forward pass measured.
        rates: evaluations/s of each candidate precision (empty when forced).
        divergence: per low-precision candidate, ``output_divergence`` against float32.
        reason: one sentence saying why.
    """

    precision: str
    forced: bool
    device: str
    backend: str
    batch: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    divergence: dict[str, dict[str, float]] = field(default_factory=dict)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (what a run directory records)."""
        return {"precision": self.precision, "forced": self.forced, "device": self.device,
                "backend": self.backend, "batch": self.batch, "rates": dict(self.rates),
                "divergence": {k: dict(v) for k, v in self.divergence.items()},
                "reason": self.reason}

    def describe(self) -> str:
        """One line for a placement table: ``bfloat16 (measured: 1.9x float32 on cpu)``."""
        return f"{self.precision} ({self.reason})"


def _timed_rate(forward: Any, x: np.ndarray, budget_s: float) -> float:
    """Best single-call rate (positions/s) of ``forward(x)`` over ``budget_s`` seconds."""
    best = float("inf")
    deadline = time.perf_counter() + budget_s
    calls = 0
    while calls < 2 or time.perf_counter() < deadline:
        start = time.perf_counter()
        forward(x)
        best = min(best, time.perf_counter() - start)
        calls += 1
    return len(x) / best


def _random_planes(config: NetworkConfig, batch: int, seed: int) -> np.ndarray:
    from network.features import planes

    rng = np.random.default_rng(seed)
    n, h = config.board_size, config.history_length
    boards = (rng.integers(-1, 2, (batch, h, n, n)) * (rng.random((batch, h, n, n)) < 0.6)
              ).astype(np.int8)
    to_play = rng.choice(np.array([-1, 1], np.int8), batch)
    return planes(boards, to_play, config.liberty_planes)


def default_candidates() -> tuple[str, ...]:
    """``("float32", "bfloat16")``, plus ``"float16"`` when the default device is a GPU."""
    from network import backend

    gpu = backend.device_description().startswith("gpu")
    return ("float32", "bfloat16", "float16") if gpu else ("float32", "bfloat16")


def choose_precision(
    config: NetworkConfig,
    forced: str | None = None,
    batch: int = 256,
    budget_s: float = 0.3,
    candidates: tuple[str, ...] | None = None,
    margin: float = 1.1,
    seed: int = 0,
) -> PrecisionChoice:
    """Choose the precision of ``config``'s network on this process's default device.

    Args:
        config: the network to measure (its real shape: the answer depends on it).
        forced: a precision to use without measuring (a config field or flag), or None.
        batch: positions per forward pass (use the batch the caller will run).
        budget_s: measuring time per candidate after its compilation, split into
            ``MEASURE_ROUNDS`` rounds that take the candidates in turn (best call kept).
        candidates: precisions to try; default ``default_candidates()``. float32 is always
            measured, as the reference.
        margin: a low precision wins only at ``margin`` times float32's rate or more.
        seed: the positions of the measurement (the weights are freshly initialised:
            speed and the relative error do not depend on training; Keras' global seed is
            left alone).

    Returns a ``PrecisionChoice``. Call it after ``backend.configure`` and before building
    the models that will run; it builds one throw-away model per candidate.
    """
    from network import backend
    from network.model import build_model

    device, name = backend.device_description(), backend.backend_name()
    if forced is not None:
        check_precision(forced)
        return PrecisionChoice(forced, True, device, name, reason="forced by a setting")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    candidates = default_candidates() if candidates is None else tuple(candidates)
    for c in candidates:
        check_precision(c)
    candidates = ("float32", *[c for c in candidates if c != "float32"])
    reference = build_model(config, "float32")
    weights = reference.get_weights()
    x = _random_planes(config, batch, seed)
    forwards, outputs = {}, {}
    for c in candidates:
        model = reference if c == "float32" else build_model(config, c)
        model.set_weights(weights)
        forwards[c], _ = backend.compiled_forward(model)
        outputs[c] = forwards[c](x)                     # compiles; outputs for accuracy
    # Interleaved rounds, best call of each candidate kept: a load that comes and goes
    # (other processes on the machine) reaches every candidate alike.
    best_rates = dict.fromkeys(candidates, 0.0)
    for _ in range(MEASURE_ROUNDS):
        for c in candidates:
            best_rates[c] = max(best_rates[c],
                                _timed_rate(forwards[c], x, budget_s / MEASURE_ROUNDS))
    rates = {c: round(r, 1) for c, r in best_rates.items()}
    divergence = {c: output_divergence(*outputs["float32"], *outputs[c])
                  for c in candidates if c != "float32"}
    accurate = [c for c in divergence if within_bounds(divergence[c])]
    best = max(accurate, key=lambda c: rates[c], default=None)
    if best is not None and rates[best] >= margin * rates["float32"]:
        choice = best
        reason = f"measured: {rates[best] / rates['float32']:.2f}x float32 on {device}"
    else:
        choice = "float32"
        parts = [f"{c} {rates[c] / rates['float32']:.2f}x" for c in candidates[1:]]
        inaccurate = [c for c in divergence if c not in accurate]
        reason = (f"measured on {device}: {', '.join(parts) or 'no other candidate'} "
                  f"(needs {margin:.2f}x)"
                  + (f"; outside accuracy bounds: {', '.join(inaccurate)}" if inaccurate
                     else ""))
    return PrecisionChoice(choice, False, device, name, batch, rates, divergence, reason)
