"""Benchmarks of the platform against a real broker: `make bench` (see bench/README.md)."""
