"""further actions: legal advice sought or received, and other action beyond a strategy

s7.2: where a contact strategy has not worked, a senior manager may seek legal advice;
the case records that it was done, when and by whom.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "further_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_further_actions_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_members.id"],
            name=op.f("fk_further_actions_recorded_by_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_further_actions")),
    )
    op.create_index(
        op.f("ix_further_actions_person_id"), "further_actions", ["person_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_further_actions_person_id"), table_name="further_actions")
    op.drop_table("further_actions")
