"""New matters a person raised, kept open until dealt with (s7.2)."""
