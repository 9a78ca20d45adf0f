"""Breaches of a contact strategy (s7.1, s7.2)."""
