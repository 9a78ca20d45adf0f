"""Records and rights (s9): subject access, retention, and the monthly oversight report."""
