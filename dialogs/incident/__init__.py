"""Incidents: the report (s3-s6), and what a manager does from its card (s6)."""
