"""a police report not made, and why: an authoriser's reason on the incident (s6)

s6: "We will always do this if physical violence is used or threatened". A referral stays
open on such an incident until it is recorded, or until an authoriser records why it is not
being made. The columns are nullable, so every incident from before reads as "nothing
decided" and keeps its audited state (storage.audit.record_state leaves out None).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("police_not_referred_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("police_not_referred_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "police_not_referred_at",
                storage.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch.create_foreign_key(
            op.f("fk_incidents_police_not_referred_by_id_staff_members"),
            "staff_members",
            ["police_not_referred_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_constraint(
            op.f("fk_incidents_police_not_referred_by_id_staff_members"), type_="foreignkey"
        )
        batch.drop_column("police_not_referred_at")
        batch.drop_column("police_not_referred_by_id")
        batch.drop_column("police_not_referred_reason")
