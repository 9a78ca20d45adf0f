"""s4, shortcomings first: a No to any of the office's own questions is put right before
contact is restricted, and the proposal says what was done about it.

"If these obligations have not been met then steps should be taken to address any
shortcomings where appropriate and this may be enough to stop the inappropriate
behaviour." Each report records the five s4 answers; a proposal resting on a report with a
No must say what was done about it, and the authoriser's card shows the Nos with that
answer, set apart. One home for the rule and its words, for the form, the check and the card.
"""

from __future__ import annotations

from datetime import tzinfo

from cards.ids import StrategyField as F
from dialogs import catalogue as cat
from storage.models import Incident

QUESTION = "What was done about them? (s4)"


def found(incidents: list[Incident], zone: tzinfo, *, only: set[int] | None = None) -> list[str]:
    """Each No on the reports (those in `only`, when given), as a line a person reads."""
    lines = []
    for incident in sorted(incidents, key=lambda i: i.occurred_at):
        if only is not None and incident.id not in only:
            continue
        day = incident.occurred_at.astimezone(zone).strftime("%d %b %Y")
        for q in cat.SELF_CHECK:
            if incident.self_check.get(q.id) == "no":
                lines.append(f"Report of {day}: No to \u201c{q.text}\u201d")
    return lines


def on_file_words(lines: list[str]) -> str:
    """The form's line above the question: what it asks about."""
    if not lines:
        return "Shortcomings (s4): none. No s4 question was answered No on their reports."
    return "Shortcomings (s4), answered No on their reports:\n" + "\n".join(
        f"\u2022 {line}" for line in lines
    )


def errors(answer: str | None, lines: list[str]) -> dict[str, str]:
    """A proposal resting on a report with a No says what was done about it."""
    if lines and not (answer or "").strip():
        return {
            F.SHORTCOMINGS: "s4: the reports it rests on answered No to the office's own "
            "questions. Say what was done about each before contact is restricted."
        }
    return {}


def card_words(lines: list[str], addressed: str | None) -> tuple[str, bool]:
    """The authoriser's card: the Nos and what was done, flagged; or that there were none."""
    if not lines:
        return "No s4 question was answered No on the reports it rests on.", False
    done = (addressed or "").strip() or "Nothing was recorded."
    return "\n".join(lines) + f"\nWhat was done: {done}", True
