"""Every form, button and command, declared once for every transport.

A transport (bot/slack, bot/teams and, through Teams, the local web chat) knows how to
read its platform's payloads and how to show an answer; what each interaction asks,
who may use it, what it does and what it answers is declared here, by the domain package
it belongs to, and each transport dispatches from the same declaration. Adding a flow
means adding its declaration and its templates, not a handler per platform.

An interaction's answer is platform-neutral:
- a `str`: a short message (a button) or the confirmation that replaces a form, shown
  under the form's `done` title;
- a `FormSpec`: a form to fill in next (a modal on Slack, a card on Teams);
- a `Reply`: a card, with optionally a short message and further cards.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from cards.forms import Choice, FormSpec
from cards.ids import ActionId, FormName
from cards.text import UnsafeText, clean_input
from dialogs.context import Ctx
from dialogs.errors import BadRequest, Forbidden
from dialogs.kinds import Template
from storage.models import StaffMember


@dataclass(frozen=True)
class Turn:
    """Who is asking, and the server's context at the moment they asked."""

    ctx: Ctx
    actor: StaffMember


@dataclass(frozen=True)
class Card:
    template: Template
    model: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """A card to show (for a button: in place of the card clicked), a short message, or
    both, and cards to post after it (the support card a welfare answer brings)."""

    card: Card | None = None
    text: str = ""
    more: tuple[Card, ...] = ()


Answer = str | FormSpec | Reply


@dataclass(frozen=True)
class Who:
    """Who may use an interaction: a rule on the actor's roles, and the refusal they read.

    Rules that depend on the record (never your own request, only the card's recipient)
    are checked by the flow against the database, where the record is.
    """

    allows: Callable[[StaffMember], bool]
    refusal: str = ""

    def check(self, actor: StaffMember) -> None:
        if not self.allows(actor):
            raise Forbidden(self.refusal)


ANY_STAFF = Who(lambda actor: True)


@dataclass(frozen=True)
class Click:
    """A button press: the record the button names, and any options ticked with it."""

    value: int
    chosen: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A form by its name (Slack callback_id, Teams verb).

    `spec` rebuilds it from the context it carried, because a card keeps no state (and it
    refuses in the words submitting would); `submit` validates and stores; `done` is the
    title the confirmation is shown under.
    """

    name: FormName
    done: str
    spec: Callable[[Turn, dict[str, Any]], Awaitable[FormSpec]]
    submit: Callable[[Turn, dict[str, Any], dict[str, Any]], Awaitable[Answer]]
    who: Who = ANY_STAFF


@dataclass(frozen=True)
class Button:
    """A button, or a checklist, on a card.

    `key` names the id it carries in a card's data ("" for none). A checklist's options
    are inputs named after `checklist`: "<checklist>__<option>" toggles on a Teams card,
    a "<checklist>:<id>" checkbox block on Slack.
    """

    action: ActionId
    key: str
    run: Callable[[Turn, Click], Awaitable[Answer]]
    who: Who = ANY_STAFF
    checklist: str = ""


@dataclass(frozen=True)
class Command:
    """A command: `/name` on Slack (when `slack`), the word on Teams; help lists them."""

    name: str
    usage: str
    description: str
    run: Callable[[Turn, str], Awaitable[Answer]]
    who: Who = ANY_STAFF
    slack: bool = True
    # A command that stores something (`checkin` starts a check-in) is answered once however
    # often it arrives; one that only reads or opens a form is answered again, and its
    # request needs no look-up before it runs (bot/interactions_once.py).
    writes: bool = False

    async def answer(self, turn: Turn, text: str) -> Answer:
        """Run the command on typed text, cleaned as a form's text is (dialogs/validation.py)."""
        return await self.run(turn, typed(text))


@dataclass(frozen=True)
class Lookup:
    """A type-ahead for a form field (Slack's external select)."""

    field: str
    run: Callable[[Turn, str], Awaitable[list[Choice]]]

    async def answer(self, turn: Turn, text: str) -> list[Choice]:
        """The choices for typed text; text that could not be stored matches nothing."""
        try:
            return await self.run(turn, clean_input(text))
        except UnsafeText:
            return []


def typed(text: str) -> str:
    """A command's typed text as stored text is (cards/text.clean_input), or a refusal."""
    try:
        return clean_input(text)
    except UnsafeText as exc:
        raise BadRequest(str(exc)) from None


Interaction = Form | Button | Command | Lookup


def opens(
    action: ActionId,
    key: str,
    spec: Callable[[Turn, dict[str, Any]], Awaitable[FormSpec]],
    *,
    who: Who = ANY_STAFF,
    as_key: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Button:
    """A button that opens a form: the form's own `spec`, given the record the button names
    (under `as_key` when the form calls it something else) and any `extra` context."""

    async def run(turn: Turn, click: Click) -> FormSpec:
        return await spec(turn, {as_key or key: click.value, **(extra or {})})

    return Button(action, key, run, who)


@dataclass
class Registry:
    forms: dict[str, Form] = field(default_factory=dict)
    buttons: dict[str, Button] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    lookups: dict[str, Lookup] = field(default_factory=dict)

    def add(self, *items: Interaction) -> None:
        for item in items:
            table, key = self._slot(item)
            if key in table:
                raise ValueError(f"{key!r} is declared twice")
            table[key] = on_database(item)  # type: ignore[index]

    def _slot(self, item: Interaction) -> tuple[dict[str, Any], str]:
        if isinstance(item, Form):
            return self.forms, item.name
        if isinstance(item, Button):
            return self.buttons, item.action
        if isinstance(item, Command):
            return self.commands, item.name
        return self.lookups, item.field


Run = TypeVar("Run", bound=Callable[..., Awaitable[Any]])


def _handed_over(run: Run) -> Run:
    @functools.wraps(run)
    async def handed_over(turn: Turn, *args: Any) -> Any:
        return await turn.ctx.db.run(run(turn, *args))

    return handed_over  # type: ignore[return-value]


def on_database(item: Interaction) -> Interaction:
    """The interaction with each entry point run on the database's thread.

    A flow awaits nothing but the database, so run there its reads and its change are
    made without a hand-off each: one hand-off from the server's loop per interaction
    (storage/db.py). Transports and flows are unchanged by it.
    """
    if isinstance(item, Form):
        return replace(item, spec=_handed_over(item.spec), submit=_handed_over(item.submit))
    return replace(item, run=_handed_over(item.run))
