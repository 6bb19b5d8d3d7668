"""Peer adapters for the EMG benchmarks (run in the peer's own venv: numpy + peer only)."""
