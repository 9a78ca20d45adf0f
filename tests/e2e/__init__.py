"""The browser walk-through of the local web chat and what it needs (see journey.mjs)."""
