"""Further action beyond a contact strategy, such as seeking legal advice (s7.2)."""
