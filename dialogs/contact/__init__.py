"""The contact log: every contact from a restricted person is still read (s7.2)."""
