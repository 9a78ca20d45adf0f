"""Getting a letter to the member of the public (issue 14; s7: told in writing, s5: in an
accessible format): on Slack the PDF is uploaded with a readable comment; on Teams (and
so the web chat) the card reads as paragraphs and its button downloads the PDF from the
bot's own endpoint through a signed link that expires.

Driven through the real SDKs over loopback (tests/fake_slack.py, tests/fake_connector.py);
the PDF's text is read back with pypdf.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pypdf
from sqlalchemy import select

from bot.server import build_links
from cards.ids import ActionId
from dialogs.office import Organisation
from storage.models import Authorisation, Letter
from tests.e2e.test_slack_strategy import propose as slack_propose
from tests.e2e.test_teams_strategy import everyone_opens, put_in_force
from tests.letter_text import assert_pdf_is_the_letter, pdf_text, words
from tests.slack_harness import SlackWorld, assert_audit_intact, start_world
from tests.teams_harness import JO, TeamsWorld, start_teams, visible

HOSTILE_REASON = "<!channel> see <https://evil.example|the case> & <@U0BEA>"


async def the_letter(db: Any) -> Letter:
    async with db.read() as session:
        return (await session.execute(select(Letter))).scalar_one()


async def approved_and_uploaded(slack: SlackWorld, **proposal: Any) -> tuple[Any, Letter]:
    """Propose, approve as Alex; the upload's completion call, and the letter kept."""
    await slack_propose(slack, **proposal)
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    await slack.click("U0ALEX", ActionId.APPROVE, str(auth.id))
    (done,) = await slack.eventually(
        lambda: slack.fake.calls_to("files.completeUploadExternal"), what="upload"
    )
    await slack.settle()
    return done, await the_letter(slack.db)


async def test_slack_gets_the_letter_as_a_pdf_with_a_readable_comment(slack: SlackWorld) -> None:
    done, letter = await approved_and_uploaded(slack, reasons=HOSTILE_REASON)
    assert done["channel_id"] == "D0JO"
    # The file is the letter's PDF, named for it, and its text is the kept letter's.
    (uploaded,) = slack.fake.uploads.values()
    assert uploaded.startswith(b"%PDF-")
    (asked,) = slack.fake.calls_to("files.getUploadURLExternal")
    assert asked["filename"].endswith("-strategy.pdf")
    assert_pdf_is_the_letter(pdf_text(uploaded), letter.text)
    # The comment says whose letter it is and what it is, and quotes how it opens...
    comment = done["initial_comment"]
    reference = letter.text.split("SC-")[1].split()[0]
    assert comment.startswith(f"*Letter for SC-{reference}: {letter.subject}*\n")
    assert "Send it by letter" in comment
    assert "\n> " in comment and "The PDF attached is the letter as kept" in comment
    # ...with nothing in it that Slack would turn into a mention or a link.
    for live in ("<!", "<@", "<http", "|the case>"):
        assert live not in comment


async def test_teams_letter_card_reads_as_paragraphs_and_downloads_the_pdf(
    teams: TeamsWorld,
) -> None:
    await everyone_opens(teams)
    await put_in_force(teams)
    letter = await the_letter(teams.db)
    (call,) = teams.cards_to(JO, letter.subject)
    card = call.card
    (body,) = [e for e in card["body"] if e.get("type") == "Container"]
    blocks = [e["text"] for e in body["items"]]
    # One block a paragraph (not one a line), none of them a Python list.
    paragraphs = [p for p in letter.text.split("\n\n") if p.strip()]
    assert len(blocks) == 1 + len(paragraphs)
    assert not any(b.startswith("[") for b in blocks)
    shown = words(visible(card))
    assert "your behaviour towards our office has been unacceptable or unreasonable" in shown
    assert "Copy the text" not in shown

    titles = {a["title"]: a for a in card["actions"]}
    assert list(titles) == ["Download the letter (PDF)", "Large print (PDF)"]
    link = titles["Download the letter (PDF)"]["url"]
    # The link points at the bot's public address; the test server is that address here.
    assert link.startswith(f"https://safecontact.example.org/letters/{letter.id}.pdf?")
    assert "SC-" not in link  # nothing about the person in it: number, expiry, signature
    here = teams.url + link.removeprefix("https://safecontact.example.org")

    async with teams.http.get(here) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/pdf"
        assert resp.headers["Cache-Control"] == "no-store"
        body_pdf = await resp.read()
    assert_pdf_is_the_letter(pdf_text(body_pdf), letter.text)
    # The large-print variant is another signed link, to more pages of bigger type.
    large = teams.url + titles["Large print (PDF)"]["url"].split("example.org", 1)[1]
    async with teams.http.get(large) as resp:
        assert resp.status == 200
        big = pypdf.PdfReader(io.BytesIO(await resp.read()))
    assert len(big.pages) > len(pypdf.PdfReader(io.BytesIO(body_pdf)).pages)

    # Altered, for another letter, or unsigned: 403. Signed but no such letter: 404.
    split = urlsplit(here)
    tampered = here.replace("sig=", "sig=0")
    other = f"{teams.url}/letters/{letter.id + 1}.pdf?{split.query}"
    for url in (tampered, other, f"{teams.url}/letters/{letter.id}.pdf"):
        async with teams.http.get(url) as resp:
            assert resp.status == 403, url
            assert "expired or is not valid" in await resp.text()
    links = build_links(teams.runtime)  # the server's own: same key, same clock
    missing = teams.url + links.url(letter.id + 99).split("example.org", 1)[1]
    async with teams.http.get(missing) as resp:
        assert resp.status == 404

    # Eight days later the link has expired.
    real = teams.runtime.clock
    teams.runtime.clock = lambda: real() + timedelta(days=8)
    try:
        async with teams.http.get(here) as resp:
            assert resp.status == 403
    finally:
        teams.runtime.clock = real


# s7: "A copy of this policy will be provided". With the policy configured as a file, the
# strategy letter says it is enclosed, so whoever sends it gets that file with the letter.
POLICY_BYTES = b"%PDF-1.7\n% the office's policy, as the office wrote it\n"


def policy_file(tmp_path: Path) -> Organisation:
    policy = tmp_path / "Unacceptable behaviour policy.pdf"
    policy.write_bytes(POLICY_BYTES)
    return Organisation(policy_document_file=str(policy), policy_document_title="Our policy")


async def test_slack_uploads_the_enclosed_policy_with_the_letter(
    fresh_db_url: str, tmp_path: Path
) -> None:
    slack, stop = await start_world(fresh_db_url, organisation=policy_file(tmp_path))
    try:
        done, letter = await approved_and_uploaded(slack)
        assert 'We have enclosed a copy of our policy, "Our policy"' in letter.text
        # One message, two files: the letter, then the policy exactly as configured.
        names = [c["filename"] for c in slack.fake.calls_to("files.getUploadURLExternal")]
        assert names[0].endswith("-strategy.pdf")
        assert names[1] == "Unacceptable-behaviour-policy.pdf"
        uploaded = list(slack.fake.uploads.values())
        assert uploaded[0].startswith(b"%PDF-") and uploaded[1] == POLICY_BYTES
        assert [f["title"] for f in json.loads(done["files"])] == [
            letter.subject,
            "Policy to enclose: Our policy",
        ]
        # The note to the sender names what goes in the envelope, as the letter does.
        assert (
            'Send it by letter, with a printed copy of the policy "Our policy".'
            in (done["initial_comment"])
        )
        assert (
            "Send it with what it says is enclosed: *Our policy* (attached too, as "
            "Unacceptable-behaviour-policy.pdf)." in done["initial_comment"]
        )
        await assert_audit_intact(slack.db)
    finally:
        await stop()


async def test_teams_letter_card_downloads_the_enclosed_policy(
    fresh_db_url: str, tmp_path: Path
) -> None:
    teams, stop = await start_teams(fresh_db_url, organisation=policy_file(tmp_path))
    try:
        await everyone_opens(teams)
        await put_in_force(teams)
        letter = await the_letter(teams.db)
        (call,) = teams.cards_to(JO, letter.subject)
        assert "Send it with what it says is enclosed: Our policy" in words(visible(call.card))
        titles = {a["title"]: a["url"] for a in call.card["actions"]}
        assert list(titles) == [
            "Download the letter (PDF)",
            "Large print (PDF)",
            "Policy to enclose",
        ]
        link = titles["Policy to enclose"]
        assert link.startswith(f"https://safecontact.example.org/letters/{letter.id}/enclosures/0?")
        here = teams.url + link.removeprefix("https://safecontact.example.org")
        async with teams.http.get(here) as resp:
            assert resp.status == 200
            assert resp.content_type == "application/pdf"
            assert "Unacceptable-behaviour-policy.pdf" in resp.headers["Content-Disposition"]
            assert await resp.read() == POLICY_BYTES
        # Signed for this letter's first enclosure only: not another, not the letter.
        split = urlsplit(here)
        for url in (
            here.replace("sig=", "sig=0"),
            f"{teams.url}/letters/{letter.id}/enclosures/1?{split.query}",
            f"{teams.url}/letters/{letter.id}.pdf?{split.query}",
        ):
            async with teams.http.get(url) as resp:
                assert resp.status == 403, url
        teams.assert_all_cards_valid()
    finally:
        await stop()
