"""Every field of a run's configuration has a sane range: NaN, infinities, huge numbers and
control characters are refused, naming the field and the value, whether they come through
the dataclasses, a TOML file or a command-line flag (``selfplay.run``'s resolution)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import pytest

from go import RulesConfig
from mcts.config import SearchConfig
from network.config import NetworkConfig, TrainConfig
from rundir import config as run_config
from rundir.config import PipelineConfig
from rundir.toml_config import ConfigError
from selfplay.run import _FLAGS, build_parser, resolve_config

NAN, INF = math.nan, math.inf
HUGE = 2**63 - 1  # the largest integer TOML holds

# part -> field -> values each of which must be refused.
BAD: dict[str, dict[str, list[Any]]] = {
    "rules": {"size": [20, HUGE], "komi": [NAN, INF, 1e308], "max_moves": [10**10, 1e10]},
    "network": {
        "board_size": [HUGE], "blocks": [10**9], "filters": [HUGE], "history_length": [10**6],
        "kernel_size": [10**6 + 1], "policy_filters": [10**6], "policy_head": ["mlp", "conv\n", 3],
        "value_filters": [10**6], "value_hidden": [2**40], "bn_momentum": [NAN, INF],
        "auxiliary_heads": [1], "global_pooling_every": [10**6], "pooled_channels": [10**6],
        "liberty_planes": ["yes"],
    },
    "search": {
        "num_simulations": [HUGE], "c_puct_init": [INF, NAN], "c_puct_base": [INF],
        "fpu_reduction": [NAN], "fpu_reduction_root": [INF], "dirichlet_alpha": [INF, 1e300],
        "dirichlet_weight": [NAN], "add_noise": [2], "temperature_moves": [2**62],
        "leaves_per_tree": [2**62], "virtual_loss": [INF], "pass_guard": ["yes"],
        "pass_floor": ["yes"],
        "resign_threshold": [NAN], "resign_disabled_fraction": [INF],
        "resign_false_positive_target": [NAN], "initial_nodes_per_game": [2**62],
        "full_search_fraction": [NAN, 0.0, 1.5], "fast_simulations": [HUGE, 0],
        "forced_playout_k": [NAN, INF, -1.0],
    },
    "train": {
        "batch_size": [HUGE], "learning_rates": [(INF,), (NAN,), (0.1, 1e300, 0.01)],
        "lr_boundaries": [(1, 10**15)], "momentum": [NAN], "l2": [INF, NAN],
        "value_loss_weight": [NAN, 1e300], "augment": [1],
        "ownership_loss_weight": [NAN], "score_loss_weight": [INF],
    },
    "pipeline": {
        "workers": [10**9], "games_per_worker": [10**9], "inference_servers": [10**9],
        "gpus_per_inference": [INF, NAN], "inference_wait_ms": [NAN, 1e300],
        "worker_pipelines": [10**6], "window": [HUGE], "train_start": [HUGE],
        "window_max": [HUGE, 10], "window_alpha": [NAN, 0.0, 1.5],
        "window_beta": [INF, -0.1, 1.5],
        "samples_per_position": [INF], "max_lag": [HUGE], "steps_per_generation": [HUGE],
        "first_generation_steps": [HUGE, 0],
        "train_steps_per_call": [HUGE], "gate_games": [HUGE], "gate_threshold": [NAN],
        "gate_sprt": [1], "sprt_p0": [NAN], "sprt_p1": [INF], "sprt_alpha": [NAN],
        "sprt_beta": [INF], "gate_simulations": [HUGE], "gate_parallel_games": [HUGE],
        "gate_temperature_moves": [HUGE], "gate_opening_moves": [HUGE, -1],
        "generations": [HUGE], "minutes": [INF, NAN],
        "seed": [HUGE], "sgf_every": [HUGE], "status_every": [INF],
        "precision": ["bf16", "auto\n"],
    },
}
PART_CLASSES = {"rules": RulesConfig, "network": NetworkConfig, "search": SearchConfig,
                "train": TrainConfig, "pipeline": PipelineConfig}
BAD_RUN = {"name": ["two\nlines", "tab\there", "x" * 101, " padded", ".hidden", "a/b"],
           "preset": ["nope"]}

CASES = [(part, name, value) for part, fields in BAD.items()
         for name, values in fields.items() for value in values]


def shown(value: Any) -> str:
    """How an error message shows ``value`` (for a sequence: its bad element)."""
    if isinstance(value, tuple):
        value = next(v for v in value if not (isinstance(v, float) and v < 1))
    return "nan" if isinstance(value, float) and math.isnan(value) else repr(value)


def toml_literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else "inf"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def test_every_field_has_bad_values_listed() -> None:
    for part, cls in PART_CLASSES.items():
        assert set(BAD[part]) == {f.name for f in dataclasses.fields(cls)}, part
    assert set(BAD_RUN) | set(PART_CLASSES) == {
        f.name for f in dataclasses.fields(run_config.RunConfig)}


@pytest.mark.parametrize(("part", "name", "value"), CASES)
def test_dataclasses_refuse_bad_values_naming_field_and_value(part: str, name: str,
                                                              value: Any) -> None:
    base = getattr(run_config.preset("cpu9"), part)
    with pytest.raises(ValueError) as error:
        dataclasses.replace(base, **{name: value})
    message = str(error.value)
    assert name.replace("_", " ") in message.replace("_", " "), message
    assert shown(value) in message, message


@pytest.mark.parametrize(("part", "name", "value"), CASES)
def test_toml_files_refuse_bad_values_naming_field_and_value(part: str, name: str, value: Any,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(f"[{part}]\n{name} = {toml_literal(value)}\n")
    with pytest.raises(ConfigError) as error:
        resolve_config(build_parser().parse_args(
            ["--config", str(path), "--run-dir", str(tmp_path / "r")]))
    message = str(error.value)
    assert name.replace("_", " ") in message.replace("_", " "), message
    assert shown(value) in message, message


@pytest.mark.parametrize(("name", "value"),
                         [(n, v) for n, values in BAD_RUN.items() for v in values])
def test_run_name_and_preset_are_checked(name: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=name) as error:
        dataclasses.replace(run_config.preset("cpu9"), **{name: value})
    assert repr(value) in str(error.value)
    path = tmp_path / "run.toml"
    path.write_text(f"{name} = {toml_literal(value)}\n")
    with pytest.raises(ConfigError, match=name) as error:
        resolve_config(build_parser().parse_args(
            ["--config", str(path), "--run-dir", str(tmp_path / "r")]))
    assert repr(value) in str(error.value)


def cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The error ``selfplay.run`` gives for ``argv``: argparse's or the resolution's."""
    try:
        resolve_config(build_parser().parse_args(argv))
    except SystemExit as stop:
        assert stop.code == 2
        return capsys.readouterr().err
    except ConfigError as exc:
        return str(exc)
    raise AssertionError(f"{argv} was accepted")


# Flag -> a bad value, as typed on the command line (every value flag of selfplay.run).
BAD_FLAGS = {
    "workers": "1000000000", "games_per_worker": "1000000000", "komi": "1e+308",
    "max_moves": "10000000000", "simulations": str(HUGE), "gate_games": str(HUGE),
    "gate_threshold": "nan", "gate_simulations": str(HUGE), "generations": str(HUGE),
    "minutes": "inf", "steps_per_generation": str(HUGE), "batch_size": str(HUGE),
    "first_generation_steps": "0",
    "window": str(HUGE), "train_start": str(HUGE), "samples_per_position": "inf",
    "gpus_per_inference": "nan", "inference_servers": "1000000000", "sgf_every": str(HUGE),
    "status_every": "inf", "seed": str(HUGE), "precision": "bf16", "resign_threshold": "nan",
}


def test_every_value_flag_has_a_bad_value_listed() -> None:
    switches = {"gate_sprt"}  # --gate-sprt / --no-gate-sprt take no value
    assert set(BAD_FLAGS) == set(_FLAGS) - switches


@pytest.mark.parametrize(("flag", "text"), sorted(BAD_FLAGS.items()))
def test_flags_refuse_bad_values_naming_field_and_value(flag: str, text: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    option = "--" + flag.replace("_", "-")
    message = cli_error([option, text, "--run-dir", str(tmp_path / "r")], capsys)
    field = _FLAGS[flag][1]
    assert option in message or field in message, message
    assert text in message, message


def test_a_run_name_with_a_newline_is_refused_on_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = cli_error(["--name", "two\nlines", "--run-dir", str(tmp_path / "r")], capsys)
    assert "run name" in message and repr("two\nlines") in message
