"""Lineage: which data and code produced which model."""
