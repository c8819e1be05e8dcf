"""Checkpoints: a ``.keras`` file (weights, architecture, optimizer state when compiled)
plus ``<path>.json`` metadata, both written atomically (temp file, then ``os.replace``).

Metadata (JSON object): whatever the caller passes (``generation``, ``training_steps``,
``parent``, ``elo`` ...), plus what ``save_checkpoint`` fills in: ``network`` (the
``NetworkConfig`` as a dict, read from the model unless given), ``board_size``,
``saved_at`` (UTC, ISO 8601), ``keras_version``, ``precision`` (the model's, see
``network.precision``), ``keras_bytes`` and ``keras_sha256`` (the ``.keras`` file's size
and hash: a truncated or swapped file is refused on load).

Weights are float32 on disk in every precision (mixed policies keep float32 variables);
``load_checkpoint(path, precision=...)`` returns the model in the precision asked for.

Loading uses Keras' safe mode (no arbitrary code from the file). A missing, truncated or
corrupt checkpoint, or one for another board size, is refused with a message saying so;
nothing is half-loaded.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import keras

from go.atomic_file import write_bytes_atomic
from go.errors import ZerogoError
from network import training as _training  # noqa: F401  (registers the compiled metric)
from network.config import NetworkConfig
from network.model import network_config_of
from network.precision import apply, check_precision, precision_of

FORMAT_VERSION = 1


class CheckpointError(ZerogoError, ValueError):
    """A checkpoint that exists but cannot be used: corrupt, truncated, wrong board."""


def metadata_path(path: str | os.PathLike[str]) -> Path:
    """Where the metadata of checkpoint ``path`` lives: ``<path>.json``."""
    return Path(f"{os.fspath(path)}.json")


def _check_suffix(path: Path) -> None:
    if path.suffix != ".keras":
        raise ValueError(f"checkpoint path must end in '.keras', got {str(path)!r}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_checkpoint(
    path: str | os.PathLike[str], model: keras.Model, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write ``model`` to ``path`` (must end in ``.keras``) and metadata to ``<path>.json``.

    ``metadata`` must be JSON-serialisable; a ``NetworkConfig`` under ``"network"`` is
    converted to a dict. The model file is replaced first, then the metadata, each
    atomically; returns the metadata as written.
    """
    path = Path(path)
    _check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(metadata or {})
    network = meta.get("network")
    if isinstance(network, NetworkConfig):
        meta["network"] = network.to_dict()
    elif network is None:
        meta["network"] = network_config_of(model).to_dict()
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".keras")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        model.save(tmp)
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        meta.update(
            format=FORMAT_VERSION,
            board_size=int(model.input_shape[1]),
            saved_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            keras_version=keras.__version__,
            precision=precision_of(model),
            keras_bytes=tmp.stat().st_size,
            keras_sha256=_sha256(tmp),
        )
        text = json.dumps(meta, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    write_bytes_atomic(metadata_path(path), (text + "\n").encode())
    return meta


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata of checkpoint ``path``, without loading the model.

    Raises ``FileNotFoundError`` if it is missing, ``CheckpointError`` if unreadable.
    """
    meta_file = metadata_path(path)
    if not meta_file.exists():
        raise FileNotFoundError(f"checkpoint metadata not found: {str(meta_file)!r}")
    try:
        meta = json.loads(meta_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"checkpoint metadata {str(meta_file)!r} is not valid JSON (truncated or "
            f"corrupt): {exc}") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(
            f"checkpoint metadata {str(meta_file)!r} must hold a JSON object, got "
            f"{type(meta).__name__}")
    return meta


def load_checkpoint(
    path: str | os.PathLike[str], expect_board_size: int | None = None,
    precision: str | None = None,
) -> tuple[keras.Model, dict[str, Any]]:
    """Load ``(model, metadata)`` saved by ``save_checkpoint``, in Keras' safe mode.

    The model comes back compiled with its optimizer state when it was saved compiled.
    ``precision`` (one of ``network.precision.PRECISIONS``) converts it when it was saved
    in another precision; the converted model has the same weights but is not compiled
    (give ``Trainer`` ``precision=`` instead to keep the optimizer state). ``None`` keeps
    the precision it was saved in.
    Raises ``FileNotFoundError`` (model or metadata missing) or ``CheckpointError``
    (truncated or corrupt file, size/hash differing from the metadata, or a board size
    other than ``expect_board_size``), each naming the file and the problem.
    """
    path = Path(path)
    _check_suffix(path)
    if precision is not None:
        check_precision(precision)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {str(path)!r}")
    meta = read_metadata(path)
    size = path.stat().st_size
    if "keras_bytes" in meta and size != meta["keras_bytes"]:
        raise CheckpointError(
            f"checkpoint {str(path)!r} is truncated or was replaced: {size} bytes, its "
            f"metadata says {meta['keras_bytes']}")
    if "keras_sha256" in meta and _sha256(path) != meta["keras_sha256"]:
        raise CheckpointError(
            f"checkpoint {str(path)!r} is corrupt: its SHA-256 differs from the metadata's")
    if expect_board_size is not None and meta.get("board_size") not in (None,
                                                                        expect_board_size):
        raise CheckpointError(
            f"checkpoint {str(path)!r} is for a {meta['board_size']}x{meta['board_size']} "
            f"board, expected {expect_board_size}x{expect_board_size}")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"checkpoint {str(path)!r} is not a .keras archive (truncated or corrupt)")
    try:
        model = keras.saving.load_model(path, compile=True, safe_mode=True)
    except (OSError, ValueError, TypeError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise CheckpointError(f"checkpoint {str(path)!r} cannot be loaded: {exc}") from exc
    board = int(model.input_shape[1])
    if expect_board_size is not None and board != expect_board_size:
        raise CheckpointError(
            f"checkpoint {str(path)!r} is for a {board}x{board} board, expected "
            f"{expect_board_size}x{expect_board_size}")
    if precision is not None:
        model = apply(model, precision)
    return model, meta
