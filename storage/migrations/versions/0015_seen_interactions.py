"""seen interactions: each submission and button press is processed at most once

A key per request that changed something (its platform's identifiers, digested), written
in the transaction of that change, with the answer it got, for a repeat to be given the
same answer and change nothing (storage/seen.py).

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0015"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_interactions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("seen_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_interactions")),
    )
    op.create_index(
        op.f("ix_seen_interactions_expires_at"), "seen_interactions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_seen_interactions_expires_at"), table_name="seen_interactions")
    op.drop_table("seen_interactions")
