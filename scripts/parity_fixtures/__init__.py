"""Modules of scripts/make-fixtures.py (PyTorch parity fixtures)."""
