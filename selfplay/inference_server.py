"""The inference server: the current best network, evaluating many workers' leaves at once.

Workers send their leaves (``evaluate`` requests, one per simulation step of their batched
search) concurrently. The server queues them; whenever the network is free it takes every
queued request, concatenates them into one batch, runs the network once in its own thread
and hands each request its slice of the answer. While the network runs, new requests pile
up for the next batch, so a busy server forms large batches by itself. When the network is
idle and fewer than ``clients`` requests are queued, it waits up to ``wait_ms`` for more.

A promotion announces ``(version, weights)`` with ``set_weights``; the new weights are
loaded between two batches, and each answer says which version produced it.

Besides the best network a server can hold other networks under a key (``load_network``,
``drop_network``): a gate's candidate, whose leaves are then evaluated where self-play's
are (``evaluate(..., network=key)``), on the server's GPU when it has one; requests for
different networks are queued together and each network runs once per batch on its own
requests. A key the server does not hold (a restarted server) is an error for its
requests, never an answer from another network.

The class is asyncio-based: in a run ``selfplay.actors`` makes it an async Ray actor, so
hundreds of concurrent requests are served by one event loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from network.config import NetworkConfig


class InferenceServer:
    """Serve ``network_config``'s network with ``weights`` (see the module docstring).

    Args:
        network_config: the network's shape.
        weights: ``model.get_weights()`` of the network to serve; ``None`` keeps the fresh
            initialisation (tests, benchmarks).
        version: the version number of those weights.
        wait_for_weights: answer no request before the first ``set_weights`` (a run's
            servers, so that a restarted server never serves a random network).
        clients: requests to expect concurrently (the workers assigned to this server).
        wait_ms: longest wait for more requests while the network is idle.
        gpus: GPUs this process may use; 0 hides every GPU.
        threads: CPU threads for the network's ops (``None``: the backend's default).
        seed: seed of the evaluator's random symmetries.
        precision: ``"float32"`` (the default; a run passes its ``precision`` setting,
            ``"auto"`` unless forced), ``"auto"`` (measure this process's device at start, at
            ``precision_batch`` positions per pass: ``network.precision.choose_precision``)
            or one of ``network.precision.PRECISIONS``; ``precision_choice()`` says what
            was chosen and why. Weights from ``set_weights`` are float32 in every precision.
        precision_batch: the batch the measurement runs (about the batches the server
            will form).
    """

    def __init__(self, network_config: NetworkConfig, weights: list[np.ndarray] | None = None,
                 version: int = 0, clients: int = 1, wait_ms: float = 2.0, gpus: float = 0.0,
                 threads: int | None = None, seed: int | None = None,
                 wait_for_weights: bool = False, precision: str = "float32",
                 precision_batch: int = 64) -> None:
        from network import backend

        if gpus <= 0:
            backend.hide_gpus()
        backend.configure(gpu_memory_growth=True, threads=threads)
        from network import NetworkEvaluator, build_model
        from network.precision import choose_precision
        from rundir.config import forced_precision

        self.precision = choose_precision(network_config, forced=forced_precision(precision),
                                          batch=max(1, int(precision_batch)), budget_s=0.2)
        model = build_model(network_config, self.precision.precision)
        if weights is not None:
            model.set_weights(weights)
        self.config = network_config
        self.evaluator = NetworkEvaluator(model, network_config, seed=seed)
        self.version = -1 if wait_for_weights else int(version)
        self._ready: asyncio.Event | None = None
        self.clients = max(1, int(clients))
        self.wait_s = float(wait_ms) / 1000.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="network")
        self._queue: list[tuple[np.ndarray, np.ndarray, np.ndarray, asyncio.Future,
                                str | None]] = []
        self._networks: dict[str, Any] = {}  # key -> NetworkEvaluator of a held network
        self._spare: Any = None  # a dropped network's evaluator, reused by the next load
        self._seed = seed
        self._runner: asyncio.Task | None = None
        self._batches = 0
        self._positions = 0
        self._requests = 0
        self._busy = 0.0
        self._started = time.perf_counter()

    # ------------------------------------------------------------------ requests
    async def evaluate(self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray,
                       network: str | None = None) -> tuple[np.ndarray, np.ndarray, int]:
        """Evaluate one request, batched with every other queued request.

        Takes the ``mcts.Evaluator`` arguments (boards int8[B, H, N, N], to_play int8[B],
        legal bool[B, N*N+1]) and the network: ``None`` the best, else a key given to
        ``load_network``; returns ``(priors float32[B, N*N+1], values float32[B] for the
        player to move, version)`` (``version``: the best's, whichever network answered).
        Raises ``KeyError`` naming ``network`` when the server does not hold it.
        """
        if self.version < 0:
            if self._ready is None:
                self._ready = asyncio.Event()
            await self._ready.wait()
        if network is not None and network not in self._networks:
            raise KeyError(f"this inference server holds no network {network!r} (held: "
                           f"{sorted(self._networks)}); restarted?")
        future = asyncio.get_running_loop().create_future()
        self._queue.append((np.asarray(boards), np.asarray(to_play), np.asarray(legal),
                            future, network))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.ensure_future(self._serve())
        return await future

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            if len(self._queue) < self.clients and self.wait_s > 0:
                deadline = loop.time() + self.wait_s
                while len(self._queue) < self.clients and loop.time() < deadline:
                    await asyncio.sleep(min(0.0005, self.wait_s))
            queued, self._queue = self._queue, []
            self._requests += len(queued)
            for network in dict.fromkeys(r[4] for r in queued):
                await self._run_batch(loop, [r for r in queued if r[4] == network], network)

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list,
                         network: str | None) -> None:
        """Run ``network`` once on the concatenated requests of ``batch``; each request's
        future gets its slice (or the error)."""
        sizes = [len(r[0]) for r in batch]
        boards = np.concatenate([r[0] for r in batch])
        to_play = np.concatenate([r[1] for r in batch])
        legal = np.concatenate([r[2] for r in batch])
        try:
            priors, values, version = await loop.run_in_executor(
                self._executor, self._run, boards, to_play, legal, network)
        except Exception as exc:  # hand the error to every waiting request
            for r in batch:
                if not r[3].done():
                    r[3].set_exception(exc)
            return
        start = 0
        for size, r in zip(sizes, batch, strict=True):
            if not r[3].done():
                r[3].set_result((priors[start:start + size], values[start:start + size],
                                 version))
            start += size

    def _run(self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray,
             network: str | None = None):
        start = time.perf_counter()
        if network is None:
            evaluator = self.evaluator
        elif network in self._networks:
            evaluator = self._networks[network]
        else:
            raise KeyError(f"this inference server holds no network {network!r}")
        priors, values = evaluator.evaluate(boards, to_play, legal)
        self._busy += time.perf_counter() - start
        self._batches += 1
        self._positions += len(boards)
        return priors, values, self.version

    # ------------------------------------------------------------------ weights
    async def set_weights(self, version: int, weights: list[np.ndarray]) -> int:
        """Load ``weights`` as ``version`` (>= 0) between two batches (older versions are
        ignored); returns the version now served."""
        if version < 0:
            raise ValueError(f"weights version must be >= 0, got {version}")
        if version > self.version:
            await asyncio.get_running_loop().run_in_executor(
                self._executor, self._load, int(version), weights)
            if self._ready is not None:
                self._ready.set()
        return self.version

    def _load(self, version: int, weights: list[np.ndarray]) -> None:
        self.evaluator.set_weights(weights)
        self.version = version

    async def load_network(self, key: str, weights: list[np.ndarray]) -> str:
        """Hold ``weights`` (a network of the served shape) under ``key`` until
        ``drop_network(key)``, loaded between two batches; returns ``key``."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"network key must be a non-empty string, got {key!r}")
        await asyncio.get_running_loop().run_in_executor(
            self._executor, self._load_network, key, weights)
        return key

    def _load_network(self, key: str, weights: list[np.ndarray]) -> None:
        evaluator = self._networks.get(key)
        if evaluator is None:
            evaluator, self._spare = self._spare, None
        if evaluator is None:  # a copy of the served model: same layers, same precision
            import keras

            from network import NetworkEvaluator

            model = keras.models.clone_model(self.evaluator.model)
            evaluator = NetworkEvaluator(model, self.config, seed=self._seed)
        evaluator.set_weights(weights)
        self._networks[key] = evaluator

    async def drop_network(self, key: str) -> list[str]:
        """Stop holding ``key`` (nothing when it is not held); returns the keys held."""
        evaluator = self._networks.pop(key, None)
        if evaluator is not None:
            self._spare = evaluator
        return sorted(self._networks)
    async def precision_choice(self) -> dict[str, Any]:
        """The precision this server's network runs in, and why
        (``PrecisionChoice.to_dict()``)."""
        return self.precision.to_dict()

    async def get_version(self) -> int:
        """The version of the weights served now (-1: waiting for the first weights)."""
        return self.version

    async def pid(self) -> int:
        """The process id (tests kill servers with it)."""
        return os.getpid()

    async def set_clients(self, clients: int) -> None:
        """How many concurrent requests to expect before running a batch without waiting."""
        self.clients = max(1, int(clients))

    async def measure_throughput(self, batch: int, seconds: float) -> float:
        """Positions/s of this server's network alone on random positions, ``batch`` at a
        time, for about ``seconds`` (benchmarks compare self-play against it)."""
        n, h = self.config.board_size, self.config.history_length
        rng = np.random.default_rng(0)
        boards = (rng.integers(-1, 2, (batch, h, n, n)) * (rng.random((batch, h, n, n)) < 0.5)
                  ).astype(np.int8)
        to_play = rng.choice(np.array([-1, 1], np.int8), batch)
        legal = np.concatenate([boards[:, 0].reshape(batch, -1) == 0,
                                np.ones((batch, 1), bool)], axis=1)

        def measure() -> float:
            self.evaluator.evaluate(boards, to_play, legal)  # warm
            done, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                self.evaluator.evaluate(boards, to_play, legal)
                done += batch
            return done / (time.perf_counter() - start)

        return await asyncio.get_running_loop().run_in_executor(self._executor, measure)

    async def stats(self) -> dict[str, Any]:
        """Counters: batches, requests, positions, mean batch size, seconds busy and alive."""
        return {"batches": self._batches, "requests": self._requests,
                "positions": self._positions,
                "mean_batch": self._positions / max(self._batches, 1),
                "busy_seconds": self._busy,
                "alive_seconds": time.perf_counter() - self._started,
                "version": self.version}
