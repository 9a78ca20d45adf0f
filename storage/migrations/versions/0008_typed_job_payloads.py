"""typed job payloads: review reminders carry their review date

A review reminder's payload now says which review date it was stored for (and an
overdue repeat, which day it is for), instead of the scheduler parsing them back out of
the job's key. Jobs still waiting are given those fields from their keys, once; the keys
themselves do not change, so nothing is scheduled twice.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

jobs = sa.table(
    "scheduled_jobs",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("payload", sa.JSON),
)


def _with_dates(kind: str, key: str, payload: dict) -> dict:
    # review-reminder:{strategy}:{date}:{lead}; review-overdue:{strategy}:{date}[:{on}]
    parts = key.split(":")
    payload = dict(payload)
    payload.setdefault("review_date", parts[2])
    if kind == "review_overdue" and len(parts) > 3:
        payload.setdefault("on", parts[3])
    return payload


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(jobs.c.id, jobs.c.key, jobs.c.kind, jobs.c.payload).where(
            jobs.c.kind.in_(("review_reminder", "review_overdue")),
            jobs.c.status == "pending",
        )
    ).all()
    for row in rows:
        bind.execute(
            jobs.update()
            .where(jobs.c.id == row.id)
            .values(payload=_with_dates(row.kind, row.key, row.payload or {}))
        )


def downgrade() -> None:
    """The extra fields are harmless to older code, which reads the keys."""
