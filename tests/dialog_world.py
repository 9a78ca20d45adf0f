"""Drive dialogs/ directly with a chosen clock: for scheduler and time-travel tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from dialogs.authorisation import decide
from dialogs.context import Ctx
from dialogs.incident import report
from dialogs.interactions import Turn
from dialogs.notice import flow as notice_flow
from dialogs.strategy import propose
from storage import staff as staff_repo
from storage.db import Database
from storage.models import Authorisation, Letter, StaffMember
from tests.slack_harness import DIRECTORY

CRITERIA = ("addressed", "communication", "access", "misunderstandings", "proportionate")


@dataclass
class World:
    db: Database
    settings: Settings
    staff: dict[str, StaffMember]

    def ctx(self, now: datetime) -> Ctx:
        return Ctx(
            db=self.db,
            organisation=self.settings.organisation,
            policy=self.settings.policy,
            now=now,
        )

    def runtime(self) -> Runtime:
        return Runtime(settings=self.settings, db=self.db)

    def who(self, name: str) -> StaffMember:
        return self.staff[name]

    async def report(self, now: datetime, *, reporter: str = "sam", **overrides: Any) -> int:
        values = report_values(now, **overrides)
        recorded = await report.record(self.ctx(now), actor=self.who(reporter), submitted=values)
        return recorded.incident_id

    async def active_strategy(
        self, now: datetime, *, review_in_days: int = 60, incident_id: int | None = None
    ) -> int:
        """A strategy proposed by Jo, approved by Bea and its letter sent at `now`; its id."""
        strategy_id = await self.approved_strategy(
            now, review_in_days=review_in_days, incident_id=incident_id
        )
        await self.send_letter(now, strategy_id)
        return strategy_id

    async def send_letter(
        self, now: datetime, strategy_id: int, *, sent_on: date | None = None, by: str = "jo"
    ) -> str:
        """Jo records the strategy's letter sent (by post) at `now`; the confirmation."""
        async with self.db.read() as session:
            letter = (
                await session.execute(
                    select(Letter)
                    .where(Letter.strategy_id == strategy_id)
                    .order_by(Letter.id.desc())
                )
            ).scalar()
        assert letter is not None
        ctx = self.ctx(now)
        day = sent_on or now.astimezone(ctx.zone).date()
        return await notice_flow.submit(
            Turn(ctx, self.who(by)),
            {"sent_method": "post", "sent_on": day.isoformat()},
            {"letter_id": letter.id},
        )

    async def approved_strategy(
        self,
        now: datetime,
        *,
        review_in_days: int = 60,
        incident_id: int | None = None,
        takes_effect_on: date | None = None,
    ) -> int:
        """A strategy proposed by Jo and approved by Bea at `now`, awaiting notice; its id."""
        incident_id = incident_id or await self.report(now)
        ctx = self.ctx(now)
        spec = await propose.proposal_form(Turn(ctx, self.who("jo")), {"incident_id": incident_id})
        review = (now.astimezone(ctx.zone).date() + timedelta(days=review_in_days)).isoformat()
        submitted = {
            "restrictions": ["call_limit"],
            "call_minutes": "10",
            "reasons": "Abuse.",
            "incidents": [str(incident_id)],
            "warning_given": "no",
            "no_warning_reason": "An immediate risk to staff.",
            "shortcomings_addressed": "We now write every two weeks with an update.",
            "adjustments": "None needed.",
            "criteria": list(CRITERIA),
            **{f"criterion_{c}": "Yes." for c in CRITERIA},
            "review_date": review,
            "letter_channel": "letter",
            "letter_format": "standard",
            "public_summary": "We are changing how you can contact us, for a while.",
        }
        proposed = await propose.propose(
            ctx, actor=self.who("jo"), context=spec.context, submitted=submitted
        )
        await decide.decide(
            ctx,
            actor=self.who("bea"),
            authorisation_id=proposed.authorisation_id,
            decision="approve",
            takes_effect_on=takes_effect_on,
        )
        async with self.db.read() as session:
            auth = await session.get(Authorisation, proposed.authorisation_id)
            assert auth is not None and auth.strategy_id is not None
            return auth.strategy_id


def report_values(now: datetime, **overrides: Any) -> dict[str, Any]:
    """A valid incident report's answers, about a new member of the public."""
    return {
        "new_person_name": "Morgan Example",
        "occurred_at": int((now - timedelta(hours=1)).timestamp()),
        "channel": "telephone",
        "behaviours": ["abuse"],
        "what_happened": "Shouted and swore.",
        "actions_taken": ["warned"],
        "violence": "no",
        **{
            f"s4_{q}": "yes"
            for q in ("explained", "proportionate", "communicated", "support", "rationale")
        },
        **overrides,
    }


async def make_world(db: Database, **settings: Any) -> World:
    config = Settings(database_url=str(db.url), staff=DIRECTORY, **settings)
    async with db.write() as session:
        await staff_repo.sync_directory(session, entries=config.staff)
    async with db.read() as session:
        members = await staff_repo.list_staff(session)
    staff = {m.email.split("@")[0]: m for m in members}
    return World(db, config, staff)


def on(day: date, hh: int, mm: int = 0) -> datetime:
    """A London wall-clock time as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo("Europe/London"))
