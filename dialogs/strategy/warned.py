"""s6, "warned first": checked against the warnings on file, never taken on the proposer's word.

The policy: "Wherever possible, a member of the public should be given the opportunity to
change their behaviour before a decision is taken to restrict contact." A warning counts
as given once it has reached them (`storage.incidents.warnings_given`: a verbal one when
recorded, a written one once its letter is recorded as sent). A proposal may say they
were warned first only when such a warning is on file; otherwise the proposer says why a
warning was not appropriate, and the authoriser sees that reason set apart. These are the
one home of the rule and of its words, for the form, the check and the authoriser's card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cards.ids import StrategyField as F
from storage.models import Warning
from storage.models.status import WarningKind

NONE_ON_FILE = (
    "No warning to them is on file as given: a verbal warning recorded on an incident, or a "
    "written one whose letter is recorded as sent."
)


def described(warning: Warning, *, capital: bool = False) -> str:
    """One warning as a person reads it in a list: what kind, and when it was given."""
    kind = "written warning" if warning.kind == WarningKind.WRITTEN else "verbal warning"
    if capital:
        kind = kind[0].upper() + kind[1:]
    return f"{kind}, {warning.given_on:%d %b %Y}"


def on_file_words(given: list[Warning]) -> str:
    """The line above the form's question: what the answer will be checked against."""
    if not given:
        return f"Warnings on file (s6): none. {NONE_ON_FILE}"
    return "Warnings on file as given (s6): " + "; ".join(described(w) for w in given) + "."


def errors(answer: str | None, given: list[Warning]) -> dict[str, str]:
    """A proposal may say "warned first" only with a warning on file as given."""
    if answer == "yes" and not given:
        return {
            F.WARNING_GIVEN: f"{NONE_ON_FILE} Record the warning on their incident first, or "
            "answer No and say why a warning was not appropriate (s6)."
        }
    return {}


@dataclass(frozen=True)
class Verdict:
    """What the authoriser's card says under "Warning first (s6)"; `flagged` when it must
    stand out: no warning first, or a claim the file does not bear out."""

    text: str
    flagged: bool


def verdict(claimed: bool, reason: str, given: list[Warning], *, by: date) -> Verdict:
    """The card's words from what is on file by the day of the proposal: the proposer's
    answer is shown only when the file bears it out (rows from before this check was made
    may say "yes" with nothing behind it, and the card says so)."""
    before = [w for w in given if w.given_on <= by]
    if claimed and before:
        return Verdict(
            "Warned first. On file as given: " + "; ".join(described(w) for w in before) + ".",
            False,
        )
    if claimed:
        return Verdict(
            "The proposal says they were warned first, but no warning is on file as given "
            "before it was made. Ask the proposer before deciding.",
            True,
        )
    return Verdict(
        "Not warned first. The proposer's reason: " + (reason.strip() or "none given."), True
    )
