"""Sending a letter by email (issue 14; s7: the person is told in writing, and a restriction
runs only from then): against a real SMTP server on loopback (aiosmtpd), through the real
Teams SDK as the other Teams tests are.

Sent: the mail server has the email, from the office's address to the person's, with the
letter's PDF; the letter is recorded as sent by email, once. Refused and unreachable: the
sender and the administrators are told, and the letter stays unsent.
"""

from __future__ import annotations

import asyncio
import email
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.doctor import Doctor
from bot.settings import Settings
from cards.ids import ActionId
from dialogs.office import Organisation
from storage.models import AuditEvent, Authorisation, ContactStrategy, Letter
from tests.backends import both_backends
from tests.e2e.test_slack_strategy import propose as slack_propose
from tests.e2e.test_teams_strategy import (
    approval_cards,
    approve,
    error_under,
    everyone_opens,
    letter_cards,
    propose,
    the_authorisation,
    value_of,
)
from tests.letter_text import assert_pdf_is_the_letter, pdf_text
from tests.monitoring_support import open_form
from tests.notice_support import buttons as slack_buttons
from tests.notice_support import letter_cards as slack_letter_cards
from tests.slack_harness import assert_audit_intact, start_world
from tests.teams_harness import (
    ADA,
    BEA,
    JO,
    MESSAGE,
    NIA,
    SAM,
    TeamsWorld,
    buttons,
    start_teams,
    visible,
)

OFFICE = "letters@opcc.example.org"
PERSON = "morgan@example.net"
REFUSED = "gone@example.net"


@dataclass
class Inbox:
    """What the loopback mail server accepted; it refuses REFUSED at RCPT, as a real one
    refuses an unknown mailbox, and may take its time to answer."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    delay: float = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 <gone@example.net>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


async def mail_world(db_url: str, port: int, **settings_kw: Any) -> tuple[TeamsWorld, Any]:
    return await start_teams(
        db_url,
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "from_address": OFFICE},
        **settings_kw,
    )


@pytest.fixture
async def mailing(
    fresh_db_url: str, inbox: tuple[Inbox, int]
) -> AsyncIterator[tuple[TeamsWorld, Inbox]]:
    handler, port = inbox
    world, stop = await mail_world(fresh_db_url, port)
    try:
        yield world, handler
        world.assert_all_cards_valid()
        # Every address was given through a form (the strategy form, Their address), so
        # the trail accounts for every row.
        await assert_audit_intact(world.db)
    finally:
        await stop()


async def letter_card(teams: TeamsWorld, address: str | None) -> tuple[dict[str, Any], Letter]:
    """A strategy approved, its letter not yet sent: the card Jo gets with it ("Record
    letter sent", and "Send by email" when it can work), the person's email given on the
    strategy form."""
    await everyone_opens(teams)
    answer, _ = await propose(teams, person_email=address or "")
    assert "Proposal sent" in visible(answer), [
        e["text"] for e in answer["body"] if e.get("type") == "TextBlock" and "⚠" in e["text"]
    ]
    await teams.settle()
    auth = await the_authorisation(teams)
    (card,) = [c.card for c in approval_cards(teams, BEA)]
    assert (await approve(teams, BEA, card)).startswith("Approved")
    await teams.settle()
    async with teams.db.read() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
        strategy = await session.get(ContactStrategy, auth.strategy_id)
    assert strategy is not None and strategy.status == "approved"  # not in force: unsent
    (ready,) = letter_cards(teams, JO, letter.id)
    return ready.card, letter


async def strategy_status(teams: TeamsWorld) -> str:
    async with teams.db.read() as session:
        return str((await session.execute(select(ContactStrategy.status))).scalar_one())


async def send(teams: TeamsWorld, card: dict[str, Any], user: str = JO) -> str:
    status, answer = await teams.click(user, card, "Send by email")
    assert status == 200 and answer["type"] == MESSAGE, answer
    return str(answer["value"])


async def reread(teams: TeamsWorld, letter: Letter) -> Letter:
    async with teams.db.read() as session:
        found = await session.get(Letter, letter.id)
        assert found is not None
        return found


async def actions(teams: TeamsWorld) -> list[str]:
    async with teams.db.read() as session:
        return list((await session.execute(select(AuditEvent.action))).scalars())


def attachment(message: EmailMessage) -> tuple[str, bytes]:
    (part,) = list(message.iter_attachments())
    return str(part.get_filename()), bytes(part.get_content())


@both_backends
async def test_an_accepted_email_records_the_letter_as_sent(
    mailing: tuple[TeamsWorld, Inbox],
) -> None:
    teams, inbox = mailing
    card, letter = await letter_card(teams, PERSON)
    said = await send(teams, card)
    assert said.startswith(f"Sent by email to {PERSON} from {OFFICE}.")
    assert "is recorded as sent by email today" in said

    # The mail server has one email, from the office to the person, with the letter.
    (message,) = inbox.messages
    assert inbox.envelopes == [(OFFICE, [PERSON])]
    assert message["To"] == PERSON and OFFICE in message["From"]
    # (A long subject is folded onto the next line; readers unfold it.)
    assert message["Subject"].strip() == letter.subject
    name, body = attachment(message)
    assert name.endswith("-strategy.pdf") and body.startswith(b"%PDF-")
    assert_pdf_is_the_letter(pdf_text(body), letter.text)
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and "call 999 in an emergency, or 101" in text.get_content()

    # Recorded as sent, by email, by Jo, today, once (s7).
    sent = await reread(teams, letter)
    assert sent.sent_method == "email" and sent.sent_on == teams.runtime.clock().date()
    assert (await actions(teams)).count("letter.sent") == 1
    # Sending it is what puts the strategy in force (s7: told in writing first).
    assert await strategy_status(teams) == "active"
    await teams.settle()
    (ready,) = letter_cards(teams, JO, letter.id)
    now = teams.now(JO, str(ready.activity_id))  # the card as Jo sees it now, updated
    assert buttons(now) == []  # its sending record, and no buttons left
    assert "The contact strategy is now in force." in visible(now)

    # A second press (on the copy still open somewhere) sends nothing more and says why.
    again = await send(teams, card)
    assert "already recorded as sent" in again and "has not been sent again" in again
    assert len(inbox.messages) == 1


@both_backends
async def test_a_double_click_sends_the_letter_once(mailing: tuple[TeamsWorld, Inbox]) -> None:
    teams, inbox = mailing
    card, letter = await letter_card(teams, PERSON)
    inbox.delay = 1.0  # the first email is still with the server when the second press comes
    first, second = await asyncio.gather(send(teams, card), send(teams, card))
    answers = sorted([first, second], key=lambda a: a.startswith("Sent"))
    assert answers[1].startswith("Sent by email")
    assert "being sent by email already" in answers[0] or "already recorded" in answers[0]
    assert len(inbox.messages) == 1
    assert (await actions(teams)).count("letter.sent") == 1


async def test_a_refused_email_leaves_the_letter_unsent(mailing: tuple[TeamsWorld, Inbox]) -> None:
    teams, inbox = mailing
    card, letter = await letter_card(teams, REFUSED)
    said = await send(teams, card)
    assert said.startswith("The letter for SC-") and "was NOT sent by email" in said
    assert "550 5.1.1" in said and "mailbox unavailable" in said
    assert "It is not recorded as sent" in said
    assert inbox.messages == []
    assert (await reread(teams, letter)).sent_on is None
    assert await strategy_status(teams) == "approved"  # still not in force
    assert "letter.email_failed" in await actions(teams)
    assert "letter.sent" not in await actions(teams)
    # The administrators are told, naming the case, not the person.
    await teams.settle()
    (told,) = teams.cards_to(ADA, "could not be sent by email")
    assert "It is not recorded as sent" in visible(told.card)
    assert REFUSED not in visible(told.card)

    # Corrected from the letter's own card (Their address), it can be sent: the failed
    # attempt held nothing back.
    form = await teams.open_form(JO, card, "Their address")
    assert value_of(form, "person_email") == REFUSED
    status, answer = await teams.submit(JO, form, {"person_email": "not an address"})
    assert "does not look like an email address" in error_under(answer["value"], "person_email")
    status, answer = await teams.submit(JO, form, {"person_email": PERSON, "postal_address": ""})
    said = visible(answer["value"])
    assert "Saved: where letters to SC-" in said and "now offers Send by email" in said
    assert (await actions(teams)).count("person.contact_details") == 2  # the form, then this
    assert (await send(teams, card)).startswith("Sent by email")
    assert (await reread(teams, letter)).sent_method == "email"
    # Sent, the address can no longer be changed for it.
    said = await teams.refused(JO, ActionId.CHANGE_LETTER_ADDRESS, {"letter_id": letter.id})
    assert "already been sent" in said


async def test_an_unreachable_server_leaves_the_letter_unsent(fresh_db_url: str) -> None:
    teams, stop = await mail_world(fresh_db_url, free_port())  # nothing listens there
    try:
        card, letter = await letter_card(teams, PERSON)
        said = await send(teams, card)
        assert "was NOT sent by email: could not reach the mail server 127.0.0.1:" in said
        assert (await reread(teams, letter)).sent_on is None
        await teams.settle()
        assert teams.cards_to(ADA, "could not be sent by email")
        assert "letter.sent" not in await actions(teams)
    finally:
        await stop()


async def test_who_may_send_and_what_is_refused(mailing: tuple[TeamsWorld, Inbox]) -> None:
    teams, inbox = mailing
    _, letter = await letter_card(teams, None)
    # No address recorded (a card from before it was removed): told so, nothing sent.
    status, answer = await teams.invoke(JO, ActionId.SEND_LETTER_EMAIL, {"letter_id": letter.id})
    assert "No email address is recorded for SC-" in str(answer["value"])
    # A member of staff who neither wrote it nor manages: refused.
    status, answer = await teams.invoke(NIA, ActionId.SEND_LETTER_EMAIL, {"letter_id": letter.id})
    assert status == 200 and "Only the letter's author" in str(answer["value"])
    # A letter that does not exist.
    status, answer = await teams.invoke(JO, ActionId.SEND_LETTER_EMAIL, {"letter_id": 999})
    assert "There is no such letter" in str(answer["value"])
    assert inbox.messages == [] and (await reread(teams, letter)).sent_on is None


async def test_the_email_attaches_the_policy_the_letter_says_is_enclosed(
    fresh_db_url: str, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    """s7: the strategy letter says the policy is enclosed; emailed, it is attached after
    the letter. If the file has gone from the server nothing is sent and the sender is told."""
    handler, port = inbox
    policy = tmp_path / "policy.pdf"
    policy.write_bytes(b"%PDF-1.7 the policy")
    org = Organisation(policy_document_file=str(policy), policy_document_title="Our policy")
    teams, stop = await mail_world(fresh_db_url, port, organisation=org)
    try:
        card, letter = await letter_card(teams, PERSON)
        assert 'We have enclosed a copy of our policy, "Our policy"' in letter.text
        policy.rename(tmp_path / "moved.pdf")
        said = await send(teams, card)
        assert "could not be read on the server" in said and "nothing was sent" in said
        assert handler.messages == [] and (await reread(teams, letter)).sent_on is None

        (tmp_path / "moved.pdf").rename(policy)
        assert (await send(teams, card)).startswith("Sent by email")
        (message,) = handler.messages
        parts = [(p.get_filename(), p.get_content_type()) for p in message.iter_attachments()]
        assert parts[0][0].endswith("-strategy.pdf")
        assert parts[1] == ("policy.pdf", "application/pdf")
        assert list(message.iter_attachments())[1].get_content() == b"%PDF-1.7 the policy"
    finally:
        await stop()


async def test_without_smtp_or_an_address_the_card_offers_no_email(
    teams: TeamsWorld, fresh_db_url: str
) -> None:
    card, letter = await letter_card(teams, PERSON)
    assert [b["title"] for b in buttons(card)] == ["Record letter sent", "Their address"]
    status, answer = await teams.invoke(JO, ActionId.SEND_LETTER_EMAIL, {"letter_id": letter.id})
    assert "not set up on this server" in str(answer["value"])


async def test_no_email_button_without_an_address_until_one_is_given(
    mailing: tuple[TeamsWorld, Inbox],
) -> None:
    teams, inbox = mailing
    card, letter = await letter_card(teams, None)
    assert [b["title"] for b in buttons(card)] == ["Record letter sent", "Their address"]
    # Given on the letter's card, the card is redrawn with Send by email.
    form = await teams.open_form(JO, card, "Their address")
    assert value_of(form, "person_email") in ("", None)
    status, answer = await teams.submit(JO, form, {"person_email": PERSON, "postal_address": ""})
    assert "now offers Send by email" in visible(answer["value"])
    await teams.settle()
    (ready,) = letter_cards(teams, JO, letter.id)
    now = teams.now(JO, str(ready.activity_id))
    assert [b["title"] for b in buttons(now)] == [
        "Record letter sent",
        "Send by email",
        "Their address",
    ]
    assert (await send(teams, now)).startswith(f"Sent by email to {PERSON}")
    assert len(inbox.messages) == 1
    # Only who may send the letter may say where it goes.
    said = await teams.refused(SAM, ActionId.CHANGE_LETTER_ADDRESS, {"letter_id": letter.id})
    assert "Only a manager, an authoriser or the Chief Executive" in said


async def test_slack_sends_by_email_from_the_letter_card(
    fresh_db_url: str, inbox: tuple[Inbox, int]
) -> None:
    """The same button on Slack's letter card, through the real bolt app."""
    handler, port = inbox
    slack, stop = await start_world(
        fresh_db_url,
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "from_address": OFFICE},
    )
    try:
        await slack_propose(slack)  # no email address given yet
        async with slack.db.read() as session:
            auth = (await session.execute(select(Authorisation))).scalar_one()
        await slack.click("U0ALEX", ActionId.APPROVE, str(auth.id))
        await slack.settle()
        async with slack.db.read() as session:
            letter = (await session.execute(select(Letter))).scalar_one()
        (card,) = await slack.eventually(
            lambda: slack_letter_cards(slack, "U0JO", letter.id), what="the letter card"
        )
        assert slack_buttons(card) == {
            ActionId.RECORD_LETTER_SENT: str(letter.id),
            ActionId.CHANGE_LETTER_ADDRESS: str(letter.id),
        }
        # Their address, in a modal from the card; the card is redrawn with Send by email.
        view = await open_form(slack, "U0JO", ActionId.CHANGE_LETTER_ADDRESS, letter.id)
        assert view["callback_id"] == "letter_address"
        _, ack = await slack.submit("U0JO", view, {"person_email": PERSON, "postal_address": ""})
        assert "now offers Send by email" in json.dumps(ack)
        await slack.settle()
        (update_call,) = [
            c for c in slack.fake.calls_to("chat.update") if "letter_send_email" in json.dumps(c)
        ]
        assert slack_buttons(update_call) == {
            ActionId.RECORD_LETTER_SENT: str(letter.id),
            ActionId.SEND_LETTER_EMAIL: str(letter.id),
            ActionId.CHANGE_LETTER_ADDRESS: str(letter.id),
        }
        await slack.click("U0JO", ActionId.SEND_LETTER_EMAIL, str(letter.id))
        (said,) = await slack.eventually(
            lambda: [r for r in slack.fake.responses if "by email" in r.get("text", "")],
            what="the answer",
        )
        assert said["text"].startswith(f"Sent by email to {PERSON}")
        await slack.settle()
        assert len(handler.messages) == 1
        async with slack.db.read() as session:
            sent = await session.get(Letter, letter.id)
            status = (await session.execute(select(ContactStrategy.status))).scalar_one()
        assert sent is not None and sent.sent_method == "email"
        assert status == "active"
        await assert_audit_intact(slack.db)
    finally:
        await stop()


async def test_doctor_checks_the_mail_server(inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    """`safecontact doctor` connects as a send would and leaves without sending."""
    _, port = inbox
    found = {}
    for name, smtp in (
        ("answers", {"host": "127.0.0.1", "port": port, "security": "none"}),
        ("closed", {"host": "127.0.0.1", "port": free_port(), "security": "none"}),
        ("off", {}),
    ):
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / name}.db",
            smtp={**smtp, "from_address": OFFICE} if smtp else {},
        )
        doctor = Doctor(settings)
        try:
            (found[name],) = await doctor.mail()
        finally:
            await doctor.db.dispose()
    assert found["answers"].status == "ok"
    assert f"127.0.0.1:{port} answers unencrypted" in found["answers"].text
    assert f"letters come from {OFFICE}" in found["answers"].text
    assert found["closed"].status == "fail"
    assert "could not reach the mail server" in found["closed"].text
    assert found["off"].status == "skip" and "Send by email is not offered" in found["off"].text
