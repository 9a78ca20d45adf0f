"""keyed audit chain: each event carries its record's state; the head names its key

Adds `audit_events.state` (the hashes of the audited records' states the change left) and, on the head,
`keyed_from` and `key_id`. Nothing is rewritten here: events already stored keep their
plain SHA-256 hashes, and the first write after the upgrade seals the chain with the key
("audit.keyed", naming the head it found), so they are covered by the key from then on
(docs/security.md, "Audit trail").

Revision ID: 0012
Revises: 0015
Create Date: 2026-12-05 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("state", sa.Text(), nullable=True))
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("keyed_from", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("key_id")
        batch.drop_column("keyed_from")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("state")
