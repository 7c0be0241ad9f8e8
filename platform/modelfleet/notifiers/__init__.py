"""Notifiers that route a pipeline's events to its own team."""
