"""letters sent and notice before effect: a letter's sending record, where a person's letters
go, what the person is told (kept apart from the internal reasons), and when a strategy
takes effect

Every new column is nullable, so rows written before it read as "not recorded" rather than
as a false record: an old letter is not claimed as sent, and an old strategy has no public
summary to print.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-05 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("letters") as batch:
        batch.add_column(sa.Column("sent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("sent_method", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("sent_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "sent_recorded_at", storage.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.create_foreign_key(
            op.f("fk_letters_sent_by_id_staff_members"), "staff_members", ["sent_by_id"], ["id"]
        )
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("postal_address", sa.Text(), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("contact_strategies") as batch:
        batch.add_column(sa.Column("public_summary", sa.Text(), nullable=True))
        batch.add_column(sa.Column("takes_effect_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("review_after_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("public_summary", sa.Text(), nullable=True))
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("outcome_summary", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("outcome_summary")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("public_summary")
    with op.batch_alter_table("contact_strategies") as batch:
        batch.drop_column("review_after_days")
        batch.drop_column("takes_effect_on")
        batch.drop_column("public_summary")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("email")
        batch.drop_column("postal_address")
    with op.batch_alter_table("letters") as batch:
        batch.drop_constraint(op.f("fk_letters_sent_by_id_staff_members"), type_="foreignkey")
        batch.drop_column("sent_recorded_at")
        batch.drop_column("sent_by_id")
        batch.drop_column("sent_method")
        batch.drop_column("sent_on")
