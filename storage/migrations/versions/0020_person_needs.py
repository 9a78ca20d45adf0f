"""a person's needs, told at any time (s5): the methods they cannot use, and each time
they told us (the first of which is when they were first asked)

Nullable: people from before read as "not yet asked", and keep their audited state
(storage.audit.record_state leaves out None).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("unusable_methods", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("needs_history", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("needs_history")
        batch.drop_column("unusable_methods")
