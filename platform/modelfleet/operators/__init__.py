"""Operators: each pipeline stage as a thin execute() over hooks and the training library."""
