"""Sequence models that are not text: forecasters of real time series (and, next, memory
networks)."""
