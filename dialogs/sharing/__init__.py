"""Sharing a strategy with a partner agency (s7.1)."""
