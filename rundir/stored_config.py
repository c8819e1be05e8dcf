"""The resolved configuration an existing run directory holds (its ``config.toml``)."""

from __future__ import annotations

from rundir.config import RunConfig
from rundir.run_dir import RunDir, RunDirError
from rundir.toml_config import ConfigError, load_toml


def read_stored_config(run_dir: RunDir) -> RunConfig:
    """The ``config.toml`` of an existing run; ``RunDirError`` naming it if unusable."""
    path = run_dir.config_path
    try:
        return RunConfig.from_toml_document(load_toml(path), str(path))
    except ConfigError as exc:
        raise RunDirError(str(exc)) from exc
