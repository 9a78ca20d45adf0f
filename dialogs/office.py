"""The office's own settings, as the policy's rules need them (s7 review periods, Appendix A).

They live here, not in bot/, because dialogs/ applies them; bot/settings.py reads them
from the TOML file.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from cards.text import UnsafeText, clean_input
from dialogs.policy_map import carries

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class StrictModel(BaseModel):
    """Settings read from the office's file: unknown keys refused, text trimmed, and text
    checked as typed text is (cards/text.clean_input): a name or an address from the file
    is printed in cards, letters and the terminal, so an Escape or a NUL in it is refused
    here with the key it is under, not carried to every surface."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _typed_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return clean_input(value)
            except UnsafeText as exc:
                raise ValueError(str(exc).replace("retype", "correct")) from None
        return value


class OtherBody(StrictModel):
    """A body that handles what the office cannot (s1: "complaints against the police force
    are required to be dealt with by the Chief Constable"), for the signposting letter."""

    name: str = Field(min_length=1, max_length=200)
    # What it deals with, as the letter says it: "complaints about police officers and staff".
    handles: str = Field(min_length=1, max_length=300)
    # How the person reaches it: an address, a phone number, a website.
    contact: str = Field(min_length=1, max_length=500)


class Organisation(StrictModel):
    """Who the office is: printed on letters and in the support card (s8, Appendix A)."""

    name: str = Field("Office of the Police and Crime Commissioner", max_length=200)
    address: str = Field("", max_length=500)
    phone: str = Field("", max_length=50)
    email: str = Field("", max_length=200)
    website: str = Field("", max_length=300)
    # s1: the bodies a matter the office cannot deal with is signposted to.
    other_bodies: list[OtherBody] = Field(default_factory=list)
    chief_executive_title: str = Field("Chief Executive", max_length=100)
    eap_name: str = Field("Employee Assistance Programme", max_length=200)
    eap_phone: str = Field("", max_length=50)
    eap_url: str = Field("", max_length=300)
    eap_details: str = Field(
        "Free, confidential support available 24 hours a day. Ask your manager for details.",
        max_length=1000,
    )
    public_support: str = Field(
        "Citizens Advice can give you free, confidential advice: www.citizensadvice.org.uk "
        "or 0800 144 8848. If you are in danger, call 999; for the police in a "
        "non-emergency, call 101.",
        max_length=1000,
    )
    health_and_safety_policy_url: str = Field("", max_length=300)
    dignity_at_work_policy_url: str = Field("", max_length=300)
    diversity_policy_url: str = Field("", max_length=300)
    # Printed in every letter's letterhead, with the name, address, phone, email and website.
    opening_hours: str = Field("", max_length=200)
    # The role printed under the sender's name in a letter's sign-off, by their most senior
    # role (the Chief Executive signs with chief_executive_title).
    letter_role_titles: dict[str, str] = Field(
        default_factory=lambda: {
            "authoriser": "Senior manager",
            "manager": "Manager",
            "staff": "Member of staff",
        }
    )
    # s7: "A copy of this policy will be provided": the policy as a file that is enclosed
    # with the strategy letter, or a URL the letter links, or both. With neither, no letter
    # claims an enclosure; it offers a copy on request, and `serve` and `doctor` warn.
    policy_document_title: str = Field(
        "Managing unacceptable or unreasonable behaviour", min_length=1, max_length=200
    )
    policy_document_file: str = Field("", max_length=500)
    policy_url: str = Field(
        "",
        max_length=300,
        # The name the example file has always documented still works.
        validation_alias=AliasChoices("policy_url", "unacceptable_behaviour_policy_url"),
    )

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    @field_validator("letter_role_titles")
    @classmethod
    def _role_titles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - {"authoriser", "manager", "staff"}
        if unknown:
            raise ValueError(
                f"organisation.letter_role_titles: {', '.join(sorted(unknown))} is not a role "
                "that signs letters; give titles for authoriser, manager and staff"
            )
        too_long = [k for k, v in value.items() if len(v) > 100]
        if too_long:
            raise ValueError(
                f"organisation.letter_role_titles: the title for {too_long[0]} is over 100 "
                "characters"
            )
        return {k: v.strip() for k, v in value.items()}

    @field_validator("policy_document_file")
    @classmethod
    def _policy_file(cls, value: str) -> str:
        if value and not Path(value).is_file():
            raise ValueError(
                f"organisation.policy_document_file: there is no file at {value!r}. Give the "
                "path of the policy document (a PDF) to enclose with letters, or leave it "
                "out and set organisation.policy_url instead."
            )
        return value

    @field_validator("policy_url")
    @classmethod
    def _policy_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(
                f"organisation.policy_url must be a web address starting https://, not {value!r}"
            )
        return value

    def policy_enclosure(self) -> dict[str, Any]:
        """What a letter may truly say of the policy (s7): enclosed, linked, or neither."""
        return {
            "title": self.policy_document_title,
            "enclosed": bool(self.policy_document_file),
            "url": self.policy_url,
        }

    def letterhead_missing(self) -> str | None:
        """Why letters cannot tell the person where to write, or None when they can (s7.2:
        they may still contact the office about other matters, and the letter says how)."""
        if self.address:
            return None
        return (
            "No postal address is configured for the office (organisation.address): "
            "letters will print no address to write to"
            + ("" if self.phone or self.email else ", nor any phone number or email")
            + "."
        )

    def policy_missing(self) -> str | None:
        """Why letters cannot provide the policy, or None when they can."""
        if self.policy_document_file or self.policy_url:
            return None
        return (
            "No policy document is configured (organisation.policy_document_file or "
            "organisation.policy_url): s7 says a copy of the policy is provided with the "
            "strategy letter, so letters will only offer a copy on request."
        )


class PolicySettings(StrictModel):
    """The policy's time settings; defaults follow s7 and Appendix A."""

    review_period_days: int = Field(90, ge=1, le=365)
    review_reminder_days: list[int] = Field(default_factory=lambda: [14, 3, 0])
    overdue_reminder_every_days: int = Field(7, ge=1, le=90)
    # s7.1: a review left overdue this many weeks goes to the Chief Executive as well, and
    # on each later reminder, so a strategy never runs on unreviewed unseen.
    review_overdue_escalate_weeks: int = Field(4, ge=1, le=52)
    # The office's own safeguard, not a rule of the policy (s7 names who may authorise, not
    # who may not): whoever asks for a restriction does not also authorise it. On by
    # default; an office with a single authoriser turns it off.
    separate_proposer_and_authoriser: bool = True
    # s9: the staff (by email) who handle freedom of information and subject access
    # requests; a contact that is one goes to them. Empty: the administrators.
    information_requests_to: list[str] = Field(default_factory=list)
    welfare_followup_hours: int = Field(24, ge=1, le=24 * 30)
    authorisation_nudge_hours: int = Field(48, ge=1, le=24 * 30)
    police_referral_nudge_hours: int = Field(24, ge=1, le=24 * 30)
    # s6, "we will always do this": after the first reminder, the manager is reminded again
    # these many days after the report, then the authorisers are told (escalated).
    police_referral_chase_days: list[int] = Field(default_factory=lambda: [3, 7])
    police_referral_escalate_days: int = Field(10, ge=1, le=365)
    breach_threshold: int = Field(3, ge=1, le=100)
    breach_window_days: int = Field(30, ge=1, le=365)
    office_hours_start: time = time(9, 0)
    office_hours_end: time = time(17, 0)
    working_days: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    timezone: str = "Europe/London"
    outbox_max_attempts: int = Field(8, ge=1, le=100)
    # s9 (Data Protection Act 2018, storage limitation): a person's data is anonymised this
    # many years after their last activity or the end of their last strategy.
    retention_years: int = Field(6, ge=1, le=100)
    # Appendix A: welfare check-in answers are the staff member's own; kept for a shorter time.
    welfare_retention_months: int = Field(12, ge=1, le=120)

    @field_validator("office_hours_start", "office_hours_end", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        # A bare number (pydantic reads 9 as nine seconds past midnight, UTC) or a time with
        # its own offset is refused: office hours are wall-clock times in `timezone`.
        parsed = value
        if isinstance(value, str):
            try:
                parsed = time.fromisoformat(value)
            except ValueError:
                parsed = None
        if not isinstance(parsed, time) or parsed.tzinfo is not None:
            raise ValueError(f"'{value}' is not a time of day; write it as HH:MM, e.g. 09:00")
        return parsed

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone, e.g. Europe/London") from None
        return value

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.lower()[:3] for d in value]
        bad = [d for d, raw in zip(days, value, strict=True) if d not in WEEKDAYS or len(raw) < 3]
        if bad or not days:
            raise ValueError(f"use day names from {', '.join(WEEKDAYS)}")
        return days

    @field_validator("review_reminder_days")
    @classmethod
    def _lead_times(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 365 for d in value):
            raise ValueError("each lead time is a number of days from 0 to 365")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _hours_order(self) -> PolicySettings:
        if self.office_hours_end <= self.office_hours_start:
            raise ValueError("office_hours_end must be later than office_hours_start")
        return self

    @model_validator(mode="after")
    def _police_chase_order(self) -> PolicySettings:
        first = self.police_referral_nudge_hours / 24
        days = self.police_referral_chase_days
        if any(d <= first or d > 365 for d in days) or days != sorted(set(days)):
            raise ValueError(
                "police_referral_chase_days are days after the report, each later than the "
                "first reminder (police_referral_nudge_hours) and than the one before"
            )
        if self.police_referral_escalate_days <= max(days, default=first):
            raise ValueError(
                "police_referral_escalate_days must be later than the last reminder "
                "(police_referral_chase_days)"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


POLICY = (
    carries(
        "6",
        "Letters signpost other sources of support (s6: 'signposting to other sources of "
        "support'): Citizens Advice, 999 and 101, as organisation.public_support says.",
        "tests/e2e/test_slack_actions.py::test_written_warning_stores_letter_and_uploads_it",
        "tests/e2e/test_slack_strategy.py::test_letter_says_everything_the_policy_requires",
    ),
)
