"""Durable jobs: what each kind carries (payloads) and what it does when due (handlers)."""
