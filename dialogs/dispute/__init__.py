"""Disputes of a decision to restrict contact, considered independently (s7.3)."""
