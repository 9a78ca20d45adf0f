"""Authorisation requests (s7, s7.1): asking, deciding, and putting a strategy in force."""
