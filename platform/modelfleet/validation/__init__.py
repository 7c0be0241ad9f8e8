"""Data-quality checks built from a spec's validation rules."""
