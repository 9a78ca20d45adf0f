"""new matters a person raised, kept open as their own items until dealt with (s7.2)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("contact_log_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("raised_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", storage.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("signposted_to", sa.String(length=200), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_matters_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["contact_log_id"],
            ["contact_logs.id"],
            name=op.f("fk_matters_contact_log_id_contact_logs"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_matters_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_members.id"],
            name=op.f("fk_matters_recorded_by_id_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["staff_members.id"],
            name=op.f("fk_matters_closed_by_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matters")),
    )
    op.create_index(op.f("ix_matters_person_id"), "matters", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_matters_person_id"), table_name="matters")
    op.drop_table("matters")
