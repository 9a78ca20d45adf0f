"""The case: what staff see before answering someone (/case), and the full case file."""
