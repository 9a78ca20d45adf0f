"""The review form, and the alteration form a review that alters the strategy leads to."""

from __future__ import annotations

from datetime import timedelta

from cards.forms import FormSpec
from cards.ids import FormName
from cards.ids import ReviewField as F
from cards.ids import StrategyField as SF
from cards.wording import count
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.context import Ctx
from dialogs.strategy.form import (
    PUBLIC_SUMMARY_LABEL,
    Subject,
    proposal_spec,
    values_from,
)
from dialogs.strategy.view import restrictions
from storage.models import ContactStrategy, Person

MAX_REASONS = 1500

REVIEW = f.Head(FormName.REVIEW, "Review the strategy", "Record review")


def evidence(counts: dict[str, int], recent: int, window_days: int) -> str:
    """What happened while it was in force, so the reviewer weighs it (s7.1, s7.2)."""
    return (
        f"While in force: {count(counts['breaches'], 'breach')}, {recent} in the last "
        f"{window_days} days; {count(counts['contacts'], 'contact')} logged, "
        f"{counts['flagged']} raising a criminal or safeguarding matter; "
        f"{count(counts['disputes'], 'dispute')}."
    )


def review_spec(
    ctx: Ctx, strategy: ContactStrategy, who: Person, names: dict[int, str], facts: str
) -> FormSpec:
    since = ctx.local(strategy.activated_at) if strategy.activated_at else "approval"
    listed = "; ".join(restrictions(strategy, names))
    next_review = ctx.today + timedelta(days=ctx.policy.review_period_days)
    return REVIEW.form(
        ctx,
        [
            f.info(
                "strategy_info",
                f"In force since {since}, review date {strategy.review_date:%d %b %Y}. "
                f"Restrictions: {listed}.",
            ),
            f.info("evidence_info", facts),
            f.pick(F.OUTCOME, "Outcome", cat.REVIEW_OUTCOMES, kind="radio"),
            f.textarea(
                F.REASONS,
                "Reasons",
                max_length=MAX_REASONS,
                hint="Required for every outcome: for the case file. Never in the letter.",
            ),
            f.textarea(
                F.PUBLIC_SUMMARY,
                PUBLIC_SUMMARY_LABEL,
                max_length=MAX_REASONS,
                required=False,
                hint=(
                    "To continue or end it: written to them, in plain English, for the letter. "
                    "(To alter it, the new proposal asks for this.)"
                ),
            ),
            f.day(
                F.NEW_REVIEW_DATE,
                "Next review date (to continue)",
                required=False,
                hint="In the future and within 12 months.",
            ),
        ],
        intro=(
            f"*{who.reference}*: is the contact strategy still appropriate and fit for "
            "purpose? (s7.1) Whatever you decide, they will be told in writing."
        ),
        context={"strategy_id": strategy.id, "review_date": strategy.review_date.isoformat()},
        values={F.NEW_REVIEW_DATE: next_review.isoformat()},
    )


def alteration_spec(
    ctx: Ctx, subject: Subject, strategy: ContactStrategy, reasons: str
) -> FormSpec:
    """The proposal form (same questions, same rules), prefilled from the strategy in force."""
    values = values_from(strategy)
    values[SF.REVIEW_DATE] = (ctx.today + timedelta(days=ctx.policy.review_period_days)).isoformat()
    values[F.REASONS] = reasons
    context = {
        "person_id": strategy.person_id,
        "supersedes": strategy.id,
        "review_date": strategy.review_date.isoformat(),
    }
    base = proposal_spec(ctx, subject, context, values)
    why = f.textarea(
        F.REASONS,
        "Why the review found it must change",
        max_length=MAX_REASONS,
        hint="Kept in the case file with the review.",
    )
    return base.model_copy(
        update={
            "name": FormName.ALTERATION,
            "title": "Alter the strategy",
            "submit": "Send for approval",
            "intro": (
                f"*{subject.person.reference}*: change the restrictions below. The new version "
                "must be authorised like the first, never by you (s7); until then the "
                "current strategy stays in force."
            ),
            "fields": [why, *base.fields],
        }
    )
