"""A checker that fails on bad letter text (issue 14), for every test that renders a letter.

A letter to a member of the public must read as a letter: no Python or JSON reprs, no
template placeholders left unfilled, no heading with nothing under it, and nothing from the
internal-reasons fields (`ContactStrategy.reasons`, `Review.reasons`,
`Dispute.outcome_reasons`), which are written for the case file, not for the person (s7).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

# What leaks when a value is printed raw instead of as words.
REPRS = [
    (re.compile(r"\[\s*['\"]|['\"]\s*\]"), "a Python or JSON list"),
    (re.compile(r"\{\s*['\"]\w+['\"]\s*:"), "a Python or JSON dict"),
    (re.compile(r"\b(None|True|False|null|undefined|NaN)\b"), "a Python or JSON constant"),
    (re.compile(r"\bdatetime\.|\bdate\(\d|<[a-z_.]+ object at 0x|\bUndefined\b"), "a repr"),
]
PLACEHOLDERS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\$\{|%\(\w+\)s")
# Plain text: a heading (a line in capitals) with only another heading or the end after it.
TXT_HEADING = re.compile(r"^[A-Z][A-Z0-9 ,:'’()-]{2,}$")
HTML_EMPTY = re.compile(r"<(p|li|ul|h1|h2|strong)[^>]*>\s*</\1>|<h[12][^>]*>[^<]*</h[12]>\s*<h[12]")


def _words(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def problems(
    text: str, *, html: bool = False, layout: bool = True, internal: Iterable[str] = ()
) -> list[str]:
    """What is wrong with a letter's text (its HTML when `html`); empty when it is fine.

    `layout` checks the plain text's paragraphs (not for text read back from a PDF, which
    has no blank lines). `internal` holds the internal reasons the letter was made from:
    none of them, nor any sentence of them, may appear in it.
    """
    found: list[str] = []
    visible = re.sub(r"<[^>]+>", "\n", text) if html else text
    if html and (m := HTML_EMPTY.search(text)):
        found.append(f"an empty section: {m.group(0)!r}")
    for pattern, what in REPRS:
        if m := pattern.search(visible):
            found.append(f"{what}: {m.group(0)!r}")
    if m := PLACEHOLDERS.search(visible):
        found.append(f"an unfilled placeholder: {m.group(0)!r}")
    if not html and layout:
        if "\n\n\n" in text.replace("\r", ""):
            found.append("an empty paragraph (two blank lines running)")
        raw = text.splitlines()
        for line, after in itertools.pairwise(raw):
            # A paragraph is one line; the next paragraph follows a blank line.
            ends = len(line) > 60 and line.rstrip().endswith((".", ":"))
            if ends and after.strip() and not after.lstrip().startswith("- "):
                found.append(f"two paragraphs run together: {line[-40:]!r} {after[:40]!r}")
        lines = _words(text)
        for i, line in enumerate(lines):
            heading = TXT_HEADING.match(line) and not line.startswith("OUR REFERENCE")
            if heading and (i + 1 == len(lines) or TXT_HEADING.match(lines[i + 1])):
                found.append(f"an empty section: {line!r}")
            if line == "-":
                found.append("an empty list item")
    for reason in internal:
        for sentence in re.split(r"(?<=[.!?])\s+", reason):
            if len(sentence.strip()) >= 12 and sentence.strip() in visible:
                found.append(f"internal reasons in the letter: {sentence.strip()!r}")
    return found


def check(text: str, *, html: bool = False, internal: Iterable[str] = ()) -> None:
    """Fail with every problem in the letter's text."""
    bad = problems(text, html=html, internal=internal)
    assert not bad, "bad letter text:\n  " + "\n  ".join(bad)
