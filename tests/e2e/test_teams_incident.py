"""The first path a member of staff walks on Teams: `incident` to a stored report.

The Teams twin of test_slack_incident.py, assertion for assertion: driven through the
real CloudAdapter over HTTP as the Emulator does, the fake Bot Connector records what the
bot sent, and every card is validated against the Adaptive Card 1.5 schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cards.ids import ActionId, FormName
from storage.models import (
    AuditEvent,
    Incident,
    OutboxMessage,
    Person,
    ScheduledJob,
    TeamsConversationRef,
    WelfareCheckIn,
)
from tests.teams_harness import (
    ADA,
    ALEX,
    BEA,
    JO,
    NIA,
    SAM,
    STRANGER,
    TeamsWorld,
    _read,
    answers,
    assert_valid_card,
    buttons,
    conversation,
    inputs,
    open_incident_form,
    report,
    visible,
)


async def count(teams: TeamsWorld, model: Any) -> int:
    async with teams.db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_incident_full_path(teams: TeamsWorld) -> None:
    await teams.say(JO, "hello")  # the manager has opened the bot, so Teams lets it write first
    form = await open_incident_form(teams)
    assert buttons(form)[0]["verb"] == FormName.INCIDENT
    labels = [i.get("label") for i in inputs(form)]
    assert "How were they in contact?" in labels
    assert "What behaviour did you experience?" in visible(form)
    groups = [i["label"] for i in inputs(form) if i["id"].startswith("behaviours__")]
    assert groups == [
        "Unacceptable behaviour (s3.1)",
        "Unreasonable persistence (s3.2)",
        "Unreasonable demands or obstructive behaviour (s3.2)",
    ]
    what = next(i for i in inputs(form) if i["id"] == "what_happened")
    assert what["isRequired"] is True and what["maxLength"] == 3000 and what["errorMessage"]
    kinds = {i["type"] for i in inputs(form)}
    assert {"Input.Text", "Input.ChoiceSet", "Input.Date", "Input.Time"} <= kinds

    status, answer = await teams.submit(SAM, form, answers())
    assert status == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    confirmation = answer["value"]
    assert_valid_card(confirmation)
    assert "SC-" in visible(confirmation)

    # Stored in one transaction: the person, the incident, its audit event, the follow-up.
    async with teams.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
        assert person.name == "Morgan Example"
        assert person.reference.startswith("SC-")
        assert "hard of hearing" in person.additional_needs  # s5
        assert incident.behaviours == ["abuse", "demand_updates"]
        assert incident.self_check["communicated"] == "no"
        assert abs(incident.occurred_at.timestamp() - answers()["occurred_at"]) < 120
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
        assert "incident.reported" in actions
        # The monthly records jobs (retention, oversight report) exist from the start.
        monthly = ("retention_purge", "oversight_report")
        job = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.kind.not_in(monthly)))
        ).scalar_one()
        assert job.kind == "welfare_followup"
        delay = job.due_at - incident.created_at
        assert delay.total_seconds() == 24 * 3600  # Appendix A follow-up, default 24 h

    await teams.settle()
    # 1. The reporter's receipt names the case reference, sent proactively.
    sam_sends = teams.fake.sends_to(conversation(SAM))
    receipt = next(c.card for c in sam_sends if "saved as" in c.card["fallbackText"])
    assert person.reference in receipt["fallbackText"]
    assert person.reference in visible(receipt)
    # 2. The manager's card, in Jo's chat only, through continue_conversation.
    jo_sends = teams.fake.sends_to(conversation(JO))
    assert len(jo_sends) == 1
    card = jo_sends[0].card
    assert jo_sends[0].body["from"]["id"] == "28:safecontact-bot"
    text = visible(card)
    assert person.reference in text
    assert "Abuse, derogatory, discriminatory or defamatory remarks" in text
    assert "No - address this first" in text and "communicated regularly" in text
    assert "Police report required" not in text
    assert [b["verb"] for b in buttons(card)] == [
        ActionId.ACKNOWLEDGE,
        ActionId.RECORD_WARNING,
        ActionId.RECORD_POLICE,
        ActionId.PROPOSE_FROM_INCIDENT,
        ActionId.RECORD_NEEDS,  # s5: a new person has not been asked about their needs
    ]
    assert {b["data"]["incident_id"] for b in buttons(card)[:-1]} == {incident.id}
    assert buttons(card)[-1]["data"] == {"person_id": incident.person_id}
    # 3. The welfare check-in, with its three answers.
    checkin = next(c.card for c in sam_sends if "How are you" in c.card["fallbackText"])
    assert [b["title"] for b in buttons(checkin)] == [
        "I'm OK",
        "I'd like to talk to my manager",
        "Show me support",
    ]
    # Nobody else heard of it: personal data only to those who need it.
    others = {c.conversation_id for c in teams.fake.made("send")}
    assert others == {conversation(SAM), conversation(JO)}
    # The outbox keeps where each card went, so it can be updated in place later.
    async with teams.db.read() as session:
        sent = (await session.execute(select(OutboxMessage))).scalars().all()
    assert {m.platform for m in sent} == {"teams"}
    card_row = next(m for m in sent if m.template == "incident_card")
    assert card_row.platform_ref == {
        "conversation_id": conversation(JO),
        "activity_id": jo_sends[0].activity_id,
        "service_url": teams.fake.url,
    }


async def test_violence_marks_police_report_required(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    await report(teams, violence="yes")
    await teams.settle()
    card = teams.fake.sends_to(conversation(JO))[0].card
    assert "Police report required" in card["fallbackText"]
    assert "always reports this to the police (s6)" in visible(card)
    police = next(b for b in buttons(card) if b["verb"] == ActionId.RECORD_POLICE)
    assert police["style"] == "destructive"
    receipt = next(
        c.card
        for c in teams.fake.sends_to(conversation(SAM))
        if "saved as" in c.card["fallbackText"]
    )
    assert "report this to the police" in visible(receipt)


async def test_no_manager_sends_card_to_authorisers(teams: TeamsWorld) -> None:
    for user in (ALEX, BEA, JO):
        await teams.say(user, "help")
    await report(teams, NIA)
    await teams.settle()
    for authoriser in (ALEX, BEA):
        cards = teams.fake.sends_to(conversation(authoriser))
        assert len(cards) == 1
        assert "no manager in the staff directory" in visible(cards[0].card)
    assert teams.fake.sends_to(conversation(JO)) == []


async def test_existing_person_found_by_reference_or_exact_name(teams: TeamsWorld) -> None:
    """No typeahead in Adaptive Cards 1.5: the person is typed as a reference or a name."""
    await report(teams)
    async with teams.db.read() as session:
        person = (await session.execute(select(Person))).scalar_one()

    await report(
        teams,
        new_person_name=None,
        person=person.reference.lower(),
        channel="email",
        actions_taken=["warned"],
    )
    await report(
        teams,
        new_person_name=None,
        person="  morgan   EXAMPLE ",
        channel="letter",
        actions_taken=["warned"],
    )
    assert await count(teams, Person) == 1
    async with teams.db.read() as session:
        incidents = (await session.execute(select(Incident))).scalars().all()
    assert [i.person_id for i in incidents] == [person.id] * 3

    form = await open_incident_form(teams)
    _status, answer = await teams.submit(SAM, form, answers(new_person_name=None, person="Morg"))
    again = answer["value"]
    assert "No one on file is called exactly Morg" in visible(again)
    assert f"Morgan Example ({person.reference})" in visible(again)  # a suggestion
    typed = next(i for i in inputs(again) if i["id"] == "person")
    assert typed["value"] == "Morg"  # what they typed is kept
    _status, answer = await teams.submit(
        SAM, form, answers(new_person_name=None, person="SC-2020-99999")
    )
    assert "No one on file has the reference SC-2020-99999" in visible(answer["value"])
    assert await count(teams, Incident) == 3


async def test_not_in_directory_gets_polite_message_and_nothing_stored(
    teams: TeamsWorld,
) -> None:
    status, _ = await teams.install(STRANGER)
    assert status in (200, 201)
    greeting = teams.fake.seen(conversation(STRANGER))[-1]
    assert "not in safecontact's staff directory" in visible(greeting)
    for text in ("incident", "/case anything", "checkin", "help", "hello"):
        card = await teams.say(STRANGER, text)
        assert "not in safecontact's staff directory" in visible(card)
        assert "Ada Admin" in visible(card)  # names who to ask
    # A form forwarded from someone else's chat is refused too.
    _status, answer = await teams.submit(STRANGER, await open_incident_form(teams), answers())
    assert "not in safecontact's staff directory" in visible(answer["value"])
    for model in (Incident, Person, WelfareCheckIn, OutboxMessage):
        assert await count(teams, model) == 0
    async with teams.db.read() as session:
        stored = (await session.execute(select(TeamsConversationRef.teams_user_id))).scalars()
        assert list(stored) == [SAM]  # only the member of staff who opened the form


async def test_commands_in_any_case_with_or_without_a_slash(teams: TeamsWorld) -> None:
    for text in ("incident", "INCIDENT", "/Incident", "  /incident  "):
        card = await teams.say(SAM, text)
        assert card["fallbackText"] == "Report an incident", text
    for text in ("checkin", "/CheckIn"):
        card = await teams.say(SAM, text)
        assert next(b["title"] for b in buttons(card)) == "I'm OK"
    await report(teams)
    async with teams.db.read() as session:
        ref = (await session.execute(select(Person.reference))).scalar_one()
    card = await teams.say(SAM, f"Case {ref.lower()}")
    assert f"{ref}: Morgan Example" in visible(card)
    assert "No restrictions on contact" in visible(card)
    card = await teams.say(SAM, "/case nobody-like-this")
    assert "No one on file matches nobody-like-this" in visible(card)
    # Anything else, and `help`, get the help card listing only commands that work.
    for text in ("help", "/HELP", "what can you do?", "review", "dispute"):
        card = await teams.say(SAM, text)
        # One line a command, "**word**: what it does", never a FactSet whose narrow
        # column broke the words mid-word (issue 12 item 6).
        assert not [e for e in card["body"] if e["type"] == "FactSet"]
        bold = [e["text"] for e in card["body"] if e["text"].startswith("**")]
        facts = [_read(t.split("**")[1]) for t in bold]
        assert facts == [
            "incident",
            "case <reference or name>",
            "strategy <reference or name>",
            "breach <reference or name>",
            "waiting",
            "checkin",
            "help",
        ], text
    # `strategy` and `breach` need someone to be about, and say so; someone who may not
    # propose a strategy is told that first, rather than asked for a reference in vain.
    card = await teams.say(JO, "/Strategy")
    assert "Tell me who it is about: `/strategy SC-2026-00042`." in visible(card)
    card = await teams.say(SAM, "/Strategy")
    assert "Only a manager or an authoriser can propose" in visible(card)
    card = await teams.say(SAM, "BREACH")
    assert "Tell me who it is about: `/breach SC-2026-00042`." in visible(card)
    unknown = await teams.say(SAM, "<at>safecontact</at> **what** can you do?")
    assert "I didn't recognise **what** can you do?" in visible(unknown)


async def test_install_stores_the_reference_and_greets(teams: TeamsWorld) -> None:
    status, _ = await teams.install(ADA)
    assert status in (200, 201)
    greeting = teams.fake.seen(conversation(ADA))[-1]
    assert "What I can do" in visible(greeting)
    async with teams.db.read() as session:
        ref = (await session.execute(select(TeamsConversationRef))).scalar_one()
    assert ref.teams_user_id == ADA
    assert ref.conversation_id == conversation(ADA)
    assert ref.service_url == teams.fake.url
    assert ref.tenant_id == "tenant-0001"

    # Removing the app forgets the route.
    body = teams.activity(ADA, "installationUpdate", action="remove")
    status, _ = await teams.post(body)
    assert status in (200, 201)
    assert await count(teams, TeamsConversationRef) == 0
