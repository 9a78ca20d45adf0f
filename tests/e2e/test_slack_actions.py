"""The manager's buttons and the welfare answers, clicked through the real bolt app."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import select

from cards.ids import ActionId
from storage.models import AuditEvent, Incident, Letter, PoliceReferral, Warning, WelfareCheckIn
from tests.e2e.test_slack_incident import (
    answers,
    assert_valid_message,
    assert_valid_view,
    open_incident_form,
)
from tests.letter_text import assert_pdf_is_the_letter, pdf_text
from tests.slack_harness import SlackWorld


async def report(slack: SlackWorld, **overrides: Any) -> Incident:
    view = await open_incident_form(slack)
    await slack.submit("U0SAM", view, answers(**overrides))
    await slack.settle()
    async with slack.db.read() as session:
        return (
            (await session.execute(select(Incident).order_by(Incident.id.desc()))).scalars().first()
        )


async def test_acknowledge_updates_the_card_in_place(slack: SlackWorld) -> None:
    incident = await report(slack)
    await slack.click("U0JO", ActionId.ACKNOWLEDGE, str(incident.id))
    updates = await slack.eventually(lambda: slack.fake.calls_to("chat.update"), what="update")
    await slack.settle()
    assert len(updates) == 1
    posted = next(c for c in slack.fake.channels["D0JO"] if "Incident report" in c["text"])
    assert updates[0]["ts"] == posted["ts"]
    assert_valid_message(updates[0])
    assert "Acknowledged by Jo Reed" in str(updates[0]["blocks"])
    assert ActionId.ACKNOWLEDGE not in str(updates[0]["blocks"])  # the button is gone
    async with slack.db.read() as session:
        stored = await session.get(Incident, incident.id)
        assert stored.acknowledged_at is not None
        assert (
            "incident.acknowledged"
            in (await session.execute(select(AuditEvent.action))).scalars().all()
        )

    # A second click is told who did it and when; nothing changes.
    await slack.click("U0JO", ActionId.ACKNOWLEDGE, str(incident.id))
    reply = await slack.eventually(
        lambda: [r for r in slack.fake.responses if "Already acknowledged" in r["text"]],
        what="already acknowledged",
    )
    assert "Jo Reed" in reply[0]["text"]
    await slack.settle()
    assert len(slack.fake.calls_to("chat.update")) == 1


async def test_only_the_manager_or_an_authoriser_may_act(slack: SlackWorld) -> None:
    incident = await report(slack)
    for user in ("U0SAM", "U0NIA", "U0CASEY"):
        await slack.click(user, ActionId.ACKNOWLEDGE, str(incident.id))
    await slack.eventually(lambda: len(slack.fake.responses) >= 3, what="three refusals")
    texts = [r["text"] for r in slack.fake.responses]
    assert any("You reported this incident" in t for t in texts)
    assert sum("Only the reporter's manager or an authoriser" in t for t in texts) == 2
    async with slack.db.read() as session:
        assert (await session.get(Incident, incident.id)).acknowledged_at is None
    # An authoriser who is not the manager may act (s7: senior staff).
    await slack.click("U0BEA", ActionId.ACKNOWLEDGE, str(incident.id))
    await slack.eventually(lambda: slack.fake.calls_to("chat.update"), what="card update")
    async with slack.db.read() as session:
        assert (await session.get(Incident, incident.id)).acknowledged_by_id is not None


async def test_forged_incident_ids_are_refused(slack: SlackWorld) -> None:
    await report(slack)
    for value in ("999999", "abc", "", "1 OR 1=1"):
        status, _ = await slack.click("U0JO", ActionId.ACKNOWLEDGE, value)
        assert status == 200
    await slack.eventually(lambda: len(slack.fake.responses) >= 4, what="four refusals")
    assert all(
        "could not be found" in r["text"] or "malformed" in r["text"] for r in slack.fake.responses
    )
    async with slack.db.read() as session:
        assert (await session.execute(select(Incident))).scalar_one().acknowledged_at is None


async def written_warning(slack: SlackWorld, incident: Incident) -> tuple[Warning, Letter]:
    """Jo records a written warning from the incident card; the warning and its letter."""
    view = await slack.form_behind("U0JO", ActionId.RECORD_WARNING, incident.id)
    assert_valid_view(view)
    assert view["callback_id"] == "warning"
    _status, ack = await slack.submit(
        "U0JO",
        view,
        {
            "warning_kind": "written",
            "given_on": date.today().isoformat(),
            "behaviour_to_change": "Please stop swearing at staff & write to <one> address.",
        },
    )
    assert ack["response_action"] == "update"
    await slack.eventually(
        lambda: slack.fake.calls_to("files.completeUploadExternal"), what="letter upload"
    )
    await slack.settle()
    async with slack.db.read() as session:
        warning = (await session.execute(select(Warning))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
    return warning, letter


async def test_a_warning_letter_is_in_large_print_when_their_needs_say_so(
    slack: SlackWorld,
) -> None:
    """s5: the needs recorded with the report shape the letter, as a strategy's does."""
    incident = await report(slack, known_needs="Partially sighted: needs large print.")
    _, letter = await written_warning(slack, incident)
    assert "font-size: 18pt" in letter.html


async def test_written_warning_stores_letter_and_uploads_it(slack: SlackWorld) -> None:
    incident = await report(slack)
    warning, letter = await written_warning(slack, incident)
    assert "font-size: 12pt" in letter.html  # "hard of hearing" asks for no large print
    assert warning.kind == "written" and letter.warning_id == warning.id
    # s6: what was unacceptable and why, what must change, where to write, where to get support.
    assert "Abuse, derogatory, discriminatory or defamatory remarks" in letter.html
    assert "not acceptable" in letter.html
    assert "Please stop swearing at staff &amp; write to &lt;one&gt; address." in letter.html
    assert "How to contact us" in letter.html and "Where to find support" in letter.html
    assert "<one>" in letter.text  # plain text keeps the words as written
    completes = slack.fake.calls_to("files.completeUploadExternal")
    assert len(completes) == 1 and completes[0]["channel_id"] == "D0JO"
    # The letter goes as its PDF, whose text is the kept letter's (issue 14).
    uploaded = next(iter(slack.fake.uploads.values()))
    assert uploaded.startswith(b"%PDF-")
    assert_pdf_is_the_letter(pdf_text(uploaded), letter.text)
    update = slack.fake.calls_to("chat.update")[-1]
    assert "Written warning given" in str(update["blocks"])


async def test_verbal_warning_makes_no_letter(slack: SlackWorld) -> None:
    incident = await report(slack)
    await slack.click("U0JO", ActionId.RECORD_WARNING, str(incident.id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[1:] and slack.last_view(), what="form"
    )
    await slack.submit(
        "U0JO",
        view,
        {
            "warning_kind": "verbal",
            "given_on": date.today().isoformat(),
            "behaviour_to_change": "Speak calmly.",
        },
    )
    await slack.settle()
    async with slack.db.read() as session:
        assert (await session.execute(select(Warning))).scalar_one().kind == "verbal"
        assert (await session.execute(select(Letter))).first() is None


async def test_police_referral_is_recorded(slack: SlackWorld) -> None:
    incident = await report(slack, violence="yes")
    await slack.click("U0JO", ActionId.RECORD_POLICE, str(incident.id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[1:] and slack.last_view(), what="form"
    )
    assert_valid_view(view)
    _status, ack = await slack.submit(
        "U0JO",
        view,
        {"referred_on": date.today().isoformat(), "police_reference": "WK-2026-1234"},
    )
    assert ack["response_action"] == "update"
    await slack.eventually(lambda: slack.fake.calls_to("chat.update"), what="card update")
    async with slack.db.read() as session:
        referral = (await session.execute(select(PoliceReferral))).scalar_one()
    assert referral.police_reference == "WK-2026-1234"
    assert "Police referral WK-2026-1234" in str(slack.fake.calls_to("chat.update")[-1]["blocks"])


async def test_future_dates_are_refused_under_the_field(slack: SlackWorld) -> None:
    incident = await report(slack)
    await slack.click("U0JO", ActionId.RECORD_POLICE, str(incident.id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[1:] and slack.last_view(), what="form"
    )
    _status, ack = await slack.submit(
        "U0JO", view, {"referred_on": "2999-01-01", "police_reference": "X1"}
    )
    assert ack == {
        "response_action": "errors",
        "errors": {"referred_on": "This date is in the future."},
    }


def checkin_id(slack: SlackWorld) -> str:
    post = next(p for p in slack.fake.posts_to("U0SAM") if "How are you" in p["text"])
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    return actions["elements"][0]["value"]


async def test_welfare_ok(slack: SlackWorld) -> None:
    await report(slack)
    await slack.click("U0SAM", ActionId.WELFARE_OK, checkin_id(slack))
    reply = await slack.eventually(lambda: slack.fake.responses, what="reply")
    assert reply[0]["replace_original"] is True
    assert "You answered: *I'm OK*" in str(reply[0]["blocks"])
    assert_valid_message(reply[0])
    async with slack.db.read() as session:
        checkin = (await session.execute(select(WelfareCheckIn))).scalar_one()
    assert checkin.answer == "ok"
    # Welfare answers are welfare data: the audit trail says an answer was given, not which.
    async with slack.db.read() as session:
        events = (await session.execute(select(AuditEvent))).scalars().all()
    answered = [e for e in events if e.action == "welfare.answered"]
    assert answered and all("ok" not in str(e.detail) for e in answered)


async def test_welfare_talk_tells_the_manager_nothing_else(slack: SlackWorld) -> None:
    await report(slack)
    before = len(slack.fake.posts_to("U0JO"))
    await slack.click("U0SAM", ActionId.WELFARE_TALK, checkin_id(slack))
    await slack.eventually(lambda: len(slack.fake.posts_to("U0JO")) > before, what="talk DM")
    talk = slack.fake.posts_to("U0JO")[-1]
    assert_valid_message(talk)
    assert talk["text"] == "Sam Patel would like to talk to you"
    body = str(talk["blocks"])
    assert "SC-" not in body and "Morgan" not in body  # no other detail
    reply = slack.fake.responses[0]
    assert "I'm asking Jo Reed to get in touch" in str(reply["blocks"])
    # A second click does not nag the manager again.
    await slack.click("U0SAM", ActionId.WELFARE_TALK, checkin_id(slack))
    await slack.eventually(lambda: len(slack.fake.responses) == 2, what="second reply")
    await slack.settle()
    assert len(slack.fake.posts_to("U0JO")) == before + 1


async def test_welfare_support_shows_eap_policies_and_private_checklist(slack: SlackWorld) -> None:
    await report(slack)
    cid = checkin_id(slack)
    await slack.click("U0SAM", ActionId.WELFARE_SUPPORT, cid)
    replies = await slack.eventually(
        lambda: len(slack.fake.responses) >= 2 and slack.fake.responses
    )
    support = replies[1]
    assert_valid_message(support)
    text = str(support["blocks"])
    assert "Employee Assistance Programme" in text
    assert "Protecting your privacy online (Appendix A)" in text
    assert "electoral register" in text
    # Tick two steps: stored for the staff member only.
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U0SAM"},
        "api_app_id": "A1",
        "trigger_id": "t",
        "response_url": slack.fake.response_url(99),
        "container": {"type": "message"},
        "actions": [
            {
                "type": "checkboxes",
                "action_id": ActionId.PRIVACY_STEPS,
                "block_id": f"privacy:{cid}",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": "x"}, "value": "no_face"},
                    {"text": {"type": "plain_text", "text": "x"}, "value": "electoral_register"},
                ],
                "action_ts": "1",
            }
        ],
    }
    status, _ = await slack.interact(payload)
    assert status == 200

    async def ticked() -> list[str]:
        async with slack.db.read() as session:
            return (await session.execute(select(WelfareCheckIn))).scalar_one().privacy_steps_done

    for _ in range(100):
        if await ticked():
            break
        await asyncio.sleep(0.02)
    assert await ticked() == ["electoral_register", "no_face"]
    # Someone else cannot tick (or even see) Sam's checklist.
    payload["user"] = {"id": "U0JO"}
    payload["actions"][0]["selected_options"] = []
    await slack.interact(payload)
    await slack.eventually(
        lambda: any("could not be found" in r["text"] for r in slack.fake.responses)
    )
    assert await ticked() == ["electoral_register", "no_face"]


async def test_checkin_command_any_time(slack: SlackWorld) -> None:
    status, _ = await slack.command("U0NIA", "/checkin")
    assert status == 200
    reply = await slack.eventually(lambda: slack.fake.responses, what="check-in")
    assert reply[0]["response_type"] == "ephemeral"
    assert "How are you doing?" in reply[0]["text"]
    assert_valid_message(reply[0])
    async with slack.db.read() as session:
        checkin = (await session.execute(select(WelfareCheckIn))).scalar_one()
    assert checkin.kind == "self" and checkin.incident_id is None


async def test_case_lookup_is_private_and_shows_status(slack: SlackWorld) -> None:
    incident = await report(slack)
    async with slack.db.read() as session:
        from storage.models import Person

        person = await session.get(Person, incident.person_id)
    await slack.command("U0NIA", "/case", person.reference.lower())
    reply = await slack.eventually(lambda: slack.fake.responses, what="case")
    assert reply[0]["response_type"] == "ephemeral"
    assert_valid_message(reply[0])
    text = str(reply[0]["blocks"])
    assert person.reference in text and "Morgan Example" in text
    assert "No restrictions on contact" in text
    assert "hard of hearing" in text  # s5 needs shown so staff can adjust
    await slack.command("U0NIA", "/case", "nobody-like-this")
    await slack.eventually(lambda: len(slack.fake.responses) == 2)
    assert "No one on file matches" in slack.fake.responses[1]["text"] or "No one on file" in str(
        slack.fake.responses[1]["blocks"]
    )


async def test_home_tab_shows_open_items(slack: SlackWorld) -> None:
    await report(slack)
    await slack.event({"type": "app_home_opened", "user": "U0JO", "tab": "home"})
    published = await slack.eventually(lambda: slack.fake.calls_to("views.publish"), what="home")
    assert_valid_view(published[0]["view"])
    assert "reported by Sam Patel" in str(published[0]["view"])
    await slack.event({"type": "app_home_opened", "user": "U0SAM", "tab": "home"})
    published = await slack.eventually(
        lambda: (
            len(slack.fake.calls_to("views.publish")) == 2 and slack.fake.calls_to("views.publish")
        )
    )
    sam_home = str(published[1]["view"])
    assert "waiting for your manager" in sam_home
