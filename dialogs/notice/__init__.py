"""Notice before effect: a restriction runs only once the person has been told (s6, s7)."""
