"""Triggers that run in the triggerer while deferrable sensors wait."""
