"""The browser walk-through of the local web chat and what it needs (see walk.mjs)."""
