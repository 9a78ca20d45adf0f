"""what was done about the office's own shortcomings before a restriction (s4)

A proposal resting on a report that answered No to an s4 question says what was done
about it. Nullable: strategies from before read as "not asked", and keep their audited
state (storage.audit.record_state leaves out None).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_strategies") as batch:
        batch.add_column(sa.Column("shortcomings_addressed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_strategies") as batch:
        batch.drop_column("shortcomings_addressed")
