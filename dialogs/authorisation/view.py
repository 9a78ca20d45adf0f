"""The card an authoriser decides from: everything needed to decide, then the decision."""

from __future__ import annotations

from typing import Any

from dialogs import catalogue as cat
from dialogs.authorisation import authority
from dialogs.authorisation.rules import CARD_LABEL
from dialogs.context import Ctx
from dialogs.strategy import shortcomings, warned
from dialogs.strategy.view import restrictions, routes_left
from storage import incidents as incidents_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import Authorisation, ContactStrategy, Person, SharingRequest, StaffMember
from storage.models.status import AuthorisationKind, AuthorisationStatus, StrategyStatus

# A strategy's status as the history on an authorisation card says it, not its enum.
STRATEGY_STATUS_WORDS = {
    StrategyStatus.DRAFT: "sent back for changes",
    StrategyStatus.PENDING: "waiting for a decision",
    StrategyStatus.ACTIVE: "in force",
    StrategyStatus.DENIED: "denied",
    StrategyStatus.ALTERED: "replaced by a change",
    StrategyStatus.ENDED: "ended at a review",
}


def card_key(authorisation_id: int) -> str:
    return f"authorisation:{authorisation_id}"


async def card_model(session: AsyncSession, ctx: Ctx, auth: Authorisation) -> dict[str, Any]:
    """Everything an authoriser needs to decide, and the decision once made."""
    names = await staff_repo.names(session)
    decision = None
    if auth.status != AuthorisationStatus.PENDING:
        by = names.get(auth.decided_by_id or 0, "someone")
        if auth.status == AuthorisationStatus.APPROVED and auth.decided_by_id:
            # s7: on what authority the restriction was approved, as the directory says.
            decider = await session.get(StaffMember, auth.decided_by_id)
            if decider is not None:
                by = f"{by} ({await authority.of(session, decider)})"
        decision = {
            "status": auth.status,
            "label": CARD_LABEL[AuthorisationStatus(auth.status)],
            "by": by,
            "at": ctx.local(auth.decided_at) if auth.decided_at else "",
            "reason": auth.decision_reason,
        }
    base = {
        "authorisation_id": auth.id,
        "kind": auth.kind,
        "requested_by": names.get(auth.requested_by_id, "someone"),
        "requested_at": ctx.local(auth.created_at),
        "decision": decision,
    }
    if auth.kind == AuthorisationKind.SHARING:
        request = await session.get(SharingRequest, auth.sharing_request_id)
        assert request is not None
        person = await session.get(Person, request.person_id)
        assert person is not None
        return {**base, **_sharing(person, request)}
    strategy = await session.get(ContactStrategy, auth.strategy_id)
    assert strategy is not None
    person = await session.get(Person, strategy.person_id)
    assert person is not None
    history = await _history(session, ctx, person, exclude_strategy=strategy.id)
    given = await incidents_repo.warnings_given(session, person_id=person.id)
    verdict = warned.verdict(
        strategy.warning_given,
        strategy.no_warning_reason,
        given,
        by=strategy.created_at.astimezone(ctx.zone).date(),
    )
    rests_on = [
        i
        for i in await incidents_repo.of_person(session, person_id=person.id)
        if i.id in set(strategy.incident_ids)
    ]
    shortfall, shortfall_flagged = shortcomings.card_words(
        shortcomings.found(rests_on, ctx.zone), strategy.shortcomings_addressed
    )
    return {
        **base,
        **_strategy(strategy, person, names),
        "warning": verdict.text,
        "warning_flagged": verdict.flagged,
        "shortcomings": shortfall,
        "shortcomings_flagged": shortfall_flagged,
        "history": history,
    }


def _sharing(person: Person, request: SharingRequest) -> dict[str, Any]:
    return {
        "reference": person.reference,
        "person_name": person.name,
        "agency": request.agency,
        "what": request.what,
        "reason": cat.label(cat.SHARING_REASONS, request.reason_kind),
        "explanation": request.reason_detail,
        "consent": request.consent,
    }


def _strategy(strategy: ContactStrategy, person: Person, names: dict[int, str]) -> dict[str, Any]:
    return {
        "reference": person.reference,
        "person_name": person.name,
        "restrictions": restrictions(strategy, names),
        "routes": routes_left(strategy),
        "reasons": strategy.reasons,
        # Approved with the reasons: the words the person will read (s7, issue 14).
        "public_summary": strategy.public_summary or "",
        "criteria": [
            {"text": c.label, "note": strategy.criteria.get(c.id, "")} for c in cat.CRITERIA
        ],
        "adjustments": strategy.adjustments_considered,
        "needs": person.additional_needs,
        "unusable": [cat.label(cat.CONTACT_METHODS, m) for m in strategy.unusable_methods],
        "review_date": f"{strategy.review_date:%d %b %Y}",
        "letter": (
            f"By {cat.label(cat.CONTACT_METHODS, strategy.letter_channel or 'letter').lower()}"
            f"{', in large print' if strategy.large_print else ''}"
        ),
        "revision": strategy.revision_of_id is not None,
    }


async def _history(
    session: AsyncSession, ctx: Ctx, person: Person, *, exclude_strategy: int
) -> dict[str, list[str]]:
    """The person's record so far, for the authoriser to weigh."""
    incidents = await incidents_repo.of_person(session, person_id=person.id)
    warnings = await incidents_repo.warnings_of_person(session, person_id=person.id)
    given = {w.id for w in await incidents_repo.warnings_given(session, person_id=person.id)}
    strategies = await strategies_repo.of_person(session, person_id=person.id)
    return {
        "incidents": [
            f"{i.occurred_at.astimezone(ctx.zone):%d %b %Y}, "
            f"{cat.label(cat.CHANNELS, i.channel).lower()}: "
            + "; ".join(cat.behaviour_label(b, i.other_behaviour) for b in i.behaviours)
            + (" (violence used or threatened)" if i.violence else "")
            for i in incidents
        ],
        "warnings": [
            warned.described(w, capital=True)
            + ("" if w.id in given else " (its letter is not recorded as sent)")
            for w in warnings
        ],
        "strategies": [
            f"{s.created_at.astimezone(ctx.zone):%d %b %Y}: "
            f"{STRATEGY_STATUS_WORDS.get(s.status, str(s.status))}"
            for s in strategies
            if s.id != exclude_strategy
        ],
    }
