"""The self-play pipeline on Ray: ``python -m selfplay.run``.

Roles are plain classes, wrapped as Ray actors in one place (``selfplay.actors``):

* ``worker.SelfPlayWorker``: many games at once over ``mcts.BatchedSearch``, no TensorFlow;
  leaves go to an inference server through ``remote_evaluator.RemoteEvaluator``;
* ``inference_server.InferenceServer``: the best network, batching every worker's leaves;
* ``learner.Learner``: training on batches from ``replay_buffer.ReplayBuffer``;
* ``gatekeeper.Gatekeeper``: candidate against best (``game_loop.play_match``), decided by
  ``sprt`` with the Elo difference from ``elo``.

``driver.Pipeline`` runs them, holds the replay buffer and the run directory
(through ``rundir``);
``placement`` decides where each actor goes. Only this package imports Ray.
"""
