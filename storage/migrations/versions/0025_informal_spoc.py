"""a single point of contact appointed as an informal step, before any restriction (s6)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("spoc_staff_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("spoc_since", storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("spoc_appointed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_people_spoc_staff_id_staff_members"),
            "staff_members",
            ["spoc_staff_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_people_spoc_appointed_by_id_staff_members"),
            "staff_members",
            ["spoc_appointed_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint(
            op.f("fk_people_spoc_appointed_by_id_staff_members"), type_="foreignkey"
        )
        batch.drop_constraint(op.f("fk_people_spoc_staff_id_staff_members"), type_="foreignkey")
        batch.drop_column("spoc_appointed_by_id")
        batch.drop_column("spoc_since")
        batch.drop_column("spoc_staff_id")
