"""The registry every transport dispatches from: complete, and each entry once."""

from __future__ import annotations

import pytest

from cards.ids import ActionId, FormName
from cards.render import has_template
from dialogs.interactions import Button, Registry
from dialogs.jobs.payloads import PAYLOADS
from dialogs.jobs.run import handlers
from dialogs.kinds import Template
from dialogs.registry import registry


def test_every_form_and_button_is_declared_once() -> None:
    reg = registry()
    assert set(reg.forms) == set(FormName)
    assert set(reg.buttons) == set(ActionId)


def test_a_second_declaration_is_refused() -> None:
    async def run(turn: object, click: object) -> str:
        return ""

    reg = Registry()
    reg.add(Button(ActionId.ACKNOWLEDGE, "incident_id", run))
    with pytest.raises(ValueError, match="declared twice"):
        reg.add(Button(ActionId.ACKNOWLEDGE, "incident_id", run))


def test_every_job_kind_has_a_handler() -> None:
    assert set(handlers()) == set(PAYLOADS)


# Where a template is not a card on both platforms: `help` answers Teams messages (Slack
# has slash commands and the App Home); Slack uploads files as files, and Teams shows a
# letter as a card and the report's chart inline (bot/teams/sender.py).
SHOWN_ON = {
    Template.HELP: ("teams",),
    Template.LETTER_FILE: ("teams",),
    Template.REPORT_FILE: (),
}


@pytest.mark.parametrize("template", list(Template))
def test_every_template_exists_where_it_is_shown(template: Template) -> None:
    for platform in SHOWN_ON.get(template, ("slack", "teams")):
        assert has_template(platform, template), f"{platform}/{template}"


def test_only_commands_that_store_something_are_answered_once() -> None:
    """A tripwire: a new command that writes must say so (`writes=True`), or a replay of
    it within Slack's five minutes would store it twice (bot/interactions_once.py)."""
    writing = {c.name for c in registry().commands.values() if c.writes}
    assert writing == {"checkin"}
