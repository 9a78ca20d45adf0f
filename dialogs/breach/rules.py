"""When a breach can have happened, and when breaches are too many (s7.1, s7.2)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cards.wording import join_names

# A clock a few minutes fast on a phone should not refuse an honest "just now".
CLOCK_SLACK = timedelta(minutes=5)


def time_errors(
    when: datetime | None, *, now: datetime, in_force_since: datetime | None, field: str, local: str
) -> dict[str, str]:
    """A breach happened, and happened after the strategy came into force.

    `local` is `in_force_since` as staff read it.
    """
    if when is None:
        return {}
    if when > now + CLOCK_SLACK:
        return {field: "This time is in the future."}
    # Date-time pickers stop at the minute: the minute it came into force counts.
    if in_force_since and when < in_force_since.replace(second=0, microsecond=0):
        return {
            field: f"The strategy came into force on {local}; contact before then cannot breach it."
        }
    return {}


def confirmation(
    reference: str, alerted: list[str], recent: int, *, threshold_reached: bool, window_days: int
) -> str:
    """What the recorder reads once it is stored."""
    text = f"Breach recorded for *{reference}*. "
    text += (
        f"I've alerted {join_names(alerted)}. " if alerted else "There was no one else to alert. "
    )
    text += "The reminder letter is on its way to you as a file, to send to them."
    if threshold_reached:
        text += (
            f" This is breach {recent} in {window_days} days: the strategy may need review or "
            "further action (s7.2)."
        )
    return text
