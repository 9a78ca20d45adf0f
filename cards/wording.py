"""Small wording rules every transport shares: lists of names read as a person would say
them, and real plurals. Pure functions, no I/O (tests/unit/test_wording.py).

Kept in one place so Slack, Teams, the web chat, letters and the CLI never drift apart
("Alex Moreno, Bea Okafor" vs "Alex Moreno and Bea Okafor"; "1 breach(es)").
"""

from __future__ import annotations

from collections.abc import Iterable

_IRREGULAR = {"person": "people", "child": "children"}


def join_names(names: Iterable[str], *, conjunction: str = "and") -> str:
    """ "A", "A and B", "A, B and C": names as a sentence reads them."""
    items = [n for n in names if n]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plural(word: str) -> str:
    """The plural of an English noun the bot counts: breach -> breaches, dispute -> disputes."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


def count(n: int, word: str, many: str | None = None) -> str:
    """ "1 breach", "0 breaches", "3 contacts logged" via `many` for unusual plurals."""
    return f"{n} {word if n == 1 else (many or plural(word))}"
