"""The run's local web page: its Elo and losses, gate history, a self-play game in
progress, the latest games to replay, and a board to play the best network.

``python -m web RUN_DIR`` serves it for any run directory (``python -m selfplay.run``
starts the same server beside training). The server (``web.server``) listens on
127.0.0.1 only and reads the run directory, never writes it (``web.run_reader``); games
against the network are searched in the server's own process (``web.network_player``).
The page itself is plain HTML, CSS and JavaScript in ``web/static/``.
"""
