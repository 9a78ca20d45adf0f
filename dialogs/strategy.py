"""Proposing a contact strategy (s7): the form, its rules, and the request to authorise it.

Restricting how someone may reach a public office is a serious decision, so the form
makes the proposer show their working: the incidents it rests on, whether a warning
came first (s6), the needs weighed (s5), the five s7 criteria each with a note, a
review date, and a strategy that still leaves the person a route they can use (s7.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import FormName
from cards.ids import StrategyField as F
from dialogs import authorisation_request
from dialogs import catalogue as cat
from dialogs.context import Ctx
from dialogs.errors import BadRequest, DomainError, FieldErrors, Forbidden, NotFound
from dialogs.policy_map import carries
from dialogs.validation import check
from storage import audit
from storage import staff as staff_repo
from storage.models import (
    ContactStrategy,
    Incident,
    Person,
    Restriction,
    StaffMember,
    Warning,
)

MAX_REASONS = 3000
MAX_NOTE = 500
MAX_ADJUSTMENTS = 1500
PROPOSER_ROLES = ("manager", "authoriser")
ROUTES = tuple(m.id for m in cat.CONTACT_METHODS)


def _choices(items: tuple[cat.Item, ...]) -> list[Choice]:
    return [Choice(value=i.id, label=i.label) for i in items]


def may_propose(actor: StaffMember) -> bool:
    return any(actor.has_role(r) for r in PROPOSER_ROLES)


def _check_may_propose(actor: StaffMember) -> None:
    if not may_propose(actor):
        raise Forbidden(
            "Only a manager or an authoriser can propose a contact strategy. "
            "Talk to your manager: they can propose one from the incident card."
        )


def one_year_on(today: date) -> date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def open_routes(kinds: list[str], method: str | None, blocked: list[str]) -> set[str]:
    """The contact methods a strategy leaves open (s7.2: never none)."""
    routes = set(ROUTES)
    if "block_channels" in kinds:
        routes -= set(blocked)
    if "single_method" in kinds and method:
        routes &= {method}
    return routes


@dataclass
class _Subject:
    person: Person
    incidents: list[Incident]
    warnings: list[Warning]
    staff: list[StaffMember]


async def _subject(session: AsyncSession, person_id: Any) -> _Subject:
    person = await session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None or person.anonymised_at is not None:
        raise NotFound("That person could not be found.")
    incidents = list(
        (
            await session.execute(
                select(Incident)
                .where(Incident.person_id == person.id)
                .order_by(Incident.occurred_at.desc())
            )
        ).scalars()
    )
    warnings = list(
        (
            await session.execute(
                select(Warning).where(Warning.person_id == person.id).order_by(Warning.given_on)
            )
        ).scalars()
    )
    staff = await staff_repo.list_staff(session)
    return _Subject(person, incidents, warnings, staff)


def _incident_label(ctx: Ctx, incident: Incident) -> str:
    when = incident.occurred_at.astimezone(ctx.zone).strftime("%d %b %Y")
    channel = cat.label(cat.CHANNELS, incident.channel).lower()
    first = cat.BEHAVIOURS[incident.behaviours[0]][1].label if incident.behaviours else ""
    return f"{when}, {channel}: {first}"[:75]


def _spec(ctx: Ctx, subject: _Subject, context: dict[str, Any], values: dict[str, Any]) -> FormSpec:
    person = subject.person
    needs = person.additional_needs.strip() or "None recorded."
    fields = [
        FieldSpec(
            id=F.RESTRICTIONS,
            label="Restrictions (s7)",
            kind="checkboxes",
            options=_choices(cat.RESTRICTIONS),
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
        FieldSpec(
            id=F.METHOD,
            label="The one permitted contact method",
            kind="select",
            required=False,
            options=_choices(cat.CONTACT_METHODS),
        ),
        FieldSpec(
            id=F.DEDICATED_EMAIL,
            label="Dedicated email address (auto-divert)",
            kind="text",
            required=False,
            max_length=254,
            placeholder="e.g. casework-sc42@office.example",
        ),
        FieldSpec(
            id=F.BLOCKED,
            label="Channels to block",
            kind="multiselect",
            required=False,
            options=[
                *_choices(cat.CONTACT_METHODS),
                Choice(value="social_media", label="Social media"),
            ],
        ),
        FieldSpec(
            id=F.ADVOCATE_NAME,
            label="Advocate's name",
            kind="text",
            required=False,
            max_length=200,
        ),
        FieldSpec(
            id=F.ADVOCATE_CONTACT,
            label="Advocate's contact details",
            kind="text",
            required=False,
            max_length=300,
        ),
        FieldSpec(
            id=F.SPOC,
            label="Single point of contact",
            kind="select",
            required=False,
            options=[Choice(value=f"s:{m.id}", label=m.name[:75]) for m in subject.staff],
        ),
        FieldSpec(
            id="needs_info",
            label=f"Recorded needs and adjustments (s5): {needs}"[:2000],
            kind="info",
            required=False,
        ),
        FieldSpec(
            id=F.UNUSABLE,
            label="Given their needs, which methods can they NOT use?",
            kind="checkboxes",
            required=False,
            options=_choices(cat.CONTACT_METHODS),
            hint="The strategy must leave them a method they can use.",
        ),
        FieldSpec(
            id=F.ADJUSTMENTS,
            label="Reasonable adjustments considered (s5)",
            kind="textarea",
            max_length=MAX_ADJUSTMENTS,
        ),
        FieldSpec(
            id=F.REASONS,
            label="Reasons for the strategy",
            kind="textarea",
            max_length=MAX_REASONS,
            hint="These go in the case file and, in plain words, in the letter to them (s7).",
        ),
        FieldSpec(
            id=F.INCIDENTS,
            label="The incidents it rests on",
            kind="multiselect",
            options=[
                Choice(value=str(i.id), label=_incident_label(ctx, i)) for i in subject.incidents
            ],
        ),
        FieldSpec(
            id=F.WARNING_GIVEN,
            label="Were they warned first and given the chance to change? (s6)",
            kind="radio",
            options=_choices(cat.YES_NO),
        ),
        FieldSpec(
            id=F.NO_WARNING_REASON,
            label="If not, why not?",
            kind="textarea",
            required=False,
            max_length=MAX_NOTE,
            hint="For example, an immediate risk to staff.",
        ),
        FieldSpec(
            id=F.CRITERIA,
            label="The authoriser must be satisfied that (s7):",
            kind="checkboxes",
            options=[Choice(value=c.id, label=cat.CRITERIA_SHORT[c.id]) for c in cat.CRITERIA],
            hint="Tick each one, and say why in the notes below.",
        ),
    ]
    fields += [
        FieldSpec(
            id=f"criterion_{c.id}",
            label=f"Note: {c.label}",
            kind="textarea",
            max_length=MAX_NOTE,
        )
        for c in cat.CRITERIA
    ]
    fields += [
        FieldSpec(
            id=F.REVIEW_DATE,
            label="Review date",
            kind="date",
            hint="When it may be continued, altered or ended; within 12 months.",
        ),
        FieldSpec(
            id=F.LETTER_CHANNEL,
            label="Send the letter to them by",
            kind="select",
            options=_choices(cat.CONTACT_METHODS[:2]),
            hint="Must be a method the strategy leaves open.",
        ),
        FieldSpec(
            id=F.LETTER_FORMAT,
            label="Letter format",
            kind="radio",
            options=_choices(cat.LETTER_FORMATS),
        ),
        FieldSpec(
            id="routes_info",
            label=(
                "They can still contact the office about other matters, and the letter "
                "says how (s7.2)."
            ),
            kind="info",
            required=False,
        ),
    ]
    today = ctx.now.astimezone(ctx.zone).date()
    defaults = {
        F.REVIEW_DATE: (today + timedelta(days=ctx.policy.review_period_days)).isoformat(),
        F.WARNING_GIVEN: "yes" if subject.warnings else "no",
        F.LETTER_CHANNEL: "letter",
        F.LETTER_FORMAT: "large_print" if _needs_large_print(person) else "standard",
    }
    return FormSpec(
        name=FormName.STRATEGY,
        title="Propose a strategy",
        submit="Send for approval",
        intro=(
            f"*{person.reference}*: a contact strategy restricts how they may contact us. "
            "Only an authoriser can approve it, and never the person who proposed it (s7)."
        ),
        fields=fields,
        context=context,
        values={**defaults, **values},
        timezone=ctx.policy.timezone,
    )


def _needs_large_print(person: Person) -> bool:
    text = f"{person.additional_needs} {person.reasonable_adjustments}".lower()
    return any(k in text for k in ("large print", "sight", "visual", "blind"))


async def proposal_form(
    ctx: Ctx,
    *,
    actor: StaffMember,
    person_id: Any = None,
    incident_id: Any = None,
    revise_strategy_id: Any = None,
) -> FormSpec:
    """The proposal form, for a person, from an incident, or to revise a returned proposal."""
    _check_may_propose(actor)
    async with ctx.db.read() as session:
        values: dict[str, Any] = {}
        context: dict[str, Any] = {}
        if revise_strategy_id is not None:
            old = await _revisable(session, actor, revise_strategy_id)
            person_id = old.person_id
            values = _values_from(old)
            context["revision_of"] = old.id
        elif incident_id is not None:
            incident = (
                await session.get(Incident, incident_id) if isinstance(incident_id, int) else None
            )
            if incident is None:
                raise NotFound("That incident could not be found.")
            person_id = incident.person_id
            values[F.INCIDENTS] = [str(incident.id)]
        subject = await _subject(session, person_id)
        if revise_strategy_id is None and await _in_force(session, subject.person.id):
            raise DomainError(
                f"A contact strategy is already in force for {subject.person.reference}. "
                "To change it, start a review (/case, then Start review) and choose Alter."
            )
        if not subject.incidents:
            raise DomainError(
                f"{subject.person.reference} has no recorded incidents. A strategy must rest "
                "on recorded behaviour: report the incident first with /incident."
            )
        context["person_id"] = subject.person.id
        return _spec(ctx, subject, context, values)


async def _in_force(session: AsyncSession, person_id: int) -> bool:
    found = await session.execute(
        select(ContactStrategy.id).where(
            ContactStrategy.person_id == person_id, ContactStrategy.status == "active"
        )
    )
    return found.first() is not None


def _values_from(s: ContactStrategy) -> dict[str, Any]:
    values: dict[str, Any] = {
        F.RESTRICTIONS: [r.kind for r in s.restrictions],
        F.REASONS: s.reasons,
        F.INCIDENTS: [str(i) for i in s.incident_ids],
        F.WARNING_GIVEN: "yes" if s.warning_given else "no",
        F.NO_WARNING_REASON: s.no_warning_reason,
        F.ADJUSTMENTS: s.adjustments_considered,
        F.CRITERIA: list(s.criteria),
        F.REVIEW_DATE: s.review_date.isoformat(),
        F.LETTER_CHANNEL: s.letter_channel,
        F.LETTER_FORMAT: "large_print" if s.large_print else "standard",
        F.UNUSABLE: list(s.unusable_methods),
        **{f"criterion_{k}": v for k, v in s.criteria.items()},
    }
    for r in s.restrictions:
        if r.kind == "call_limit":
            values[F.CALL_MINUTES] = r.call_minutes
        elif r.kind == "single_method":
            values[F.METHOD] = r.contact_method
        elif r.kind == "dedicated_email":
            values[F.DEDICATED_EMAIL] = r.email_address
        elif r.kind == "block_channels":
            values[F.BLOCKED] = list(r.blocked_channels)
        elif r.kind == "advocate_only":
            values[F.ADVOCATE_NAME] = r.advocate_name
            values[F.ADVOCATE_CONTACT] = r.advocate_contact
        elif r.kind == "spoc":
            values[F.SPOC] = f"s:{r.spoc_staff_id}"
    return values


async def _revisable(
    session: AsyncSession, actor: StaffMember, strategy_id: Any
) -> ContactStrategy:
    old = await session.get(ContactStrategy, strategy_id) if isinstance(strategy_id, int) else None
    if old is None or old.proposer_id != actor.id:
        raise NotFound("That proposal could not be found among yours.")
    if old.status != "draft":
        raise DomainError("That proposal is not waiting for changes, so it cannot be edited now.")
    newer = (
        await session.execute(
            select(ContactStrategy.id).where(ContactStrategy.revision_of_id == old.id)
        )
    ).first()
    if newer is not None:
        raise DomainError("You have already resubmitted that proposal.")
    return old


def _rule_errors(ctx: Ctx, v: dict[str, Any], subject: _Subject) -> dict[str, str]:
    errors: dict[str, str] = {}
    kinds: list[str] = v.get(F.RESTRICTIONS) or []
    if F.RESTRICTIONS in v and not kinds:
        errors[F.RESTRICTIONS] = "Choose at least one restriction."
    required = {
        "call_limit": (F.CALL_MINUTES, "Say how long a call may last."),
        "single_method": (F.METHOD, "Choose the one method they may use."),
        "dedicated_email": (F.DEDICATED_EMAIL, "Give the dedicated email address."),
        "block_channels": (F.BLOCKED, "Choose what to block."),
        "advocate_only": (F.ADVOCATE_NAME, "Give the advocate's name."),
        "spoc": (F.SPOC, "Choose the single point of contact."),
    }
    for kind in kinds:
        field, message = required[kind]
        if field in v and not v[field]:
            errors[field] = message
    if "advocate_only" in kinds and F.ADVOCATE_CONTACT in v and not v[F.ADVOCATE_CONTACT]:
        errors[F.ADVOCATE_CONTACT] = "Give the advocate's contact details."
    email = v.get(F.DEDICATED_EMAIL)
    if "dedicated_email" in kinds and email and ("@" not in email or " " in email):
        errors[F.DEDICATED_EMAIL] = "That is not an email address."
    if (
        "single_method" in kinds
        and "block_channels" in kinds
        and v.get(F.METHOD) in (v.get(F.BLOCKED) or [])
    ):
        errors[F.BLOCKED] = "You blocked the one method you allowed."
    if F.RESTRICTIONS in v and not errors:
        routes = open_routes(kinds, v.get(F.METHOD), v.get(F.BLOCKED) or [])
        usable = routes - set(v.get(F.UNUSABLE) or [])
        if not routes:
            errors[F.RESTRICTIONS] = (
                "This would close every route to the office. They must still be able to "
                "contact us about other matters (s7.2)."
            )
        elif not usable and "advocate_only" not in kinds:
            errors[F.RESTRICTIONS] = (
                "Given the needs recorded for them, this leaves no method they can use. "
                "Leave a method they can use open, or require an advocate (s5)."
            )
        channel = v.get(F.LETTER_CHANNEL)
        if channel and channel not in routes:
            errors[F.LETTER_CHANNEL] = (
                f"The strategy closes {cat.label(cat.CONTACT_METHODS, channel).lower()}; "
                "send the letter by a method it leaves open."
            )
    if v.get(F.WARNING_GIVEN) == "no" and F.NO_WARNING_REASON in v and not v[F.NO_WARNING_REASON]:
        errors[F.NO_WARNING_REASON] = (
            "Say why no warning was given first (s6: wherever possible they should have the "
            "chance to change)."
        )
    if F.CRITERIA in v and set(v[F.CRITERIA]) != {c.id for c in cat.CRITERIA}:
        errors[F.CRITERIA] = "All five must be satisfied before contact can be restricted (s7)."
    allowed = {str(i.id) for i in subject.incidents}
    if F.INCIDENTS in v and not set(v[F.INCIDENTS]) <= allowed:
        errors[F.INCIDENTS] = "Choose from this person's incidents."
    review = v.get(F.REVIEW_DATE)
    today = ctx.now.astimezone(ctx.zone).date()
    if review is not None:
        if review <= today:
            errors[F.REVIEW_DATE] = "The review date must be in the future."
        elif review > one_year_on(today):
            errors[F.REVIEW_DATE] = "Review it within 12 months."
    spoc = v.get(F.SPOC)
    if spoc and not any(f"s:{m.id}" == spoc for m in subject.staff):
        errors[F.SPOC] = "Choose someone from the staff directory."
    return errors


@dataclass(frozen=True)
class Proposed:
    reference: str
    authorisation_id: int
    authorisers: list[str]


async def submit_proposal(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> Proposed:
    _check_may_propose(actor)
    async with ctx.db.write() as session:
        subject = await _subject(session, context.get("person_id"))
        revision_of = context.get("revision_of")
        old = await _revisable(session, actor, revision_of) if revision_of is not None else None
        if old is not None and old.person_id != subject.person.id:
            raise BadRequest("This form's details do not match the proposal it revises.")
        if (old is None or old.supersedes_id is None) and await _in_force(
            session, subject.person.id
        ):
            raise DomainError(
                f"A contact strategy is already in force for {subject.person.reference}. "
                "To change it, start a review and choose Alter."
            )
        values, errors = check(_spec(ctx, subject, context, {}), submitted)
        errors = {**_rule_errors(ctx, values, subject), **errors}
        if errors:
            raise FieldErrors(errors)
        authorisers = await authorisation_request.deciders(session, requester=actor)
        strategy = _strategy_from(ctx, actor, subject, values, revision_of)
        if old is not None:
            # A sent-back change (s7 review, "alter") still replaces the strategy in force.
            strategy.supersedes_id = old.supersedes_id
        session.add(strategy)
        await session.flush()
        authorisation = await authorisation_request.ask(
            session,
            ctx,
            kind="change" if strategy.supersedes_id else "strategy",
            requester=actor,
            authorisers=authorisers,
            strategy_id=strategy.id,
        )
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="strategy.proposed",
            entity_type="contact_strategy",
            entity_id=strategy.id,
            detail={
                "case": subject.person.reference,
                "authorisation": authorisation.id,
                "restrictions": [r.kind for r in strategy.restrictions],
                "revision_of": revision_of,
            },
            at=ctx.now,
        )
        proposed = Proposed(
            subject.person.reference, authorisation.id, [a.name for a in authorisers]
        )
    ctx.wake_outbox()
    return proposed


def _strategy_from(
    ctx: Ctx, actor: StaffMember, subject: _Subject, v: dict[str, Any], revision_of: int | None
) -> ContactStrategy:
    kinds: list[str] = v[F.RESTRICTIONS]
    restrictions = []
    for kind in kinds:
        r = Restriction(kind=kind, blocked_channels=[])
        if kind == "call_limit":
            r.call_minutes = v[F.CALL_MINUTES]
        elif kind == "single_method":
            r.contact_method = v[F.METHOD]
        elif kind == "dedicated_email":
            r.email_address = v[F.DEDICATED_EMAIL]
        elif kind == "block_channels":
            r.blocked_channels = v[F.BLOCKED]
        elif kind == "advocate_only":
            r.advocate_name = v[F.ADVOCATE_NAME]
            r.advocate_contact = v[F.ADVOCATE_CONTACT]
        elif kind == "spoc":
            r.spoc_staff_id = int(v[F.SPOC][2:])
        restrictions.append(r)
    return ContactStrategy(
        person_id=subject.person.id,
        proposer_id=actor.id,
        status="pending",
        reasons=v[F.REASONS],
        incident_ids=[int(i) for i in v[F.INCIDENTS]],
        warning_given=v[F.WARNING_GIVEN] == "yes",
        no_warning_reason=v[F.NO_WARNING_REASON] or "",
        adjustments_considered=v[F.ADJUSTMENTS],
        criteria={c.id: v[f"criterion_{c.id}"] for c in cat.CRITERIA},
        review_date=v[F.REVIEW_DATE],
        letter_channel=v[F.LETTER_CHANNEL],
        large_print=v[F.LETTER_FORMAT] == "large_print",
        unusable_methods=v[F.UNUSABLE] or [],
        revision_of_id=revision_of,
        restrictions=restrictions,
        created_at=ctx.now,
    )


POLICY = (
    carries(
        "5",
        "A strategy records the reasonable adjustments considered, and refuses restrictions "
        "that leave no contact method the person can use given their needs.",
        "tests/test_slack_strategy.py::test_validation_refusals",
        "tests/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
    ),
    carries(
        "6",
        "A strategy needs a warning first, or the reason there was none.",
        "tests/test_slack_strategy.py::test_validation_refusals",
    ),
    carries(
        "7",
        "Proposing a contact strategy: the incidents it rests on, the reasons, the "
        "restrictions, the five s7 criteria each with a note, and a review date.",
        "tests/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/test_slack_strategy.py::test_validation_refusals",
    ),
    carries(
        "7.2",
        "A strategy may not close every route to the office.",
        "tests/test_slack_strategy.py::test_validation_refusals",
    ),
)
