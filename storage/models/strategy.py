"""Contact strategies and what follows them: authorisation, breaches, reviews, disputes (s7)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow


class ContactStrategy(Base):
    """draft -> pending -> approved (awaiting notice) -> active -> (altered | ended), or denied."""

    __tablename__ = "contact_strategies"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    reasons: Mapped[str] = mapped_column(Text)  # internal: never printed in a letter
    # "What we will tell them": written to the person, approved with the reasons (s7).
    public_summary: Mapped[str | None] = mapped_column(Text)
    incident_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    warning_given: Mapped[bool] = mapped_column(default=False)
    no_warning_reason: Mapped[str] = mapped_column(Text, default="")
    # s4: what was done about the Nos on the reports it rests on (None: not asked then).
    shortcomings_addressed: Mapped[str | None] = mapped_column(Text)
    adjustments_considered: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    review_date: Mapped[date] = mapped_column(Date)
    letter_channel: Mapped[str | None] = mapped_column(String(20))
    large_print: Mapped[bool] = mapped_column(default=False)
    # Methods the proposer recorded that the person cannot use, given their needs (s5).
    unusable_methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    # An edited resubmission after "Ask for changes" points at the version it replaces.
    revision_of_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    # Notice before effect: a later start the authoriser set, and the review period that
    # is counted from the day the strategy takes effect rather than from the approval.
    takes_effect_on: Mapped[date | None] = mapped_column(Date)
    review_after_days: Mapped[int | None] = mapped_column(Integer)
    activated_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    restrictions: Mapped[list[Restriction]] = relationship(
        back_populates="strategy", cascade="all, delete-orphan", lazy="selectin"
    )


class Restriction(Base):
    """One of the six s7 restrictions with its parameter."""

    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("contact_strategies.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    call_minutes: Mapped[int | None] = mapped_column(Integer)
    contact_method: Mapped[str | None] = mapped_column(String(20))
    email_address: Mapped[str | None] = mapped_column(String(254))
    blocked_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    advocate_name: Mapped[str | None] = mapped_column(String(200))
    advocate_contact: Mapped[str | None] = mapped_column(String(300))
    spoc_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))

    strategy: Mapped[ContactStrategy] = relationship(back_populates="restrictions")


class SharingRequest(Base):
    """A request to share a strategy with a partner agency (s7.1, data protection)."""

    __tablename__ = "sharing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    agency: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(Text)
    reason_kind: Mapped[str] = mapped_column(String(30))
    reason_detail: Mapped[str] = mapped_column(Text, default="")
    consent: Mapped[bool] = mapped_column(default=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Disclosure(Base):
    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(primary_key=True)
    sharing_request_id: Mapped[int] = mapped_column(ForeignKey("sharing_requests.id"))
    disclosed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    disclosed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class Authorisation(Base):
    """A decision only an authoriser may take; the first decision wins (s7, s7.1)."""

    __tablename__ = "authorisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # strategy | change | sharing
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    sharing_request_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_requests.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Breach(Base):
    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("contact_strategies.id"), index=True)
    restriction_id: Mapped[int | None] = mapped_column(ForeignKey("restrictions.id"))
    occurred_at: Mapped[datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("contact_strategies.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # continued | altered | ended
    reasons: Mapped[str] = mapped_column(Text)  # internal
    public_summary: Mapped[str | None] = mapped_column(Text)  # what the letter says
    new_review_date: Mapped[date | None] = mapped_column(Date)
    new_strategy_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dispute(Base):
    """A written dispute to the Chief Executive (s7.3)."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("contact_strategies.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    grounds: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    decider_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))  # upheld | different
    outcome_reasons: Mapped[str] = mapped_column(Text, default="")  # internal
    outcome_summary: Mapped[str | None] = mapped_column(Text)  # what the letter says
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactLog(Base):
    """Every contact logged from a person with an open case, read for what must not be
    missed (s7.2), and for a request for information (s9)."""

    __tablename__ = "contact_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    channel: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    new_information: Mapped[bool] = mapped_column(default=False)
    new_complaint: Mapped[bool] = mapped_column(default=False)
    criminal: Mapped[bool] = mapped_column(default=False)
    safeguarding: Mapped[bool] = mapped_column(default=False)
    # s9: a freedom of information or subject access request; None on contacts logged
    # before the question was asked.
    information_request: Mapped[bool | None] = mapped_column(default=False)
    # s6: read and filed with no action, under this written warning (None: not filed so).
    read_no_action_warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"))
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    occurred_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Matter(Base):
    """A new matter a person raised (s7.2: "any new issues ... will be dealt with in the
    normal way"): kept open as its own item until someone records how it was dealt with,
    and never counted as a breach."""

    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    contact_log_id: Mapped[int | None] = mapped_column(ForeignKey("contact_logs.id"))
    # Or the report it came with, closed at once as not the office's to handle (s1).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    summary: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
    # s1: closed as not the office's to handle, and the body the person was pointed to.
    signposted_to: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FurtherAction(Base):
    """Action beyond a contact strategy, such as seeking legal advice (s7.2).

    The policy reserves it for the most severe cases, where a strategy has not worked;
    when it is taken, the case must show that it was, when, and by whom.
    """

    __tablename__ = "further_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    taken_on: Mapped[date] = mapped_column(Date)
    details: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
