"""a contact that is a request for information (s9): freedom of information or subject access

s9: such a request may arrive through a channel a strategy restricts; it is recorded as
what it is, never as a breach, and goes to whoever handles them. The column is nullable,
so contacts logged before it read as "not asked" and keep their audited state.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_logs") as batch:
        batch.add_column(sa.Column("information_request", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_logs") as batch:
        batch.drop_column("information_request")
