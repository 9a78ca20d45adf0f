"""Reviewing a contact strategy: continue, alter or end it, with reasons (s7, s7.1)."""
