"""Hostile text through every surface text leaves by (issue 16, items 4 and 5).

A member of staff can type anything into a name or a report: Slack mentions and disguised
links, Teams markdown, HTML, template syntax, terminal escape sequences, right-to-left
overrides and zero-width characters, very long text. These tests walk it through the
flows on Slack and Teams (report, manager card, proposal, authorisation, letter upload,
case summary, type-ahead) and through the CLI and the subject access export, then scan
everything the fakes recorded and everything printed or written.

What must hold (docs/security.md, "Text from users"):
- text with a control character, NUL or a lone surrogate is refused under its field, and
  nothing is stored;
- nothing sent carries a control character, an override or a zero-width space; nothing
  typed becomes a live mention, a link, a formula or evaluated template syntax;
- a right-to-left name is isolated (FSI...PDI) so it cannot reorder the sentence around it;
- text stored before these rules (or written straight into the database) is made safe on
  the way out all the same.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.settings import Settings
from cards.ids import ActionId
from cards.text import FSI, PDI
from storage.db import Database
from storage.models import Authorisation, Incident, Person
from tests.dialog_world import make_world
from tests.e2e.test_slack_actions import report as slack_report
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.e2e.test_slack_strategy import open_proposal, proposal, spoc_value
from tests.integration.test_records_export import run_cli
from tests.records_seed import full_history
from tests.slack_harness import SlackWorld
from tests.teams_harness import BEA, JO, SAM, TeamsWorld, visible
from tests.teams_harness import report as teams_report

RTL = "עמית"  # a Hebrew name: right-to-left
# Accepted at the boundary (what is invisible and only disguises is removed there).
NAME = (
    "Zed <!channel> <@U0BEA> <http://evil.example|Open the case file> "
    "{{ 'Q' * 3 }} {% if 1 %}IFX{% endif %} [Open](http://evil.example) "
    f"<b>bold</b> =HYPERLINK(1) {RTL} \u202eevil\u202c Al\u200bex"
)
TEXT = (
    "Said <!here> and <@U0JO>; see <http://evil.example|the case file>. "
    "**bold** _it_ `code` {{ 'Q' * 3 }} {% for x in [1, 2] %}LOOP{% endfor %} "
    f"<script>alert(1)</script> \u202eright-to-left override {RTL}\u2066 " + "long " * 350
)
AGENCY = f"<!channel> Care <http://evil.example|Open> [x](http://evil.example) {RTL} \u202eevil"
SHARE = {"agency": AGENCY, "sharing_reason": "safeguarding", "consent": "no"}
# Refused at the boundary, each under its field.
REFUSED = {
    "escape": "Shouted \x1b]0;pwned\x07\x1b[2J at the counter.",
    "nul": "Shouted\x00 at the counter.",
    "surrogate": "Shouted \ud800 at the counter.",
    "c1": "Shouted \x9b2J at the counter.",
}

# What nothing we send may carry: controls (other than tab, newline), bidi overrides and
# embeddings, zero-width space, word joiner, BOM.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u200b\u2060\ufeff\ud800-\udfff]")
LIVE_SLACK = ("<!channel>", "<!here>", "<@U0BEA>", "<@U0JO>", "<http://evil.example")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


def assert_safe_everywhere(where: str, value: Any) -> None:
    for s in strings(value):
        assert not UNSAFE.search(s), (where, s[:200])
        assert "QQQ" not in s and "LOOPLOOP" not in s, (where, s[:200])  # never evaluated


def slack_sent(slack: SlackWorld) -> list[tuple[str, dict[str, Any]]]:
    """Every call the bot made to Slack and every response_url answer."""
    return [(c.method, c.params) for c in slack.fake.calls] + [
        ("response_url", r) for r in slack.fake.responses
    ]


def mrkdwn_of(params: dict[str, Any]) -> Iterator[str]:
    """Every string Slack reads as mrkdwn: a message's (or response's) fallback `text`, a
    file's `initial_comment`, and each mrkdwn text object in its blocks or view. A
    plain_text object (headers, buttons, options) and an input's value are never markup."""
    for key in ("text", "initial_comment"):
        if isinstance(params.get(key), str):
            yield params[key]
    yield from _mrkdwn_objects([params.get("blocks"), params.get("view")])


def _mrkdwn_objects(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for v in value.values():
            yield from _mrkdwn_objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from _mrkdwn_objects(v)


def assert_no_live_slack_markup(where: str, params: dict[str, Any]) -> None:
    for s in mrkdwn_of(params):
        for live in LIVE_SLACK:
            assert live not in s, (where, live, s[:300])


async def test_slack_hostile_text_through_report_strategy_letter_and_case(
    slack: SlackWorld,
) -> None:
    incident = await slack_report(slack, new_person_name=NAME, what_happened=TEXT)
    async with slack.db.read() as session:
        person = await session.get(Person, incident.person_id)
        assert person is not None
        reference, stored_name = person.reference, person.name
    # Stored as typed, less what only disguises (override, zero-width space): s5 fairness
    # means the record says what the member of staff wrote.
    assert "<!channel>" in stored_name and "\u202e" not in stored_name
    assert "\u200b" not in stored_name and "Alex" in stored_name
    assert unicodedata.is_normalized("NFC", stored_name)

    view = await open_proposal(slack, "U0JO", incident.id)
    values = proposal(reasons=TEXT[:1500], adjustments=NAME)
    values["spoc"] = spoc_value(view, "Sam Patel")
    values["incidents"] = [str(incident.id)]
    _, ack = await slack.submit("U0JO", view, values)
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    await slack.eventually(
        lambda: slack.fake.calls_to("files.completeUploadExternal"), what="the letter upload"
    )
    await slack.settle()
    # Sharing with an agency whose name is hostile: the card, its confirmation, the notice.
    opened = len(slack.fake.calls_to("views.open"))
    await slack.click("U0SAM", ActionId.REQUEST_SHARING, str(incident.person_id))
    share = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[opened:], what="the sharing form"
    )
    _, ack = await slack.submit("U0SAM", share[0]["view"], {**SHARE, "what": TEXT[:1400]})
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        sharing = (
            await session.execute(select(Authorisation).where(Authorisation.kind == "sharing"))
        ).scalar_one()
    await slack.click("U0BEA", ActionId.APPROVE, str(sharing.id))
    await slack.eventually(
        lambda: [p for p in slack.fake.posts_to("U0SAM") if "was approved" in p["text"]],
        what="the sharing approval",
    )
    await slack.settle()
    await slack.command("U0NIA", "/case", reference)
    await slack.command("U0NIA", "/case", "Zed")
    await slack.options("U0SAM", "person", "Zed")
    await slack.eventually(lambda: len(slack.fake.responses) >= 2, what="the case answers")

    sent = slack_sent(slack)
    for where, params in sent:
        assert_safe_everywhere(where, params)
        assert_no_live_slack_markup(where, params)
    # The scan saw the name, escaped, in each kind of place: blocks, fallback text and the
    # letter's comment (which names the person) outside any block.
    blocks = json.dumps([p.get("blocks") for _, p in sent], ensure_ascii=False)
    assert "&lt;!channel&gt;" in blocks
    assert f"{FSI}Zed &lt;!channel&gt;" in blocks  # right-to-left name, isolated
    (upload,) = [p for m, p in sent if m == "files.getUploadURLExternal"]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", upload["filename"]), upload["filename"]
    (complete,) = [p for m, p in sent if m == "files.completeUploadExternal"]
    assert "&lt;!channel&gt;" in complete["initial_comment"]
    assert "<!channel>" not in complete["initial_comment"]


async def test_slack_refuses_control_characters_under_the_field(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    for kind, text in REFUSED.items():
        _, ack = await slack.submit("U0SAM", view, answers(what_happened=text))
        assert ack["response_action"] == "errors", (kind, ack)
        assert "please retype it" in ack["errors"]["what_happened"], (kind, ack)
        _, ack = await slack.submit("U0SAM", view, answers(new_person_name=f"Morgan{text[7:9]}"))
        assert ack["response_action"] == "errors", (kind, ack)
        assert "new_person_name" in ack["errors"], (kind, ack)
    async with slack.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Incident))).scalar() == 0
    # Typed after a command, the same text is refused in words, and the type-ahead finds
    # no one for it.
    await slack.command("U0NIA", "/case", "Morgan\x1b[2J")
    reply = await slack.eventually(lambda: slack.fake.responses, what="the refusal")
    assert "control character" in reply[-1]["text"]


async def test_slack_typeahead_takes_wildcards_literally(slack: SlackWorld) -> None:
    await slack_report(slack, new_person_name="Morgan Example")
    await slack_report(slack, new_person_name="Robin 100% Real")
    for query, expected in (("%", ["Robin 100% Real"]), ("_", []), ("SC-%", [])):
        status, body = await slack.options("U0SAM", "person", query)
        assert status == 200
        labels = [o["text"]["text"].rsplit(" (", 1)[0] for o in body["options"]]
        assert labels == expected, (query, labels)


async def test_teams_hostile_text_through_report_strategy_and_letter(teams: TeamsWorld) -> None:
    from tests.e2e.test_teams_strategy import (
        answers_for,
        approval_cards,
        approve,
        everyone_opens,
        latest_incident,
    )

    await everyone_opens(teams)
    await teams_report(teams, new_person_name=NAME, what_happened=TEXT)
    await teams.settle()
    card = teams.cards_to(JO, "Incident report")[-1].card
    form = await teams.open_form(JO, card, "Propose contact strategy")
    incident = await latest_incident(teams)
    status, answer = await teams.submit(
        JO, form, answers_for(form, incident.id, reasons=TEXT[:1500], adjustments=NAME)
    )
    assert status == 200, answer
    await teams.settle()
    approval = approval_cards(teams, BEA)[-1].card
    assert (await approve(teams, BEA, approval)).startswith("Approved")
    await teams.settle()
    case = await teams.say(SAM, "case Zed")
    share = await teams.open_form(SAM, case, "Request to share with a partner agency")
    _, answer = await teams.submit(SAM, share, {**SHARE, "what": TEXT[:1400]})
    assert "Don't share anything until it is approved" in visible(answer["value"])
    await teams.settle()
    (sharing,) = teams.cards_to(BEA, "Request to share")
    assert (await approve(teams, BEA, sharing.card)).startswith("Approved")
    await teams.settle()

    everything = [c.body for c in teams.fake.calls]
    assert_safe_everywhere("teams", everything)
    shown = [visible(card) for call in teams.fake.calls for card in call.cards]
    text = json.dumps([c.cards for c in teams.fake.calls], ensure_ascii=False)
    # Markdown typed is shown as text: each special character escaped, so no link.
    assert "](http" not in text and "**bold**" not in text
    assert any("[Open](http://evil.example)" in s for s in shown)
    assert any(f"{FSI}Zed" in s and PDI in s for s in shown)
    letters = [c for c in teams.fake.calls for card in c.cards if "letter" in str(card).lower()]
    assert letters, "the letter reached Jo"


async def test_teams_refuses_control_characters_under_the_field(teams: TeamsWorld) -> None:
    from tests.teams_harness import answers as teams_answers
    from tests.teams_harness import open_incident_form as teams_form

    form = await teams_form(teams)
    for kind, text in REFUSED.items():
        status, answer = await teams.submit(SAM, form, teams_answers(what_happened=text))
        assert status == 200, (kind, answer)
        assert "please retype it" in visible(answer["value"]), (kind, visible(answer["value"]))
    async with teams.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Incident))).scalar() == 0


# -- the CLI and the export: text that never passed the boundary -------------------------

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 7, 14, 10, 0, tzinfo=ZONE)
RAW = f"Zed\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b31m {RTL} =cmd|' /C calc'!A0"


@pytest.fixture
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


async def test_cli_case_show_and_export_print_no_escape_sequences(
    db: Database,
    fresh_db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_ambient_config: None,
) -> None:
    world = await make_world(db)
    seeded = await full_history(world, NOW, name="Zed Placeholder")
    # Written straight into the database: older rows, or another way in.
    async with db.write() as s:
        await s.execute(update(Person).where(Person.id == seeded.person_id).values(name=RAW))
        await s.execute(
            update(Incident).where(Incident.id == seeded.incident_id).values(what_happened=RAW)
        )
    settings = Settings(database_url=fresh_db_url)
    capsys.readouterr()
    for argv in (("case", "show", seeded.reference), ("case", "show", "Zed")):
        assert await run_cli(settings, *argv) == 0
        out, err = capsys.readouterr()
        assert not UNSAFE.search(out + err), argv
        assert "\\x1b]0;pwned\\x07" in out and "\\u202e" in out  # shown, not obeyed
    assert await run_cli(settings, "case", "show", "Nobody\x1b[2J") == 1
    assert not UNSAFE.search("".join(capsys.readouterr()))

    assert await run_cli(settings, "sar", "open", seeded.reference) == 0
    out_dir = tmp_path / "export"
    assert await run_cli(settings, "export-person", seeded.reference, "--out", str(out_dir)) == 0
    assert not UNSAFE.search("".join(capsys.readouterr()))
    raw_json = (out_dir / "data.json").read_text(encoding="utf-8")
    assert not UNSAFE.search(raw_json)
    assert any(RAW in s for s in strings(json.loads(raw_json)))  # the same data, escaped
    page = (out_dir / "index.html").read_text(encoding="utf-8")
    assert not UNSAFE.search(page)
    assert "<bdi>" in page  # the right-to-left name is isolated
