"""mcts package."""
