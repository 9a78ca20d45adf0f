"""who may authorise, and on what authority (s7): the Head of Business Services and
Assurance, or senior staff nominated by the Chief Executive, by whom and since when

Copied from the staff directory file at each sync. Nullable: rows from before read as
"not recorded", and keep their audited state.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.add_column(sa.Column("head_of_business_services", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("nominated_by_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("nominated_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.drop_column("nominated_on")
        batch.drop_column("nominated_by_email")
        batch.drop_column("head_of_business_services")
