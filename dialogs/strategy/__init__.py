"""Contact strategies (s7): the proposal, its rules, and how a strategy reads."""
