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
    assert config.pipeline.inference_servers == 1


def test_the_9x9_reference_config_is_the_default_command_for_two_hours(tmp_path):
    """``docs/laptop9.toml`` is ``python -m selfplay.run --workers 4 --seed 1
    --resign-threshold -0.9`` (the cpu9 preset as it was when the documented run was made,
    with resignation, the b6c64 tower, without the liberty planes and with one inference
    server) with a two-hour budget: the same resolved configuration apart from name,
    minutes, the tower, the liberty planes and the servers."""
    import dataclasses
    from pathlib import Path

    from selfplay.run import build_parser, resolve_config

    toml = Path(__file__).resolve().parents[2] / "docs" / "laptop9.toml"
    config, _ = resolve_config(build_parser().parse_args(
        ["--config", str(toml), "--run-dir", str(tmp_path / "a")]))
    default, _ = resolve_config(build_parser().parse_args(
        ["--workers", "4", "--seed", "1", "--resign-threshold", "-0.9",
         "--run-dir", str(tmp_path / "b")]))
    assert config.pipeline.minutes == 120 and config.name == "laptop9"
    assert not config.network.liberty_planes and default.network.liberty_planes
    assert (config.network.name, default.network.name) == ("b6c64", "b4c32")
    assert config.pipeline.inference_servers == 1 and default.pipeline.inference_servers is None
    assert dataclasses.replace(
        config, name=default.name,
        network=dataclasses.replace(config.network, liberty_planes=True, blocks=4,
                                    filters=32),
        pipeline=dataclasses.replace(config.pipeline, minutes=None,
                                     inference_servers=None)) == default
    assert (config.rules.size, config.network.policy_head) == (9, "conv")
    assert config.search.resign_threshold == -0.9 and default.search.resign_threshold == -0.9


def test_the_default_9x9_config_is_the_default_command_for_two_hours(tmp_path):
    """``docs/default9.toml`` is ``python -m selfplay.run --workers 4 --seed 1`` with a
    two-hour budget: the same resolved configuration (b4c32, liberty planes, no
    resignation, two inference servers chosen at start) apart from name and minutes."""
    import dataclasses
    from pathlib import Path

    from selfplay.run import build_parser, resolve_config

    toml = Path(__file__).resolve().parents[2] / "docs" / "default9.toml"
    config, _ = resolve_config(build_parser().parse_args(
        ["--config", str(toml), "--run-dir", str(tmp_path / "a")]))
    default, _ = resolve_config(build_parser().parse_args(
        ["--workers", "4", "--seed", "1", "--run-dir", str(tmp_path / "b")]))
    assert config.name == "default9" and config.pipeline.minutes == 120
    assert (config.network.name, config.network.liberty_planes) == ("b4c32", True)
    assert config.search.resign_threshold is None and config.pipeline.gate_games == 64
    assert dataclasses.replace(
        config, name=default.name,
        pipeline=dataclasses.replace(config.pipeline, minutes=None)) == default


def test_the_ab_partner_differs_from_the_reference_only_in_the_techniques(tmp_path):
    """``docs/agz9.toml`` is ``docs/laptop9.toml`` with KataGo's techniques off (AlphaGo
    Zero's dense policy head, no auxiliary heads, every move a full search, no forced
    playouts) and the A/B's hour: nothing else differs."""
    import dataclasses
    from pathlib import Path

    from selfplay.run import build_parser, resolve_config

    docs = Path(__file__).resolve().parents[2] / "docs"
    agz, katago = (resolve_config(build_parser().parse_args(
        ["--config", str(docs / name), "--run-dir", str(tmp_path / name)]))[0]
        for name in ("agz9.toml", "laptop9.toml"))
    assert agz.name == "agz9" and agz.pipeline.minutes == 60
    assert (agz.network.policy_head, agz.network.policy_filters,
            agz.network.auxiliary_heads, agz.network.liberty_planes) == ("dense", 2, False,
                                                                         False)
    assert (agz.search.full_search_fraction, agz.search.forced_playout_k) == (1.0, 0.0)
    assert dataclasses.replace(
        agz, name=katago.name,
        network=dataclasses.replace(agz.network, policy_head="conv", policy_filters=32,
                                    auxiliary_heads=True),
        search=dataclasses.replace(agz.search, full_search_fraction=0.25,
                                   forced_playout_k=2.0),
        pipeline=dataclasses.replace(agz.pipeline, minutes=120)) == katago

