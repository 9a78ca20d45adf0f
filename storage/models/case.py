"""The case file: the member of the public and what happened (s3-s6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow


class CaseRefCounter(Base):
    """One row a year; an upsert on it hands out SC-YYYY-NNNNN without gaps or repeats."""

    __tablename__ = "case_ref_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Person(Base):
    """A member of the public; needs are recorded so that every decision can weigh them (s5)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    additional_needs: Mapped[str] = mapped_column(Text, default="")
    reasonable_adjustments: Mapped[str] = mapped_column(Text, default="")
    # s5: the contact methods their needs rule out, as they told us (None: never said).
    unusable_methods: Mapped[list[str] | None] = mapped_column(JSON)
    # Each time their needs were told and recorded, in order (dialogs/people/needs.py);
    # none yet means they have not been asked (s5, "asked at the outset").
    needs_history: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # s6: a single point of contact appointed as an informal step, before any restriction.
    spoc_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    spoc_since: Mapped[datetime | None] = mapped_column()
    spoc_appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    advocate_name: Mapped[str | None] = mapped_column(String(200))
    advocate_contact: Mapped[str | None] = mapped_column(String(300))
    # Where letters reach them (s7: told in writing); shown in a letter's addressee block.
    postal_address: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column()

    incidents: Mapped[list[Incident]] = relationship(
        back_populates="person", order_by="Incident.occurred_at"
    )


class Incident(Base):
    """One report by a member of staff, with the s4 self-check answered at the time."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(20))
    behaviours: Mapped[list[str]] = mapped_column(JSON)
    # s3: the policy's lists are examples; an "other" behaviour, in the reporter's words.
    other_behaviour: Mapped[str | None] = mapped_column(Text)
    what_happened: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(Text, default="")
    actions_taken: Mapped[list[str]] = mapped_column(JSON)
    violence: Mapped[bool] = mapped_column(default=False)
    known_needs: Mapped[str] = mapped_column(Text, default="")
    self_check: Mapped[dict[str, bool]] = mapped_column(JSON)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    # s6: a police report required but not made, and why: an authoriser's decision, which
    # ends the chase as a recorded referral does.
    police_not_referred_reason: Mapped[str | None] = mapped_column(Text)
    police_not_referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    police_not_referred_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="incidents")

    @property
    def police_report_required(self) -> bool:
        # s6: "We will always do this if physical violence is used or threatened".
        return self.violence


class Warning(Base):
    """The chance to change behaviour before any restriction (s6)."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(20))  # verbal | written
    given_on: Mapped[date] = mapped_column(Date)
    behaviour_to_change: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PoliceReferral(Base):
    __tablename__ = "police_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    referred_on: Mapped[date] = mapped_column(Date)
    police_reference: Mapped[str] = mapped_column(String(100))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Letter(Base):
    """A letter to the member of the public, kept with the case exactly as rendered."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    send_by: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"))
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("contact_strategies.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The sending record (s7: when they were told, and how): empty until a member of staff
    # records it, or the mail server accepts it. A restriction runs only from then.
    sent_on: Mapped[date | None] = mapped_column(Date)
    sent_method: Mapped[str | None] = mapped_column(String(20))  # LetterSendMethod
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    sent_recorded_at: Mapped[datetime | None] = mapped_column()

    @property
    def sent(self) -> bool:
        return self.sent_on is not None
