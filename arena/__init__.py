"""Playing and rating matches. Imports no Ray (TensorFlow only once a checkpoint is loaded).

* ``match_loop``: the one match loop (``play_match``, ``MatchResult``, ``GameOutcome``),
  used by the gate (``selfplay.gatekeeper``), the ladder and the referee;
* ``players``: in-process players (random, the network alone, ``BatchedSearchPlayer``);
  ``gtp_player``: any GTP program as a player, through ``gtp.client``;
* ``referee``: two GTP programs refereed by the project's rules; ``match``: its command
  line, ``python -m arena.match``;
* ``stats``: Wilson interval and Elo (one answer for a match, finite for a clean sweep);
  ``rating_fit``: maximum-likelihood ratings; ``sprt``: the gate's sequential test;
* ``ladder``: ``python -m arena.ladder``, the evaluation ladder of a run, with
  ``ladder_entrants`` (who plays), ``ladder_store`` (results reused) and ``ladder_plot``.
"""
