"""Metrics, logs and traces; the lifecycle of the server's pieces beside its calls (background.py)."""
