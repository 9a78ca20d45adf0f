"""correspondence read and filed with no action, under a written warning (s6)

s6, written communication: after a written warning, "their correspondence will be read,
but no action will be taken, subject to any legislative requirements". A contact logged
as that names the warning it is filed under. Nullable: contacts from before read as
"not filed so".

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_logs") as batch:
        batch.add_column(sa.Column("read_no_action_warning_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_contact_logs_read_no_action_warning_id_warnings"),
            "warnings",
            ["read_no_action_warning_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_logs") as batch:
        batch.drop_constraint(
            op.f("fk_contact_logs_read_no_action_warning_id_warnings"), type_="foreignkey"
        )
        batch.drop_column("read_no_action_warning_id")
