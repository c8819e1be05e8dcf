"""The run's configuration: one frozen dataclass per package, composed into ``RunConfig``.

``RunConfig`` = ``RulesConfig`` (go) + ``NetworkConfig`` and ``TrainConfig`` (network) +
``SearchConfig`` (mcts, the self-play search) + ``PipelineConfig`` (the self-play pipeline's). It is
filled from a preset, then an optional TOML file, then command-line flags (see
``selfplay.run``), and written to the run directory as ``config.toml`` so that a rerun
with the same directory resumes with the same settings.

This module imports neither TensorFlow nor Ray.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from go import RulesConfig
from mcts.config import SearchConfig
from network.config import PRESETS as NETWORK_PRESETS
from network.config import NetworkConfig, TrainConfig
from network.dtype_policy import PRECISIONS
from rundir import toml_config
from rundir.toml_config import ConfigError


@dataclass(frozen=True)
class PipelineConfig:
    """How the self-play pipeline runs: actors, buffer, learner pace, gate, stopping.

    Attributes:
        workers: self-play worker actors (each a CPU process without TensorFlow).
        games_per_worker: games each worker plays at once (one batched search over them).
        inference_servers: inference server actors; ``None``: one per GPU, or two per
            machine when the cluster has no GPU (``selfplay.placement`` decides).
        gpus_per_inference: GPUs per inference server; ``None``: 1 when the cluster has
            GPUs, 0 (CPU inference) when it has none.
        inference_wait_ms: how long an idle server waits for more requests to join a batch
            once the first one arrived, in milliseconds (never when every worker already
            sent one). 0: requests that arrive while the network runs form the next batch.
        worker_pipelines: thread groups per worker, each searching its share of the games
            while another waits for the network; ``None``: 2 when a server serves one
            worker only (nothing else would keep its network busy), else 1.
        window: the replay window's floor ``c``, in positions: the buffer holds the newest
            games that together have at least ``window(N)`` positions, where ``N`` is the
            positions of the whole run so far and (KataGo, Wu 2019)
            ``window(N) = c * (1 + beta * ((N / c) ** alpha - 1) / alpha)`` for ``N >= c``,
            ``c`` below (``selfplay.replay_window``), never above ``window_max``.
        window_max: the window's cap, positions (>= ``window``); ``None``: a fixed window
            of ``window`` positions (what a config file written before the window grew
            means: such runs resume as they were).
        window_alpha: the exponent ``alpha``, in (0, 1] (KataGo: 0.75).
        window_beta: the scale ``beta``, in [0, 1] (KataGo: 0.4); 0 fixes the window.
        train_start: positions at which the learner reaches its full pace; it takes its
            first step when the buffer holds a quarter of them and samples fewer per
            position until then (``selfplay.pacing``).
        samples_per_position: positions the learner samples (steps x batch size) per
            position the workers add; the learner waits when it is ahead of this ratio.
            It is also each position's expected reuse: while a position is in a window of
            ``W`` positions, ``W`` new positions arrive and ``samples_per_position * W``
            samples are drawn uniformly from ``W`` positions, so each is drawn
            ``samples_per_position`` times (a little more while the window grows). The
            window's size sets how many *games* those draws spread over, not the reuse.
            The value target is shared by every position of a game, so a game's result
            is fit ``positions_per_game * samples_per_position`` times: AlphaGo Zero drew
            about 1 sample per position (40 blocks: 3.1M steps x 2,048 over ~29M games of
            ~210 positions), i.e. ~200 fits of each result. ``agz19`` keeps 1;
            ``cpu9`` (~80 positions per 9x9 game) uses 2 (~160 fits per result, was 4:
            ~320, with a window of ~600 games, enough to memorise results).

    Presets (``window`` / ``window_max``, positions): ``agz19`` 250k / 20M. The floor is
    KataGo's ``c`` (~1,200 games of ~210 positions); the cap, ~95k games, is reached
    after ~200M positions (~1M games) and holds ~10 candidates' worth of new positions
    (1,000 steps x 2,048 samples at 1 per position = ~2M per candidate; AlphaGo Zero's
    500k games spanned dozens of checkpoints but would need ~100M positions, tens of GB,
    in the driver's memory; 20M positions is ~6 GB at ~300 bytes each, 17 GB at worst).
    ``cpu9`` 50k / 500k: the floor (~600 games) lets a laptop run start training soon;
    the cap (~6,000 games, ~40 candidates of 200 steps x 128 samples at 2 per position)
    is reached after ~2.3M positions (~29k games), and costs tens of MB.
        max_lag: the learner may fall behind that ratio by this many positions' worth of
            samples; beyond it workers wait (backpressure).
        steps_per_generation: learner steps between candidate checkpoints (K).
        first_generation_steps: learner steps to the first candidate, at most K
            (``None``: K; a larger value counts as K, so ``--steps-per-generation 4``
            alone gives a candidate every 4 steps from the start). A
            first candidate sooner puts the first gate result in front of a new user
            within minutes (it plays the untrained network).
            ``cpu9``: 80 (the first gate about 8 minutes into a default run on 2 cores,
            against ~13 at K = 200), then every 200.
        train_steps_per_call: learner steps per call to the learner actor.
        gate_games: games of a gate match (candidate against the best); 0: no match,
            every candidate is promoted as soon as the learner writes it and counts as a
            generation (AlphaZero: self-play always uses the newest network, and the
            gate's network evaluations go to self-play instead).
        gate_threshold: promote when the candidate scores at least this fraction once
            every game is played (AlphaGo Zero: 0.55); 0 promotes every candidate (still
            playing and recording its match), as AlphaZero did.
        gate_sprt: stop a gate match early when a sequential probability ratio test
            (``sprt_p0`` against ``sprt_p1``, error rates ``sprt_alpha``/``sprt_beta``)
            decides it.
        gate_simulations: simulations per move in gate games; ``None``: the self-play count.
        gate_parallel_games: gate games played at once (each side's leaves in one batch).
        gate_temperature_moves: moves at the start of each gate game chosen in proportion
            to the visit counts; later moves are the most visited. Gate games use no noise.
        gate_opening_moves: moves of each colour pair's opening in a gate match, drawn from
            the best network's policy (both games of a pair start from it, colours swapped).
        generations: stop after this many gate matches (promotions when ``gate_games`` is
            0), whatever their outcome (``None``: run until stopped).
        minutes: stop after this many minutes of this session (``None``: no limit).
        seed: seeds every random generator of the run (workers derive theirs from it).
        sgf_every: write every n-th finished game as SGF into ``sgf/`` (0: none).
        status_every: seconds between status lines (and TensorBoard scalars).
        precision: the numeric precision of the inference servers' and the learner's
            networks: ``"auto"`` (each measures its device at start and takes bfloat16 /
            float16 only where it is faster, ``network.precision.choose_precision``) or one
            of ``network.precision.PRECISIONS`` (forced; the learner trains in float32
            when ``"float16"`` is forced). Checkpoints are float32 on disk either way.

    Gate cost (``gate_cost_share`` in the driver's gate line and the state: the gate's
    network evaluations over one generation's self-play evaluations, aim <= 25%). A
    generation's self-play is ``steps_per_generation * batch_size / samples_per_position``
    moves of the evaluations a move costs (``simulations``, or with playout cap
    randomization ``f * simulations + (1 - f) * fast_simulations``,
    ``SearchConfig.mean_simulations()``); a gate at most
    ``gate_games`` games of ``L`` moves at ``gate_simulations``. ``cpu9``: 200 x 128 / 2 =
    12,800 moves x 44 (0.25 x 100 + 0.75 x 25) = 563k evaluations; 64 games (32 colour
    pairs) x 25 simulations x ``L`` = ``L`` / 352 of it, at most 25% for games up to 88
    moves (9x9 games under the pass rule average ~80; the SPRT, 0.5 against 0.6 at 5% / 5%,
    stops clear gates sooner, and 32 games at a time let it stop after the first 32). The
    price: a 64-game gate separates strengths coarsely (at equal strength, 0.55 of 64
    games is about a 1-in-5 chance), and 25 simulations judge the networks with a shallow
    search.
    ``agz19``: 1,000 x 2,048 moves x 800 = 1.6G evaluations; 400 games x 800 x ~250 moves
    is ~5%.
    """

    workers: int = 4
    games_per_worker: int = 16
    inference_servers: int | None = None
    gpus_per_inference: float | None = None
    inference_wait_ms: float = 0.0
    worker_pipelines: int | None = None
    window: int = 50_000
    window_max: int | None = None
    window_alpha: float = 0.75
    window_beta: float = 0.4
    train_start: int = 2_000
    samples_per_position: float = 4.0
    max_lag: int = 10_000
    steps_per_generation: int = 200
    first_generation_steps: int | None = None
    train_steps_per_call: int = 8
    gate_games: int = 400
    gate_threshold: float = 0.55
    gate_sprt: bool = True
    sprt_p0: float = 0.5
    sprt_p1: float = 0.6
    sprt_alpha: float = 0.05
    sprt_beta: float = 0.05
    gate_simulations: int | None = None
    gate_parallel_games: int = 64
    gate_temperature_moves: int = 0
    gate_opening_moves: int = 4
    generations: int | None = None
    minutes: float | None = None
    seed: int = 0
    sgf_every: int = 100
    status_every: float = 2.0
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.precision not in PRECISION_SETTINGS:
            raise ValueError(f"precision must be one of {', '.join(PRECISION_SETTINGS)}, "
                             f"got {self.precision!r}")
        for name, (low, high) in _INT_RANGES.items():
            value = getattr(self, name)
            if value is not None or name not in _OPTIONAL:
                _check_int(name, value, low, high)
        for name, (low, high, open_low) in _NUMBER_RANGES.items():
            value = getattr(self, name)
            if value is not None or name not in _OPTIONAL:
                _check_number(name, value, low, open_low, high)
        if not isinstance(self.gate_sprt, bool):
            raise ValueError(f"gate_sprt must be true or false, got {self.gate_sprt!r}")
        if self.window_max is not None and self.window_max < self.window:
            raise ValueError(f"window_max ({self.window_max}) must be at least the window "
                             f"floor ({self.window} positions)")
        if self.train_start > self.window:
            raise ValueError(f"train_start ({self.train_start}) must not exceed the replay "
                             f"window ({self.window} positions): training would never start")
        if not 0 < self.sprt_p0 < self.sprt_p1 < 1:  # (both are finite numbers by now)
            raise ValueError(f"SPRT needs 0 < sprt_p0 < sprt_p1 < 1, got "
                             f"sprt_p0={self.sprt_p0}, sprt_p1={self.sprt_p1}")
        for name in ("sprt_alpha", "sprt_beta"):
            if not 0 < getattr(self, name) < 0.5:
                raise ValueError(f"{name} must lie in (0, 0.5), got {getattr(self, name)}")


PRECISION_SETTINGS: tuple[str, ...] = ("auto", *PRECISIONS)
"""Values of ``PipelineConfig.precision`` (and of ``--precision`` flags)."""


def forced_precision(setting: str) -> str | None:
    """The ``forced`` argument of ``network.precision.choose_precision`` for a
    ``precision`` setting: ``None`` for ``"auto"`` (measure), else the setting itself."""
    if setting not in PRECISION_SETTINGS:
        raise ValueError(f"precision must be one of {', '.join(PRECISION_SETTINGS)}, got "
                         f"{setting!r}")
    return None if setting == "auto" else setting


def worker_pipelines(pipeline: PipelineConfig, server_clients: int) -> int:
    """Thread groups per worker for a worker whose server has ``server_clients`` workers
    (see ``PipelineConfig.worker_pipelines``), never more than its games."""
    wanted = pipeline.worker_pipelines or (2 if server_clients <= 1 else 1)
    return max(1, min(wanted, pipeline.games_per_worker))


# Field -> (lowest, highest) of PipelineConfig's integers, and (lowest, highest, lowest
# excluded) of its numbers. The upper bounds are far beyond any run (AlphaGo Zero: 2,000
# workers' worth of games, a 500,000-game window) and refuse typos before they ask for
# terabytes or run for centuries.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "workers": (1, 100_000),
    "games_per_worker": (1, 100_000),
    "inference_servers": (1, 100_000),
    "worker_pipelines": (1, 1024),
    "window": (1, 10**10),
    "window_max": (1, 10**10),
    "train_start": (0, 10**10),
    "max_lag": (0, 10**12),
    "steps_per_generation": (1, 10**9),
    "first_generation_steps": (1, 10**9),
    "train_steps_per_call": (1, 10**6),
    "gate_games": (0, 10**6),
    "gate_simulations": (1, 1_000_000),
    "gate_parallel_games": (1, 100_000),
    "gate_temperature_moves": (0, 100_000),
    "gate_opening_moves": (0, 100_000),
    "generations": (1, 10**9),
    "seed": (0, 2**31 - 1),
    "sgf_every": (0, 10**12),
}
_NUMBER_RANGES: dict[str, tuple[float, float, bool]] = {
    "gpus_per_inference": (0.0, 1024.0, False),
    "inference_wait_ms": (0.0, 60_000.0, False),
    "samples_per_position": (0.0, 10_000.0, True),
    "window_alpha": (0.0, 1.0, True),
    "window_beta": (0.0, 1.0, False),
    "gate_threshold": (0.0, 1.0, False),
    "sprt_p0": (0.0, 1.0, False),
    "sprt_p1": (0.0, 1.0, False),
    "sprt_alpha": (0.0, 1.0, False),
    "sprt_beta": (0.0, 1.0, False),
    "minutes": (0.0, 1e8, True),
    "status_every": (0.0, 86_400.0, True),
}
_OPTIONAL = {"inference_servers", "gpus_per_inference", "worker_pipelines", "window_max",
             "gate_simulations", "generations", "minutes", "first_generation_steps"}

MAX_NAME_LENGTH = 100
"""Longest run name (it is a directory name, and part of Ray actor names)."""


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if value > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {value!r}")


def _check_number(name: str, value: Any, low: float, open_low: bool = False,
                  high: float = math.inf) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or value < low or (open_low and value == low):
        sign = ">" if open_low else ">="
        raise ValueError(f"{name} must be a finite number {sign} {low:g}, got {value!r}")
    if value > high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs (see the module docstring).

    ``search`` is the self-play search (Dirichlet noise on); ``gate_search()`` derives the
    gate's (no noise, fixed playouts, ``gate_temperature_moves``).
    """

    name: str
    preset: str
    rules: RulesConfig
    network: NetworkConfig
    search: SearchConfig
    train: TrainConfig
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)

    def __post_init__(self) -> None:
        name = self.name
        if (not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH
                or not name.isprintable() or any(c in name for c in "/\\")
                or name.startswith(".") or name != name.strip()):
            raise ValueError(
                f"run name must be a plain file name of 1 to {MAX_NAME_LENGTH} printable "
                f"characters (no /, \\, leading dot, surrounding spaces, newline or other "
                f"control character), got {name!r}")
        if self.preset not in RUN_PRESETS:
            raise ValueError(f"preset must be one of {', '.join(RUN_PRESETS)}, got "
                             f"{self.preset!r}")
        if self.network.board_size != self.rules.size:
            raise ValueError(
                f"board size {self.rules.size} does not match the network "
                f"{self.network.name}, which is built for {self.network.board_size}x"
                f"{self.network.board_size}")

    def gate_search(self) -> SearchConfig:
        """The search of gate games: no noise, ``gate_simulations`` on every move (no
        playout cap randomization, no forced playouts), greedy after the first
        ``gate_temperature_moves`` moves; resignation as in self-play but never
        disabled."""
        p = self.pipeline
        return dataclasses.replace(
            self.search, add_noise=False, full_search_fraction=1.0, fast_simulations=None,
            forced_playout_k=0.0,
            num_simulations=p.gate_simulations or self.search.num_simulations,
            temperature_moves=p.gate_temperature_moves, resign_disabled_fraction=0.0)

    # ------------------------------------------------------------------ TOML
    def to_toml(self) -> str:
        """The config as a TOML document (``RunConfig.from_toml_document`` reads it back)."""
        doc = {"name": self.name, "preset": self.preset}
        for part in _PARTS:
            doc[part] = toml_config.to_table(getattr(self, part))
        return toml_config.dumps(
            doc, header="Resolved configuration of this run (written by selfplay.run).\n"
                        "A field set to \"none\" means None (not set).")

    @classmethod
    def from_toml_document(cls, doc: dict[str, Any], where: str,
                           base: RunConfig | None = None) -> RunConfig:
        """Build a config from a parsed TOML document, over ``base`` when given (then the
        document may hold any subset of keys) or else from a complete document."""
        known = {"name", "preset", *_PARTS}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys are "
                              f"{', '.join(sorted(known))}")
        if base is None:
            missing = sorted(known - set(doc))
            if missing:
                raise ConfigError(f"{where}: missing {missing[0]!r}")
        values: dict[str, Any] = {}
        for key in ("name", "preset"):
            if key in doc:
                if not isinstance(doc[key], str):
                    raise ConfigError(f"{where}: {key} must be a string, got {doc[key]!r}")
                values[key] = doc[key]
        for part, cls_ in _PARTS.items():
            if part in doc:
                values[part] = toml_config.from_table(
                    cls_, doc[part], f"{where} [{part}]",
                    base=None if base is None else getattr(base, part))
        try:
            if base is None:
                return cls(**values)
            return dataclasses.replace(base, **values)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc


_PARTS: dict[str, type] = {
    "rules": RulesConfig,
    "network": NetworkConfig,
    "search": SearchConfig,
    "train": TrainConfig,
    "pipeline": PipelineConfig,
}

#: Parts of a run that cannot change once it started (its games and checkpoints depend
#: on them).
FIXED_PARTS = ("rules", "network")


def preset(name: str) -> RunConfig:
    """The run preset ``name``: "cpu9" (9x9 on a laptop CPU, the default) or "agz19"
    (AlphaGo Zero's 19x19 settings, for GPU clusters)."""
    if name not in RUN_PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(RUN_PRESETS)}")
    return RUN_PRESETS[name]()


def default_name(config: RunConfig) -> str:
    """``<preset>-<network>-<N>x<N>``, e.g. ``cpu9-b4c32-9x9``: the default run name."""
    n = config.rules.size
    return f"{config.preset}-{config.network.name}-{n}x{n}"


_CPU9_KATAGO_SEARCH = {"full_search_fraction": 0.25, "fast_simulations": 25,
                       "forced_playout_k": 2.0}
"""cpu9's KataGo search techniques (Wu 2019). Playout cap randomization: a quarter of the
moves get the full 100 simulations and become policy targets, the rest 25 (KataGo: 600 /
100 at 19x19; our full count is already small, so the fast one keeps a quarter rather than
a sixth of it, enough to pick a reasonable move); a move then costs 0.25 * 100 + 0.75 * 25
= 44 simulations on average instead of 100, so the same compute plays ~2.3x as many
positions, each with a value target (the 9x9 value head is what AlphaGo Zero's settings
starve). Forced playouts with target pruning at k = 2 as KataGo. agz19 keeps AlphaGo
Zero's settings (all three off)."""


_CPU9_NO_RESIGNATION = None
"""cpu9's self-play does not resign: every game is played out (KataGo's self-play does
not resign either). With resignation (AlphaGo Zero's: -0.9, then calibrated to 5% false
positives on the 10% resign-disabled games) the 9x9 reference run (docs/learning.md) fell
into a loop after about two hours: its value head became sure early that black wins, white
resigned ever sooner (median resignation at move 31, a tenth of the games before move 8,
in 83% of games), the buffer filled with openings, and the games that were
resigned carried no ownership or score targets (they need a finished game). Played
out, a game costs about twice as many moves late in a run, but each move is a position
with every target, and playout cap randomization already makes three moves in four
cheap. ``--resign-threshold -0.9`` (or ``[search] resign_threshold``) brings resignation
back; ``docs/laptop9.toml`` and ``docs/agz9.toml`` keep it, as their documented runs had
it."""


def _cpu9() -> RunConfig:
    network = NETWORK_PRESETS["cpu9"]
    config = RunConfig(
        name="cpu9", preset="cpu9",
        rules=RulesConfig(size=9, komi=7.5, max_moves=2 * 81),
        network=network,
        # 32 games of 4 leaves per worker: the inference server's mean batch ~100 instead
        # of ~26, self-play 0.89 of the network at its best batch instead of 0.68 on 2 cores
        # (benchmarks/selfplay.py, evaluations_per_s_vs_best_network)
        search=SearchConfig(num_simulations=100, add_noise=True, leaves_per_tree=4,
                            resign_threshold=_CPU9_NO_RESIGNATION, **_CPU9_KATAGO_SEARCH),
        pipeline=PipelineConfig(games_per_worker=32, window=50_000, window_max=500_000,
                                samples_per_position=2.0,
                                first_generation_steps=80, gate_games=64,
                                gate_simulations=25, gate_parallel_games=32),
        train=TrainConfig(batch_size=128, learning_rates=(2e-2, 2e-3, 2e-4),
                          lr_boundaries=(100_000, 200_000)),
    )
    return dataclasses.replace(config, name=default_name(config))


def _agz19() -> RunConfig:
    network = NETWORK_PRESETS["agz19"]
    config = RunConfig(
        name="agz19", preset="agz19",
        rules=RulesConfig(size=19, komi=7.5, max_moves=2 * 361),
        network=network,
        search=SearchConfig(num_simulations=800, add_noise=True, leaves_per_tree=4,
                            resign_threshold=-0.9),
        train=TrainConfig(batch_size=2048),
        pipeline=PipelineConfig(workers=32, games_per_worker=32, window=250_000,
                                window_max=20_000_000, train_start=200_000,
                                samples_per_position=1.0,
                                max_lag=200_000, steps_per_generation=1000,
                                gate_parallel_games=128, sgf_every=1000),
    )
    return dataclasses.replace(config, name=default_name(config))


RUN_PRESETS = {"cpu9": _cpu9, "agz19": _agz19}


def network_by_name(name: str, board_size: int) -> NetworkConfig:
    """``"tiny"`` (``NetworkConfig.tiny(board_size)``) or a ``network.PRESETS`` name."""
    if name == "tiny":
        return NetworkConfig.tiny(board_size)
    if name not in NETWORK_PRESETS:
        raise ConfigError(f"unknown network {name!r}; choose from tiny, "
                          f"{', '.join(NETWORK_PRESETS)}")
    return NETWORK_PRESETS[name]


def check_unchanged(stored: RunConfig, new: RunConfig, where: str) -> None:
    """Refuse changes to ``FIXED_PARTS`` of a run that already started in ``where``."""
    for part in FIXED_PARTS:
        old, now = getattr(stored, part), getattr(new, part)
        if old != now:
            diffs = [f"{part}.{f.name} {getattr(old, f.name)!r} -> {getattr(now, f.name)!r}"
                     for f in dataclasses.fields(old)
                     if getattr(old, f.name) != getattr(now, f.name)]
            raise ConfigError(
                f"{where} holds a run started with other {part} settings; these cannot "
                f"change when resuming: {', '.join(diffs)} (use another --run-dir)")
