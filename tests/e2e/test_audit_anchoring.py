"""The running server anchors the audit trail's head outside the database (issue 16).

tests/integration/test_audit_trail.py proves that `audit verify` names truncation and
rewinding against anchors it appends by hand. This proves the other half: a real server,
left to itself, appends the head to the anchor file as the chain moves (at start, then at
most every `[audit] anchor_every_seconds`, and at stop), so an insider who later deletes
the newest events and rewinds the head is caught by what the server wrote. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from bot.settings import AuditSettings
from storage import audit
from storage.audit_chain import Tampering
from storage.db import Database
from tests.backends import both_backends
from tests.monitoring_support import report, wait_for
from tests.slack_harness import start_world


async def anchored_up_to_head(db: Database) -> int | None:
    """The head's number, once the anchor file's last line records it."""
    seq, digest = await audit.head_now(db)
    anchors = db.audit.anchors()
    if anchors and (anchors[-1].seq, anchors[-1].hash) == (seq, digest):
        return seq
    return None


@both_backends
async def test_the_server_anchors_the_head_as_it_moves_and_truncation_is_caught(
    fresh_db_url: str, tmp_path: Path
) -> None:
    files = AuditSettings(
        key_file=str(tmp_path / "audit.key"),
        anchor_file=str(tmp_path / "audit.anchors"),
        anchor_every_seconds=1,
    )
    slack, stop = await start_world(fresh_db_url, audit=files, scheduler_interval_seconds=0.2)
    try:
        db = slack.db
        await report(slack)
        first = await wait_for(lambda: anchored_up_to_head(db), what="the first anchor")
        await report(slack)
        second = await wait_for(lambda: anchored_up_to_head(db), what="an anchor after more")
        assert second > first
        # The chain verifies against what the server anchored.
        async with db.read() as session:
            verdict = await audit.verify(session)
        assert verdict.ok, verdict.reason
    finally:
        await stop()
    # At stop the head is anchored too; every line is sealed with the key.
    anchors = slack.db.audit.anchors()
    assert len(anchors) >= 2 and all(a.seal for a in anchors)
    assert anchors[-1].seq >= second

    # An insider deletes the second report's events and rewinds the head to the first's.
    after = Database(fresh_db_url, audit=slack.db.audit)
    try:

        def rewind(conn: Connection) -> None:
            kept = conn.execute(
                text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": first}
            ).scalar_one()
            conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": first})
            conn.execute(
                text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                {"s": first, "h": kept},
            )

        await after.run_sync(rewind)
        async with after.read() as session:
            verdict = await audit.verify(session)
    finally:
        await after.dispose()
    assert not verdict.ok
    assert Tampering.TRUNCATED in {f.kind for f in verdict.findings}, verdict.findings
