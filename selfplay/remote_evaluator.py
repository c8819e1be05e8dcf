"""``RemoteEvaluator``: the ``mcts.Evaluator`` protocol over a Ray inference server.

A self-play worker hands this object to its search; every ``evaluate`` call becomes one
request to the worker's inference server (which batches the requests of many workers into
one network call) and blocks until the answer comes back. ``mcts`` never sees Ray.
"""

from __future__ import annotations

import numpy as np
import ray

from go.errors import ZerogoError

EVALUATE_TIMEOUT_S = 300.0  # a server silent this long is reported as stuck


class InferenceTimeoutError(ZerogoError, TimeoutError):
    """The inference server did not answer a request in time (the message names it)."""


class NetworkVersionError(ZerogoError, RuntimeError):
    """The inference server answered with another best version than the one expected."""


class RemoteEvaluator:
    """Evaluate positions on an ``InferenceServer`` actor.

    Args:
        server: an ``InferenceServer`` actor: its handle, or its name in the current Ray
            namespace (looked up at the first call; a worker restarted by Ray then finds
            the server again without holding a handle in its constructor arguments).
        board_size, history_length: the network's N and H (the ``Evaluator`` attributes).
        timeout: seconds to wait for one answer (a server restarting after a crash takes
            seconds; one that cannot be placed again never answers); then
            ``InferenceTimeoutError`` naming the server. ``None``: wait forever.
        network: which of the server's networks evaluates: ``None`` the best it serves,
            else a key the server holds (``InferenceServer.load_network``: a gate's
            candidate).
        expect_version: when given, an answer computed while the server served another
            best version raises ``NetworkVersionError`` (a gate's best side must be the
            best it was started against).

    Attributes: ``version``, the network version of the last answer (promotions so far);
    ``calls`` and ``positions``, requests and positions sent.
    """

    def __init__(self, server: ray.actor.ActorHandle | str, board_size: int,
                 history_length: int, timeout: float | None = EVALUATE_TIMEOUT_S,
                 network: str | None = None, expect_version: int | None = None) -> None:
        self._server = server
        self._name = server if isinstance(server, str) else "inference server"
        self.timeout = timeout
        self.network = network
        self.expect_version = expect_version
        self.board_size = board_size
        self.history_length = history_length
        self.version: int | None = None
        self.calls = 0
        self.positions = 0

    def evaluate(self, boards: np.ndarray, to_play: np.ndarray, legal: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """See ``mcts.evaluator.Evaluator``: priors float32[B, N*N+1], values float32[B]
        for the player to move."""
        if isinstance(self._server, str):
            self._server = ray.get_actor(self._server)
        args = (boards, to_play, legal) if self.network is None else (
            boards, to_play, legal, self.network)
        try:
            priors, values, version = ray.get(self._server.evaluate.remote(*args),
                                              timeout=self.timeout)
        except ray.exceptions.GetTimeoutError:
            raise InferenceTimeoutError(
                f"{self._name} did not answer within {self.timeout:g} s (stuck, or cannot "
                f"be placed on the cluster)") from None
        if self.expect_version is not None and version != self.expect_version:
            raise NetworkVersionError(
                f"{self._name} answered with best version {version}, expected "
                f"{self.expect_version}")
        self.version = version
        self.calls += 1
        self.positions += len(boards)
        return priors, values
