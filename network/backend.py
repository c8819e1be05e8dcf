"""Backend-specific set-up, in one place: devices, threads, mixed precision, compiled calls.

Everything else in ``network`` speaks only the Keras API. TensorFlow is the default backend
(``network/__init__.py`` sets ``KERAS_BACKEND=tensorflow`` unless the user chose another);
JAX and PyTorch get the same functions with their own mechanics.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np


def backend_name() -> str:
    """The Keras backend in use (``"tensorflow"``, ``"jax"``, ``"torch"``, ...)."""
    import keras

    return keras.backend.backend()


def device_description() -> str:
    """The default device of this process, in words: ``"cpu"`` or ``"gpu: <name>"``.

    TensorFlow: the first visible GPU (its name as TensorFlow reports it), else ``cpu``.
    JAX: ``jax.devices()[0]`` (``"gpu: NVIDIA H200"``, ``"tpu: ..."``, ``"cpu"``).
    """
    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        if not gpus:
            return "cpu"
        details = tf.config.experimental.get_device_details(
            tf.config.list_physical_devices("GPU")[0])
        return f"gpu: {details.get('device_name', gpus[0].name)}"
    if name == "jax":
        import jax

        device = jax.devices()[0]
        return "cpu" if device.platform == "cpu" else f"{device.platform}: {device.device_kind}"
    if name == "torch":
        import torch

        if torch.cuda.is_available():
            return f"gpu: {torch.cuda.get_device_name(0)}"
    return "cpu"


def hide_gpus() -> None:
    """Make this process CPU-only (for search workers, tests, CPU benchmarks).

    Call it before the backend touches a GPU: ideally before importing keras/tensorflow,
    which sets ``CUDA_VISIBLE_DEVICES=-1`` (and ``JAX_PLATFORMS=cpu``). If TensorFlow is
    already imported, its GPUs are hidden through ``tf.config``; that is refused by
    TensorFlow once a GPU was initialised, which is reported as a ``RuntimeError``.
    """
    if "tensorflow" not in sys.modules and "jax" not in sys.modules and "torch" not in sys.modules:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
        os.environ["JAX_PLATFORMS"] = "cpu"
        return
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        try:
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError as exc:
            raise RuntimeError(
                f"hide_gpus() came too late: TensorFlow already initialised its GPUs ({exc}); "
                f"call it before building any model") from exc
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"


def configure(
    gpu_memory_growth: bool = True,
    threads: int | None = None,
    mixed_precision: str | None = None,
) -> dict[str, Any]:
    """Set up the backend for this process; call once, before building models.

    Args:
        gpu_memory_growth: TensorFlow only: allocate GPU memory as needed instead of
            grabbing it all (lets an inference actor and a learner share a GPU).
        threads: CPU threads for ops (intra-op; inter-op gets 2). ``None`` keeps the
            backend's default (all cores).
        mixed_precision: ``None`` (float32), ``"mixed_float16"`` (GPUs) or
            ``"mixed_bfloat16"`` (TPUs, recent CPUs); the heads still output float32.
            This is Keras' process-wide default for layers built without a policy;
            prefer ``build_model(config, precision)`` (``network.precision``), which
            gives each model its own policy and leaves this default alone.

    Returns what was applied: ``{"backend", "gpus", "threads", "mixed_precision"}``.
    Calling it again with the settings already in force is harmless; changing threads or
    memory growth after TensorFlow has initialised raises ``RuntimeError`` naming them.
    """
    import keras

    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    if mixed_precision not in (None, "float32", "mixed_float16", "mixed_bfloat16"):
        raise ValueError(
            f"mixed_precision must be None, 'mixed_float16' or 'mixed_bfloat16', "
            f"got {mixed_precision!r}")
    name = keras.backend.backend()
    gpus = 0
    if name == "tensorflow":
        import tensorflow as tf

        devices = tf.config.list_physical_devices("GPU")
        gpus = len(devices)
        # Settings already in force are left alone, so several roles configuring the same
        # process identically (local tests, one machine) do not trip TensorFlow.
        try:
            for device in devices:
                if tf.config.experimental.get_memory_growth(device) != gpu_memory_growth:
                    tf.config.experimental.set_memory_growth(device, gpu_memory_growth)
            threading = tf.config.threading
            if threads is not None and threading.get_intra_op_parallelism_threads() != threads:
                threading.set_intra_op_parallelism_threads(threads)
            inter = None if threads is None else min(2, threads)
            if inter is not None and threading.get_inter_op_parallelism_threads() != inter:
                threading.set_inter_op_parallelism_threads(inter)
        except RuntimeError as exc:
            raise RuntimeError(
                f"configure(gpu_memory_growth={gpu_memory_growth}, threads={threads}) came "
                f"too late: TensorFlow is already initialised ({exc})") from exc
    elif name == "torch" and threads is not None:
        import torch

        torch.set_num_threads(threads)
    elif name == "jax":
        import jax

        gpus = len([d for d in jax.devices() if d.platform == "gpu"])
    keras.mixed_precision.set_global_policy(mixed_precision or "float32")
    return {"backend": name, "gpus": gpus, "threads": threads,
            "mixed_precision": mixed_precision or "float32"}


def compiled_forward(
    model: Any, on_trace: Callable[[], None] | None = None
) -> tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], bool]:
    """A compiled inference call ``planes float32[B, N, N, C] -> (logits[B, M], values[B])``.

    Returns ``(forward, needs_fixed_batch)``. On TensorFlow ``forward`` is one
    ``tf.function`` traced once for every batch size (input signature with a ``None``
    batch dimension), so ``needs_fixed_batch`` is False. On JAX the compiled function is
    specialised per shape, so callers pad to a few bucket sizes (``needs_fixed_batch``
    True). ``on_trace`` is called each time the function is (re)traced (tests count it).
    Outputs are numpy float32 whatever the model's precision; the model runs with
    ``training=False``. The TensorFlow and JAX paths are tested (JAX in its own process,
    ``KERAS_BACKEND=jax``); the PyTorch path is not.
    """
    import keras

    name = keras.backend.backend()
    shape = tuple(model.input_shape[1:])
    if name == "tensorflow":
        import tensorflow as tf

        def call(x: Any) -> tuple[Any, Any]:
            if on_trace is not None:
                on_trace()
            out = model(x, training=False)
            return out["policy"], out["value"][:, 0]

        fn = tf.function(call, input_signature=[tf.TensorSpec((None, *shape), tf.float32)])

        def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            policy, value = fn(tf.constant(x))
            return policy.numpy(), value.numpy()

        return forward, False
    if name == "jax":
        import jax

        def pure(trainable: Any, non_trainable: Any, x: Any) -> tuple[Any, Any]:
            if on_trace is not None:
                on_trace()
            out, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return out["policy"], out["value"][:, 0]

        jitted = jax.jit(pure)

        def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]
            policy, value = jitted(trainable, non_trainable, x)
            return np.asarray(policy), np.asarray(value)

        return forward, True

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = model.predict_on_batch(x)
        return (np.asarray(keras.ops.convert_to_numpy(out["policy"])),
                np.asarray(keras.ops.convert_to_numpy(out["value"]))[:, 0])

    return forward, False
