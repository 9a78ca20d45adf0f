"""When a restriction may take effect, and who may record a letter sent: pure rules (s6, s7).

s6: "we will advise the individual prior to putting any restrictions in place";
s7: the decision is recorded, "We will then advise a member of the public in writing".
So a strategy, or an alteration of one (s7.1 "The member of the public should be told
about any changes"), takes effect on the later of the day its letter was sent and the
day the authoriser chose, and never before the letter is sent.
"""

from __future__ import annotations

from datetime import date

from dialogs.errors import FieldErrors, Forbidden
from storage.models import Letter, StaffMember
from storage.models.status import LetterSendMethod

# A letter's author may send it; so may a manager, an authoriser, the Chief Executive or
# an admin (the author may have left, or be away).
SENDERS = frozenset({"manager", "authoriser", "chief_executive", "admin"})
NOT_A_RECORDER = "Only a manager, an authoriser or the Chief Executive can record a letter as sent."


def check_may_send(actor: StaffMember, letter: Letter, refusal: str = NOT_A_RECORDER) -> None:
    """Who may email a letter, record it as sent, or correct where it goes: one rule for
    the three (dialogs/letter_email, dialogs/notice/flow.py and address.py); `refusal`
    says it in the words of the step refused."""
    if actor.id != letter.created_by_id and not SENDERS & set(actor.role_names):
        raise Forbidden(refusal)


METHOD_LABELS = {
    LetterSendMethod.POST: "By post",
    LetterSendMethod.EMAIL: "By email",
    LetterSendMethod.HAND: "By hand",
}


def effective_date(sent_on: date, takes_effect_on: date | None) -> date:
    """The day a restriction takes effect: its letter's day, or the later day the authoriser set."""
    if takes_effect_on is not None and takes_effect_on > sent_on:
        return takes_effect_on
    return sent_on


def check_sent_on(sent_on: date, *, today: date, created: date, field: str) -> None:
    """A letter is recorded as sent on a real day: not before it was written, not tomorrow."""
    if sent_on > today:
        raise FieldErrors({field: "A letter cannot be recorded as sent on a future date."})
    if sent_on < created:
        raise FieldErrors(
            {field: f"This letter was written on {created:%d %B %Y}; it cannot be sent before."}
        )


def sent_line(method: str | None, sent_on: date | None, by: str) -> str:
    """ "Sent by post on 04 December 2026 (recorded by Jo Reed)" — or "Not yet sent"."""
    if sent_on is None:
        return "Not yet sent"
    how = METHOD_LABELS.get(LetterSendMethod(method), "Sent") if method else "Sent"
    return f"Sent {how.lower()} on {sent_on:%d %B %Y} (recorded by {by})"
