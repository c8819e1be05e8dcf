"""gtp package."""
