"""A letter as the member of staff who sends it gets it: the card that reads as paragraphs,
with its PDF behind a signed link that expires (s7: the person is told in writing)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.letter_links import LetterLinks, derive_key
from bot.teams.sender import letter_paragraphs
from cards.render import render
from dialogs.letters import Enclosure
from tests.teams_harness import assert_valid_card, elements, visible

LETTER = """Our reference: SC-7
4 December 2026

Ann Example
1 High Street
Town AB1 2CD

Dear Ann Example,

We are writing about your contact with our office. **Not bold** [not](https://a.link).

What will change:
- Contact only by letter
- Phone calls limited to 10 minutes

Yours sincerely,
Jo Reed
"""


def card(download: bool = True) -> dict:
    paragraphs, truncated = letter_paragraphs(LETTER)
    url = "https://bot.example.org/letters/7.pdf?expires=1&sig=ab"
    return render(
        "teams",
        "letter_file",
        {
            "reference": "SC-7",
            "comment": "Here is the letter to send.",
            "subject": "Your contact with our office",
            "paragraphs": paragraphs,
            "truncated": truncated,
            "download_url": url if download else None,
            "large_print_url": url + "&print=large" if download else None,
            "enclosures": [],
            "link_days": 7,
        },
    )


def test_the_letter_card_shows_one_text_block_per_paragraph_with_its_lines_kept() -> None:
    shown = card()
    assert_valid_card(shown)
    (letter,) = [e for e in shown["body"] if e.get("type") == "Container"]
    texts = [e["text"] for e in letter["items"]]
    # Subject, then the six paragraphs of the letter: not one block per line.
    assert len(texts) == 1 + 6
    # An address keeps its lines: a blank line between them is a TextBlock's line break.
    assert "Ann Example\n\n1 High Street\n\nTown AB1 2CD" in texts
    # Never a Python list, and what people wrote is shown literally, not as markup.
    read = visible({"body": letter["items"]})
    assert "['" not in read and '["' not in json_of(shown)
    assert "**Not bold** [not](https://a.link)." in read
    assert any(t.startswith("We are writing") and "\\*\\*Not bold" in t for t in texts)


def test_the_letter_card_offers_the_pdf_and_its_large_print_and_nothing_to_copy() -> None:
    shown = card()
    actions = shown["actions"]
    assert [a["title"] for a in actions] == ["Download the letter (PDF)", "Large print (PDF)"]
    assert all(a["type"] == "Action.OpenUrl" for a in actions)
    read = visible(shown)
    assert "The link works for 7 days" in read
    assert "Copy the text" not in read
    # Without links (no server address to sign for) there is no button that cannot work.
    bare = card(download=False)
    assert "actions" not in bare
    assert not [e for e in elements(bare) if e.get("type") == "Action.OpenUrl"]


def json_of(value: object) -> str:
    import json

    return json.dumps(value)


def links(at: list[datetime]) -> LetterLinks:
    return LetterLinks(
        key=lambda: derive_key(b"k" * 32),
        base_url=lambda: "https://bot.example.org/",
        clock=lambda: at[0],
        lifetime=timedelta(days=7),
    )


def parts(url: str) -> tuple[int, dict[str, str]]:
    split = urlsplit(url)
    letter_id = int(split.path.removeprefix("/letters/").removesuffix(".pdf"))
    return letter_id, {k: v[0] for k, v in parse_qs(split.query).items()}


def test_a_link_is_good_for_its_letter_and_variant_until_it_expires() -> None:
    now = [datetime(2026, 12, 4, 9, tzinfo=UTC)]
    made = links(now)
    url = made.url(7)
    assert url.startswith("https://bot.example.org/letters/7.pdf?expires=")
    letter_id, q = parts(url)
    assert made.valid(letter_id, part="standard", expires=q["expires"], sig=q["sig"])
    # Another letter, the other variant, a later expiry: each refused with the same signature.
    assert not made.valid(8, part="standard", expires=q["expires"], sig=q["sig"])
    assert not made.valid(7, part="large", expires=q["expires"], sig=q["sig"])
    later = str(int(q["expires"]) + 86400)
    assert not made.valid(7, part="standard", expires=later, sig=q["sig"])
    assert not made.valid(7, part="standard", expires="soon", sig=q["sig"])
    # Large print is its own signed link.
    _, big = parts(made.url(7, large=True))
    assert big["print"] == "large"
    assert made.valid(7, part="large", expires=big["expires"], sig=big["sig"])
    # Seven days on, the link no longer works.
    now[0] += timedelta(days=7, seconds=1)
    assert not made.valid(7, part="standard", expires=q["expires"], sig=q["sig"])


def test_an_enclosure_has_its_own_link_that_fetches_nothing_else(tmp_path: Path) -> None:
    """s7: the policy that goes with a strategy letter is downloaded through a link signed
    for that letter and that enclosure; it opens neither the letter nor another's."""
    policy = tmp_path / "policy.pdf"
    made = dataclasses.replace(
        links([datetime(2026, 12, 4, 9, tzinfo=UTC)]),
        enclosures=lambda kind: (
            [Enclosure("Policy", policy, "Policy to enclose")] if kind == "strategy" else []
        ),
    )
    assert made.enclosure_links(7, "warning") == []
    ((enclosure, url),) = made.enclosure_links(7, "strategy")
    assert enclosure.path == policy
    split = urlsplit(url)
    assert split.path == "/letters/7/enclosures/0"
    q = {k: v[0] for k, v in parse_qs(split.query).items()}
    assert made.valid(7, part="enclosure-0", expires=q["expires"], sig=q["sig"])
    for other in ("standard", "large", "enclosure-1"):
        assert not made.valid(7, part=other, expires=q["expires"], sig=q["sig"])
    assert not made.valid(8, part="enclosure-0", expires=q["expires"], sig=q["sig"])


def test_the_link_key_is_derived_from_the_audit_key_not_the_audit_key_itself() -> None:
    audit_key = b"a" * 32
    assert derive_key(audit_key) != audit_key
    assert derive_key(audit_key) == derive_key(audit_key)
    assert derive_key(audit_key) != derive_key(b"b" * 32)
