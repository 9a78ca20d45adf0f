"""The incident report form (s3-s6): the same questions on every platform."""

from __future__ import annotations

from typing import Any

from cards.forms import FieldSpec, FormSpec
from cards.ids import FormName
from cards.ids import IncidentField as F
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.context import Ctx

MAX_OTHER = 500
MAX_WHAT = 3000
MAX_IMPACT = 1500
MAX_NEEDS = 1000
MAX_NAME = 200

INCIDENT = f.Head(FormName.INCIDENT, "Report an incident", "Send report")


def incident_form(ctx: Ctx, *, values: dict[str, Any] | None = None) -> FormSpec:
    """The incident form; the same questions on Slack and Teams.

    The blank form is the same for everyone for a minute (its default time is to the
    minute), so it is made once a minute and shared: callers read it, never change it.
    Every report opens and checks it (docs/performance.md).
    """
    minute = int(ctx.now.timestamp()) // 60 * 60
    if values:
        return _incident_form(ctx, minute, values)
    key = (minute, ctx.policy.timezone)
    blank = _BLANK.get(key)
    if blank is None:
        blank = _BLANK[key] = _incident_form(ctx, minute, {})
        while len(_BLANK) > 4:
            _BLANK.pop(next(iter(_BLANK)))
    return blank


_BLANK: dict[tuple[int, str], FormSpec] = {}


def _incident_form(ctx: Ctx, minute: int, values: dict[str, Any]) -> FormSpec:
    questions: list[FieldSpec] = [
        FieldSpec(
            id=F.PERSON,
            label="Member of the public",
            kind="person",
            required=False,
            hint="Search by name or case reference. Leave empty if they are new to us.",
            placeholder="Type a name or SC- reference",
        ),
        f.text(
            F.NEW_PERSON, "…or, if they are new, their name", max_length=MAX_NAME, required=False
        ),
        f.when(F.OCCURRED_AT, "When did it happen?"),
        f.pick(
            F.CHANNEL, "How were they in contact?", cat.CHANNELS, placeholder="Choose a channel"
        ),
        f.grouped(
            F.BEHAVIOURS,
            "What behaviour did you experience?",
            cat.BEHAVIOUR_GROUPS,
            hint="Choose all that apply, from the policy's lists (s3.1, s3.2).",
            placeholder="Choose behaviours",
        ),
        f.textarea(
            F.OTHER_BEHAVIOUR,
            "If you chose an \u201cother\u201d, describe it",
            max_length=MAX_OTHER,
            required=False,
            hint="The policy's lists are examples; say what happened that they do not name.",
        ),
        f.textarea(
            F.WHAT_HAPPENED,
            "What happened?",
            max_length=MAX_WHAT,
            hint="What was said or done, in their words where you can.",
        ),
        f.textarea(F.IMPACT, "How has it affected you?", max_length=MAX_IMPACT, required=False),
        f.pick(
            F.ACTIONS, "What did you do at the time? (s6)", cat.ACTIONS_TAKEN, kind="checkboxes"
        ),
        f.yes_no(
            F.VIOLENCE,
            "Was physical violence used or threatened?",
            hint="If yes, the office always reports it to the police (s6).",
        ),
        f.textarea(
            F.NEEDS,
            "Known additional needs or communication support (s5)",
            max_length=MAX_NEEDS,
            required=False,
            hint="Only what they have told us; don't assess their health yourself.",
        ),
        f.info(
            "s4_intro", "Before deciding what to do, the policy asks us to check ourselves (s4):"
        ),
    ]
    questions += [
        f.pick(f"s4_{q.id}", q.label, cat.SELF_CHECK_ANSWERS, kind="radio") for q in cat.SELF_CHECK
    ]
    return INCIDENT.form(
        ctx,
        questions,
        intro="Your manager will be told and you'll get a check-in from me afterwards.",
        values={F.OCCURRED_AT: minute, **values},
    )
