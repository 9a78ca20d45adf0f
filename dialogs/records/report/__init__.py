"""The monthly oversight report (s7.1, s5, s9): its figures, their views, and delivery."""
