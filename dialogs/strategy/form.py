"""The proposal form (s7): the restrictions, the reasons, and the proposer's working.

Restricting how someone may reach a public office is a serious decision, so the form
makes the proposer show their working: the incidents it rests on, whether a warning
came first (s6), the needs weighed (s5), the five s7 criteria each with a note, a
review date, and a strategy that still leaves the person a route they can use (s7.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import FormName
from cards.ids import StrategyField as F
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.context import Ctx
from dialogs.people import contact_details
from dialogs.strategy import shortcomings, warned
from dialogs.strategy.rules import needs_large_print
from storage.models import ContactStrategy, Incident, Person, StaffMember, Warning

MAX_REASONS = 3000
MAX_NOTE = 500
MAX_ADJUSTMENTS = 1500

# One wording for the person-facing summary on every form that explains a decision in a
# letter (the strategy, a review, a dispute's outcome): it is the only text of ours that
# reaches them, so the internal reasons never do (s7, issue 14).
PUBLIC_SUMMARY_LABEL = "What we will tell them"
PUBLIC_SUMMARY_HINT = (
    "Written to them, in plain English: what we decided and why. It goes in the letter "
    "exactly as written; the reasons above stay in the case file."
)

STRATEGY = f.Head(FormName.STRATEGY, "Propose a strategy", "Send for approval")


@dataclass
class Subject:
    """Who a proposal is about, and what it may rest on."""

    person: Person
    incidents: list[Incident]
    warnings: list[Warning]  # those given (s6): a written one only once its letter is sent
    staff: list[StaffMember]

    @property
    def incident_ids(self) -> set[str]:
        return {str(i.id) for i in self.incidents}

    @property
    def staff_ids(self) -> set[int]:
        return {m.id for m in self.staff}


def _incident_label(ctx: Ctx, incident: Incident) -> str:
    when = incident.occurred_at.astimezone(ctx.zone).strftime("%d %b %Y")
    channel = cat.label(cat.CHANNELS, incident.channel).lower()
    first = (
        cat.behaviour_label(incident.behaviours[0], incident.other_behaviour)
        if incident.behaviours
        else ""
    )
    return f"{when}, {channel}: {first}"[:75]


def _restriction_fields(subject: Subject) -> list[FieldSpec]:
    blockable = [
        *f.choices(cat.CONTACT_METHODS),
        Choice(value="social_media", label="Social media"),
    ]
    return [
        f.pick(
            F.RESTRICTIONS,
            "Restrictions (s7)",
            cat.RESTRICTIONS,
            kind="checkboxes",
            hint="Choose the least restrictive measures that will work; set each one below.",
        ),
        FieldSpec(
            id=F.CALL_MINUTES,
            label="Longest call, in minutes",
            kind="number",
            required=False,
            min_value=1,
            max_value=120,
        ),
        f.pick(F.METHOD, "The one permitted contact method", cat.CONTACT_METHODS, required=False),
        f.text(
            F.DEDICATED_EMAIL,
            "Dedicated email address (auto-divert)",
            max_length=254,
            required=False,
            placeholder="e.g. casework-sc42@office.example",
        ),
        f.pick(F.BLOCKED, "Channels to block", blockable, kind="multiselect", required=False),
        f.text(F.ADVOCATE_NAME, "Advocate's name", max_length=200, required=False),
        f.text(F.ADVOCATE_CONTACT, "Advocate's contact details", max_length=300, required=False),
        f.pick(
            F.SPOC,
            "Single point of contact",
            [Choice(value=f"s:{m.id}", label=m.name[:75]) for m in subject.staff],
            required=False,
        ),
    ]


def _working_fields(ctx: Ctx, subject: Subject) -> list[FieldSpec]:
    needs = subject.person.additional_needs.strip() or "None recorded."
    incidents = [Choice(value=str(i.id), label=_incident_label(ctx, i)) for i in subject.incidents]
    criteria = [Choice(value=c.id, label=cat.CRITERIA_SHORT[c.id]) for c in cat.CRITERIA]
    return [
        f.info("needs_info", f"Recorded needs and adjustments (s5): {needs}"[:2000]),
        f.pick(
            F.UNUSABLE,
            "Given their needs, which methods can they NOT use?",
            cat.CONTACT_METHODS,
            kind="checkboxes",
            required=False,
            hint="The strategy must leave them a method they can use.",
        ),
        f.textarea(
            F.ADJUSTMENTS, "Reasonable adjustments considered (s5)", max_length=MAX_ADJUSTMENTS
        ),
        f.textarea(
            F.REASONS,
            "Reasons for the strategy",
            max_length=MAX_REASONS,
            hint="For the case file and the authoriser. They never appear in the letter.",
        ),
        f.textarea(
            F.PUBLIC_SUMMARY,
            PUBLIC_SUMMARY_LABEL,
            max_length=MAX_REASONS,
            hint=PUBLIC_SUMMARY_HINT,
        ),
        f.pick(F.INCIDENTS, "The incidents it rests on", incidents, kind="multiselect"),
        f.info(
            "shortcomings_info",
            shortcomings.on_file_words(shortcomings.found(subject.incidents, ctx.zone))[:2000],
        ),
        f.textarea(
            F.SHORTCOMINGS,
            shortcomings.QUESTION,
            max_length=MAX_NOTE,
            required=False,
            hint="Needed when a report it rests on answered No: shortcomings come first.",
        ),
        f.info("warnings_info", warned.on_file_words(subject.warnings)[:2000]),
        f.yes_no(F.WARNING_GIVEN, "Were they warned first and given the chance to change? (s6)"),
        f.textarea(
            F.NO_WARNING_REASON,
            "If not, why not?",
            max_length=MAX_NOTE,
            required=False,
            hint="For example, an immediate risk to staff.",
        ),
        f.pick(
            F.CRITERIA,
            "The authoriser must be satisfied that (s7):",
            criteria,
            kind="checkboxes",
            hint="Tick each one, and say why in the notes below.",
        ),
        *[
            f.textarea(f"criterion_{c.id}", f"Note: {c.label}", max_length=MAX_NOTE)
            for c in cat.CRITERIA
        ],
    ]


def _letter_fields() -> list[FieldSpec]:
    return [
        f.day(
            F.REVIEW_DATE,
            "Review date",
            hint="When it may be continued, altered or ended; within 12 months.",
        ),
        f.pick(
            F.LETTER_CHANNEL,
            "Send the letter to them by",
            cat.CONTACT_METHODS[:2],
            hint="Must be a method the strategy leaves open.",
        ),
        f.pick(F.LETTER_FORMAT, "Letter format", cat.LETTER_FORMATS, kind="radio"),
        *contact_details.fields(),
        f.info(
            "routes_info",
            "They can still contact the office about other matters, and the letter says how "
            "(s7.2).",
        ),
    ]


def proposal_spec(
    ctx: Ctx, subject: Subject, context: dict[str, Any], values: dict[str, Any]
) -> FormSpec:
    person = subject.person
    today = ctx.now.astimezone(ctx.zone).date()
    large = needs_large_print(person.additional_needs, person.reasonable_adjustments)
    defaults = {
        F.REVIEW_DATE: (today + timedelta(days=ctx.policy.review_period_days)).isoformat(),
        F.WARNING_GIVEN: "yes" if subject.warnings else "no",
        F.LETTER_CHANNEL: "letter",
        F.LETTER_FORMAT: "large_print" if large else "standard",
        # s5: what their needs rule out, as they told us; the proposer may add to it.
        F.UNUSABLE: list(person.unusable_methods or []),
        **contact_details.values(person),
    }
    return STRATEGY.form(
        ctx,
        [*_restriction_fields(subject), *_working_fields(ctx, subject), *_letter_fields()],
        intro=(
            f"*{person.reference}*: a contact strategy restricts how they may contact us. "
            "Only an authoriser can approve it, and never the person who proposed it (s7)."
        ),
        context=context,
        values={**defaults, **values},
    )


# Each restriction's parameters, as stored on it and as the form's fields name them.
RESTRICTION_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "call_limit": ((F.CALL_MINUTES, "call_minutes"),),
    "single_method": ((F.METHOD, "contact_method"),),
    "dedicated_email": ((F.DEDICATED_EMAIL, "email_address"),),
    "block_channels": ((F.BLOCKED, "blocked_channels"),),
    "advocate_only": ((F.ADVOCATE_NAME, "advocate_name"), (F.ADVOCATE_CONTACT, "advocate_contact")),
    "spoc": ((F.SPOC, "spoc_staff_id"),),
}


def values_from(s: ContactStrategy) -> dict[str, Any]:
    """The form's answers for a strategy: to revise a proposal, or to alter one in force."""
    values: dict[str, Any] = {
        F.RESTRICTIONS: [r.kind for r in s.restrictions],
        F.REASONS: s.reasons,
        F.PUBLIC_SUMMARY: s.public_summary or "",
        F.INCIDENTS: [str(i) for i in s.incident_ids],
        F.WARNING_GIVEN: "yes" if s.warning_given else "no",
        F.NO_WARNING_REASON: s.no_warning_reason,
        F.SHORTCOMINGS: s.shortcomings_addressed or "",
        F.ADJUSTMENTS: s.adjustments_considered,
        F.CRITERIA: list(s.criteria),
        F.REVIEW_DATE: s.review_date.isoformat(),
        F.LETTER_CHANNEL: s.letter_channel,
        F.LETTER_FORMAT: "large_print" if s.large_print else "standard",
        F.UNUSABLE: list(s.unusable_methods),
        **{f"criterion_{k}": v for k, v in s.criteria.items()},
    }
    for r in s.restrictions:
        for field, attr in RESTRICTION_FIELDS[r.kind]:
            value = getattr(r, attr)
            values[field] = f"s:{value}" if field == F.SPOC else value
    return values
