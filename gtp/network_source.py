"""Where the engine's network comes from: a checkpoint file, a run directory's best
checkpoint, or a freshly initialised network.

A run directory keeps its checkpoints in ``<run>/checkpoints/``; the text file
``<run>/checkpoints/best`` holds the file name of the current best one. When that file is
missing the newest ``.keras`` file there is used.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from rundir.run_dir import BEST_POINTER, read_best_pointer


def resolve_checkpoint(path: str | os.PathLike[str]) -> Path:
    """The ``.keras`` file that ``path`` names: the file itself, or a run directory's (or
    checkpoint directory's) best checkpoint. Raises ``FileNotFoundError`` or
    ``ValueError`` naming the path and what is wrong."""
    target = Path(path)
    if not target.exists():
        raise FileNotFoundError(f"checkpoint path {str(target)!r} does not exist")
    if target.is_file():
        return target
    folder = target / "checkpoints" if (target / "checkpoints").is_dir() else target
    name = read_best_pointer(folder)  # RunDirError (a ValueError) naming a bad pointer
    if name is not None:
        return folder / name
    candidates = sorted(folder.glob("*.keras"), key=lambda p: (p.stat().st_mtime, p.name))
    if not candidates:
        raise FileNotFoundError(
            f"no checkpoint in {str(folder)!r}: neither a {BEST_POINTER!r} file nor any "
            f".keras file")
    return candidates[-1]


def load_network(path: str | os.PathLike[str]) -> tuple[Any, Any, dict[str, Any], Path]:
    """``(model, NetworkConfig, metadata, checkpoint file)`` of the checkpoint ``path``
    resolves to (loaded in Keras' safe mode by ``network.load_checkpoint``)."""
    from network import load_checkpoint, network_config_of

    file = resolve_checkpoint(path)
    model, metadata = load_checkpoint(file)
    return model, network_config_of(model), metadata, file


def random_network(
    preset: str = "cpu9", board_size: int | None = None, seed: int | None = None
) -> tuple[Any, Any]:
    """``(model, NetworkConfig)``: a freshly initialised ``network.build_model`` of the
    preset, resized to ``board_size`` when given; ``seed`` makes the weights repeatable."""
    import keras

    from network import PRESETS, build_model

    if preset not in PRESETS:
        raise ValueError(f"unknown network preset {preset!r}; choose from {sorted(PRESETS)}")
    config = PRESETS[preset]
    if board_size is not None and board_size != config.board_size:
        config = dataclasses.replace(config, board_size=board_size)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    return build_model(config), config


def network_in_precision(model: Any, config: Any, setting: str = "auto", batch: int = 8
                         ) -> tuple[Any, Any]:
    """``(model in the chosen precision, PrecisionChoice)``: ``setting`` is ``"auto"``
    (measured on this process's device at ``batch`` positions per pass,
    ``network.precision.choose_precision``) or one of ``network.precision.PRECISIONS``
    (forced). The weights are the same (float32) in every precision."""
    from network import precision

    forced = None if setting == "auto" else precision.check_precision(setting)
    choice = precision.choose_precision(config, forced=forced, batch=batch, budget_s=0.2)
    return precision.apply(model, choice.precision), choice
