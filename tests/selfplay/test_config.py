"""Run configuration: presets, TOML round trips, flags over files, clear errors."""

import dataclasses
import tomllib
from pathlib import Path

import pytest

from arena.sprt import gate_sprt
from network.config import NetworkConfig
from rundir import config as run_config
from rundir.config import PipelineConfig, RunConfig
from rundir.run_dir import RunDir, RunDirError
from rundir.toml_config import ConfigError
from selfplay.run import build_parser, main, resolve_config


@pytest.mark.parametrize("name", sorted(run_config.RUN_PRESETS))
def test_presets_round_trip_through_toml(name):
    config = run_config.preset(name)
    assert config.network.board_size == config.rules.size
    text = config.to_toml()
    again = RunConfig.from_toml_document(tomllib.loads(text), "test")
    assert again == config


def test_none_values_and_tuples_survive_toml():
    config = run_config.preset("cpu9")
    config = dataclasses.replace(
        config, search=dataclasses.replace(config.search, resign_threshold=None),
        pipeline=dataclasses.replace(config.pipeline, minutes=1.5))
    doc = tomllib.loads(config.to_toml())
    assert doc["search"]["resign_threshold"] == "none"
    assert doc["train"]["learning_rates"] == list(config.train.learning_rates)
    again = RunConfig.from_toml_document(doc, "test")
    assert again.search.resign_threshold is None
    assert again.train.learning_rates == config.train.learning_rates
    assert again == config


def test_gate_search_has_no_noise_and_fixed_playouts():
    config = run_config.preset("cpu9")
    config = dataclasses.replace(config, pipeline=dataclasses.replace(
        config.pipeline, gate_simulations=37, gate_temperature_moves=3))
    gate = config.gate_search()
    assert config.search.add_noise and not gate.add_noise
    assert gate.num_simulations == 37 and gate.temperature_moves == 3
    assert gate.resign_disabled_fraction == 0.0
    assert gate.c_puct_init == config.search.c_puct_init


def resolve(argv):
    return resolve_config(build_parser().parse_args(argv))


def test_flags_override_the_toml_file_which_overrides_the_preset(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[pipeline]\nworkers = 7\nwindow = 900\ntrain_start = 100\n'
                    '[search]\nnum_simulations = 33\n[train]\nbatch_size = 24\n')
    config, run_dir = resolve(["--config", str(path), "--workers", "3", "--network", "tiny",
                               "--board-size", "5", "--gate-threshold", "0",
                               "--no-gate-sprt", "--run-dir", str(tmp_path / "r")])
    assert config.pipeline.workers == 3  # flag beats file
    assert config.pipeline.window == 900  # file beats preset
    assert config.search.num_simulations == 33
    assert config.train.batch_size == 24
    assert config.network == NetworkConfig.tiny(5)
    assert config.rules.size == 5 and config.rules.max_moves == 50
    assert config.pipeline.gate_threshold == 0 and gate_sprt(config.pipeline) is None
    assert config.name == "cpu9-b2c16-5x5"
    assert run_dir.root == tmp_path / "r"
    default, default_dir = resolve([])
    assert default == run_config.preset("cpu9")
    assert default_dir.root == Path("runs") / "cpu9-b4c32-9x9"


@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "argument --workers: must be at least 1, got 0"),
    (["--workers", "many"], "argument --workers: expected an integer, got 'many'"),
    (["--gate-threshold", "1.5"], "argument --gate-threshold: must be >= 0 and <= 1, got 1.5"),
    (["--minutes", "0"], "argument --minutes: must be > 0, got 0"),
    (["--resign-threshold", "0.5"], "argument --resign-threshold: must be below 0 (a "
                                    "losing value) or 'none', got 0.5"),
    (["--resign-threshold", "-2"], "argument --resign-threshold: must be >= -1 and <= 1, "
                                   "got -2"),
    (["--resign-threshold", "never"], "argument --resign-threshold: expected a number, "
                                      "got 'never'"),
    (["--board-size", "13"], "board size 13 does not match the network b4c32, which is "
                             "built for 9x9"),
    (["--network", "b99"], "unknown network 'b99'"),
    (["--preset", "agz9"], "argument --preset: invalid choice: 'agz9'"),
    (["--network", "tiny", "--board-size", "5", "--train-start", "900", "--window", "500"],
     "train_start (900) must not exceed the replay window (500 positions)"),
])
def test_bad_flags_stop_at_once_naming_the_value(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_toml_files_are_named(tmp_path, capsys):
    broken = tmp_path / "broken.toml"
    broken.write_text("[pipeline\nworkers = 2\n")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[pipeline]\nworkerz = 2\n")
    typed = tmp_path / "typed.toml"
    typed.write_text("[pipeline]\nworkers = \"two\"\n")
    for path, message in ((broken, f"{broken}: not valid TOML"),
                          (unknown, "unknown key 'workerz'"),
                          (typed, "[pipeline].workers: expected an integer, got 'two'"),
                          (tmp_path / "missing.toml", "config file not found")):
        with pytest.raises(SystemExit):
            main(["--config", str(path)])
        assert message in capsys.readouterr().err


def test_a_resumed_run_keeps_its_board_and_network_but_takes_new_flags(tmp_path):
    config, run_dir = resolve(["--network", "tiny", "--board-size", "5",
                               "--run-dir", str(tmp_path / "r")])
    run_dir.create()
    run_dir.config_path.write_text(config.to_toml())
    again, _ = resolve(["--run-dir", str(tmp_path / "r"), "--workers", "9",
                        "--generations", "2"])
    assert again.network == config.network and again.rules == config.rules
    assert again.pipeline.workers == 9 and again.pipeline.generations == 2
    assert config.search.resign_threshold is None  # cpu9's self-play plays games out
    resigning, _ = resolve(["--run-dir", str(tmp_path / "r"), "--resign-threshold", "-0.8"])
    assert resigning.search.resign_threshold == -0.8  # a resumed run may start resigning
    path = tmp_path / "resign.toml"
    path.write_text("[search]\nresign_threshold = -0.9\n")
    off, _ = resolve(["--config", str(path), "--resign-threshold", "NONE",
                      "--run-dir", str(tmp_path / "s")])
    assert off.search.resign_threshold is None  # 'none' on the command line beats the file
    with pytest.raises(ConfigError, match=r"cannot change when resuming: rules.size 5 -> 7"):
        resolve(["--run-dir", str(tmp_path / "r"), "--network", "tiny", "--board-size", "7"])
    with pytest.raises(ConfigError, match="holds a cpu9 run; it cannot be resumed as agz19"):
        resolve(["--run-dir", str(tmp_path / "r"), "--preset", "agz19"])
    run_dir.config_path.write_text(config.to_toml().replace("[network]", "[netwrk]"))
    with pytest.raises(RunDirError, match=r"config.toml: unknown key 'netwrk'"):
        resolve(["--run-dir", str(tmp_path / "r")])


def test_pipeline_config_refuses_impossible_values():
    with pytest.raises(ValueError, match="workers must be an integer >= 1, got 0"):
        PipelineConfig(workers=0)
    with pytest.raises(ValueError, match="gate_threshold must be in"):
        PipelineConfig(gate_threshold=2.0)
    with pytest.raises(ValueError, match="sprt_p0 < sprt_p1"):
        PipelineConfig(sprt_p0=0.7)
    with pytest.raises(ValueError, match="plain file name"):
        dataclasses.replace(run_config.preset("cpu9"), name="../x")
    with pytest.raises(ConfigError, match="unknown preset 'cpu19'"):
        run_config.preset("cpu19")
    assert RunDir(".").checkpoint_name(40) == "ckpt-00000040.keras"


def test_katago_search_is_on_in_cpu9_off_in_agz19_gates_and_older_run_files():
    cpu9, agz19 = run_config.preset("cpu9"), run_config.preset("agz19")
    s = cpu9.search
    assert (s.full_search_fraction, s.fast_simulation_count(), s.forced_playout_k) == (
        0.25, 25, 2.0)
    a = agz19.search
    assert (a.full_search_fraction, a.forced_playout_k) == (1.0, 0.0)
    gate = cpu9.gate_search()
    assert (gate.full_search_fraction, gate.forced_playout_k) == (1.0, 0.0)
    # a run directory written before the fields existed resumes with AlphaGo Zero's search
    lines = [line for line in cpu9.to_toml().splitlines()
             if not line.startswith(("full_search_fraction", "fast_simulations",
                                     "forced_playout_k"))]
    old = RunConfig.from_toml_document(tomllib.loads("\n".join(lines)), "old config.toml")
    assert (old.search.full_search_fraction, old.search.forced_playout_k) == (1.0, 0.0)
