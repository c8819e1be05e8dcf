"""The reference run's configuration (``docs/laptop5.toml``, the run ``docs/learning.md``
reports) still resolves to the settings the document describes."""

from __future__ import annotations


def test_the_reference_config_resolves(tmp_path):
    from pathlib import Path

    from selfplay.run import build_parser, resolve_config

    toml = Path(__file__).resolve().parents[2] / "docs" / "laptop5.toml"
    args = build_parser().parse_args(["--config", str(toml), "--run-dir",
                                      str(tmp_path / "run")])
    config, _ = resolve_config(args)
    assert (config.rules.size, config.rules.komi, config.network.name) == (5, 7.5, "b2c16")
    assert config.pipeline.minutes == 25 and config.search.resign_threshold is None
