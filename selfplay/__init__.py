"""The self-play pipeline on Ray: ``python -m selfplay.run``.

Roles are plain classes, wrapped as Ray actors in one place (``selfplay.actors``):

* ``worker.SelfPlayWorker``: many games at once over ``mcts.BatchedSearch``, no TensorFlow;
  leaves go to an inference server through ``remote_evaluator.RemoteEvaluator``;
* ``inference_server.InferenceServer``: the best network, batching every worker's leaves
  (and, during a gate, the candidate's);
* ``learner.Learner``: training on batches from ``replay_buffer.ReplayBuffer``;
* ``gatekeeper.Gatekeeper``: candidate against best through the arena's match loop
  (``arena.match_loop.play_match``), decided by ``arena.sprt`` with the Elo difference
  from ``arena.stats``; no network of its own: both sides' leaves go to an inference
  server.

``driver.Pipeline`` runs them, holds the replay buffer and the run directory
(through ``rundir``, which also holds the composed ``RunConfig``); ``placement`` decides
where each actor goes; ``ray_session`` starts a loopback-only local Ray or joins a cluster;
``run_output`` keeps the libraries' output off the user's terminal. Only this package
imports Ray.
"""
