"""Benchmarks and the tuning fit: scripts run from the project root (bench/README.md)."""
