"""Benchmarks of rendered services: `uv run python -m benchmarks run --help`."""
