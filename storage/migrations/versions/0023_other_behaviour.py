"""a behaviour the policy's lists do not name, described (s3)

The lists of s3.1 and s3.2 are examples ("may involve"); a report can choose "other" in
each and describe it. Nullable: reports from before read as "none described".

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 22:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("other_behaviour", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("other_behaviour")
