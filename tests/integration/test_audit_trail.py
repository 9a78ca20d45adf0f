"""The audit trail against an insider with the database (issue 16, item 1).

Each test tampers as such an insider would, with plain SQL behind the application's
back, on SQLite and PostgreSQL, and checks that `audit verify` names the kind of
tampering: an event rewritten and the chain re-hashed, the newest events deleted and
the head rewound, everything wiped, a decision row edited, an event forged at the end,
and a wrong key; and that `safecontact serve` refuses to start on a wrong key.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from storage import audit, audit_chain
from storage.audit_chain import GENESIS, Tampering
from storage.audit_files import KEY_ENV, AuditFiles, resolve
from storage.db import Database
from storage.models import AuditEvent, Authorisation, Incident, Restriction
from tests.backends import both_backends
from tests.dialog_world import make_world

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def _five_events(db: Database) -> None:
    for n in range(1, 6):
        async with db.write() as s:
            await audit.record(
                s,
                actor=f"staff:{n}",
                action="incident.reported",
                entity_type="incident",
                entity_id=n,
                detail={"reference": f"SC-2026-{n:05d}"},
            )


async def _anchor(db: Database) -> None:
    seq, digest = await audit.head_now(db)
    db.audit.append_anchor(seq=seq, digest=digest, at=NOW)


async def _verify(db: Database) -> audit.Verdict:
    async with db.read() as s:
        return await audit.verify(s)


async def _sql(db: Database, *statements: str, **params: object) -> None:
    def run(conn: object) -> None:
        for sql in statements:
            conn.execute(text(sql), params)  # type: ignore[attr-defined]

    await db.run_sync(run)


async def _events(db: Database) -> list[AuditEvent]:
    async with db.read() as s:
        return list((await s.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def _rechain_without_key(db: Database, *, from_seq: int) -> None:
    """What the attacker of issue 16 did: recompute every hash from `from_seq` on with
    plain SHA-256 (they have the database, not the key) and move the head along."""
    events = await _events(db)
    prev = events[from_seq - 2].hash if from_seq > 1 else GENESIS
    statements = []
    for ev in events[from_seq - 1 :]:
        body = audit_chain.event_body(
            seq=ev.seq,
            prev_hash=prev,
            at=ev.at,
            actor=ev.actor,
            action=ev.action,
            entity_type=ev.entity_type,
            entity_id=ev.entity_id,
            detail=ev.detail,
            state=ev.state,
        )
        digest = audit_chain.plain_hash(body)
        statements.append(
            f"UPDATE audit_events SET prev_hash = '{prev}', hash = '{digest}' WHERE seq = {ev.seq}"
        )
        prev = digest
    statements.append(f"UPDATE audit_head SET hash = '{prev}' WHERE id = 1")
    await _sql(db, *statements)


def _only(verdict: audit.Verdict, kind: Tampering) -> audit_chain.Finding:
    assert not verdict.ok
    assert kind in verdict.kinds, verdict.findings
    return next(f for f in verdict.findings if f.kind is kind)


@both_backends
async def test_a_clean_chain_verifies_with_its_key_and_anchors(db: Database) -> None:
    await _five_events(db)
    await _anchor(db)
    verdict = await _verify(db)
    assert verdict.ok and verdict.checked == 5 and verdict.keyed
    anchors = db.audit.anchors()
    assert [(a.seq, a.at) for a in anchors] == [(5, "2026-12-01T10:00:00+00:00")]


@both_backends
async def test_a_middle_event_rewritten_and_rechained_is_named(db: Database) -> None:
    await _five_events(db)
    await _anchor(db)
    await _sql(db, "UPDATE audit_events SET actor = 'staff:9' WHERE seq = 3")
    await _rechain_without_key(db, from_seq=3)
    verdict = await _verify(db)
    found = _only(verdict, Tampering.RECHAINED)
    assert found.seq == 3 and "without the key" in found.text
    assert Tampering.FORGED not in verdict.kinds


@both_backends
async def test_an_event_rewritten_in_place_is_named(db: Database) -> None:
    await _five_events(db)
    await _sql(db, "UPDATE audit_events SET actor = 'staff:9' WHERE seq = 3")
    found = _only(await _verify(db), Tampering.REWRITTEN)
    assert found.seq == 3 and "event 3 (incident.reported on incident 3)" in found.text


@both_backends
async def test_truncating_and_rewinding_the_head_is_named(db: Database) -> None:
    await _five_events(db)
    await _anchor(db)
    three = (await _events(db))[2]
    await _sql(
        db,
        "DELETE FROM audit_events WHERE seq > 3",
        f"UPDATE audit_head SET seq = 3, hash = '{three.hash}' WHERE id = 1",
    )
    found = _only(await _verify(db), Tampering.TRUNCATED)
    assert found.seq == 4
    assert "ends at event 3, but 5 events were anchored at 2026-12-01T10:00" in found.text


@both_backends
async def test_wiping_back_to_the_start_is_named(db: Database) -> None:
    await _five_events(db)
    await _anchor(db)
    await _sql(
        db,
        "DELETE FROM audit_events",
        f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}', keyed_from = NULL, key_id = NULL",
    )
    found = _only(await _verify(db), Tampering.WIPED)
    assert "the chain is empty, but 5 events were anchored" in found.text
    # And `serve` refuses to start on it: its next write would seal the wiped chain as
    # if it were the first (keyed_from NULL reads as "nothing keyed yet").
    refused = await audit.check_key(db)
    assert refused is not None and refused.kind is Tampering.UNKEYED
    assert "records a keyed one" in refused.text


@both_backends
async def test_a_forged_event_appended_is_named(db: Database) -> None:
    await _five_events(db)
    await _anchor(db)
    five = (await _events(db))[4]
    forged = {
        "seq": 6,
        "prev": five.hash,
        "at": NOW,
        "actor": "staff:2",
        "action": "authorisation.approved",
        "entity_type": "authorisation",
        "entity_id": "1",
        "detail": {},
    }
    body = audit_chain.event_body(
        seq=6,
        prev_hash=five.hash,
        at=NOW,
        actor="staff:2",
        action="authorisation.approved",
        entity_type="authorisation",
        entity_id="1",
        detail={},
    )
    digest = audit_chain.plain_hash(body)
    await _sql(
        db,
        "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, detail, "
        "prev_hash, hash) VALUES (:seq, :at, :actor, :action, :entity_type, :entity_id, "
        f"'{{}}', :prev, '{digest}')",
        f"UPDATE audit_head SET seq = 6, hash = '{digest}' WHERE id = 1",
        **{k: v for k, v in forged.items() if k != "detail"},
    )
    verdict = await _verify(db)
    found = _only(verdict, Tampering.FORGED)
    assert found.seq == 6 and "added without the key" in found.text
    assert Tampering.RECHAINED not in verdict.kinds


@both_backends
async def test_a_wrong_key_is_named_and_nothing_else(db: Database, tmp_path: Path) -> None:
    await _five_events(db)
    await _anchor(db)
    other = AuditFiles(key_path=tmp_path / "other.key", anchor_path=db.audit.anchor_path)
    assert other.key != db.audit.key  # another office's key, say
    wrong = Database(db.url.render_as_string(hide_password=False), audit=other)
    # No key at all: named as such, and no key is made (it would only be another wrong one).
    none = AuditFiles(key_path=tmp_path / "none.key", anchor_path=db.audit.anchor_path)
    keyless = Database(db.url.render_as_string(hide_password=False), audit=none)
    try:
        verdict = await _verify(wrong)
        assert {f.kind for f in verdict.findings} == {Tampering.WRONG_KEY}
        assert "this key is" in verdict.findings[0].text
        found = await audit.check_key(wrong)
        assert found is not None and found.kind is Tampering.WRONG_KEY
        assert await audit.check_key(db) is None
        verdict = await _verify(keyless)
        assert not verdict.ok and {f.kind for f in verdict.findings} == {Tampering.WRONG_KEY}
        assert "there is no key at" in verdict.findings[0].text
        assert not (tmp_path / "none.key").exists()
    finally:
        await wrong.dispose()
        await keyless.dispose()


@both_backends
async def test_an_edited_decision_row_and_incident_text_are_named(db: Database) -> None:
    world = await make_world(db)
    strategy_id = await world.active_strategy(NOW)
    assert (await _verify(db)).ok, "the flows leave each record in its audited state"
    async with db.read() as s:
        auth = (
            await s.execute(select(Authorisation).where(Authorisation.strategy_id == strategy_id))
        ).scalar_one()
        incident = (await s.execute(select(Incident))).scalars().first()
    assert incident is not None and auth.decided_by_id == world.who("bea").id
    # Who approved the restriction, changed behind the application's back.
    await _sql(
        db,
        f"UPDATE authorisations SET decided_by_id = {world.who('jo').id} WHERE id = {auth.id}",
        f"UPDATE incidents SET what_happened = 'Nothing much.' WHERE id = {incident.id}",
    )
    verdict = await _verify(db)
    found = _only(verdict, Tampering.EDITED_RECORD)
    assert ("authorisation", str(auth.id)) in verdict.edited
    assert ("incident", str(incident.id)) in verdict.edited
    assert f"authorisation {auth.id}" in found.text and f"incident {incident.id}" in found.text
    # The chain itself is intact: only the rows moved.
    assert {f.kind for f in verdict.findings} == {Tampering.EDITED_RECORD}


@both_backends
async def test_an_edited_restriction_is_named(db: Database) -> None:
    """What a strategy restricts (s7) is held to its audited state like the decision."""
    world = await make_world(db)
    strategy_id = await world.active_strategy(NOW)
    assert (await _verify(db)).ok
    async with db.read() as s:
        restriction = (
            (await s.execute(select(Restriction).where(Restriction.strategy_id == strategy_id)))
            .scalars()
            .first()
        )
    assert restriction is not None
    await _sql(db, f"UPDATE restrictions SET kind = 'spoc' WHERE id = {restriction.id}")
    verdict = await _verify(db)
    _only(verdict, Tampering.EDITED_RECORD)
    assert list(verdict.edited) == [("restriction", str(restriction.id))]


@both_backends
async def test_an_unkeyed_chain_from_before_0012_is_sealed_at_its_next_write(
    db: Database,
) -> None:
    # Two events as the old code wrote them: plain SHA-256, the head unkeyed.
    prev, statements = GENESIS, []
    for n in (1, 2):
        body = audit_chain.event_body(
            seq=n,
            prev_hash=prev,
            at=NOW,
            actor="system",
            action="staff.added",
            entity_type="staff",
            entity_id=str(n),
            detail={},
        )
        digest = audit_chain.plain_hash(body)
        statements.append(
            "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, detail, "
            f"prev_hash, hash) VALUES ({n}, :at, 'system', 'staff.added', 'staff', '{n}', "
            f"'{{}}', '{prev}', '{digest}')"
        )
        prev = digest
    statements.append(f"UPDATE audit_head SET seq = 2, hash = '{prev}' WHERE id = 1")
    await _sql(db, *statements, at=NOW)
    before = await _verify(db)
    assert before.ok and not before.keyed

    async with db.write() as s:
        await audit.record(s, actor="system", action="x", entity_type="t", entity_id=1)
    events = await _events(db)
    seal = events[2]
    assert seal.action == audit_chain.KEYED_ACTION
    assert seal.detail["unkeyed_events"] == 2 and seal.detail["unkeyed_head"] == prev
    assert seal.detail["key_id"] == audit_chain.key_id(db.audit.key)
    after = await _verify(db)
    assert after.ok and after.keyed and after.checked == 4
    # An older event changed now breaks the chain at the seal, which nobody can redo.
    await _sql(db, "UPDATE audit_events SET actor = 'staff:9' WHERE seq = 1")
    assert _only(await _verify(db), Tampering.REWRITTEN).seq == 1


@both_backends
async def test_events_of_a_savepoint_rolled_back_are_not_written(db: Database) -> None:
    async with db.write() as s:
        await audit.record(s, actor="a", action="kept", entity_type="t", entity_id=1)
        with pytest.raises(RuntimeError):
            async with s.begin_nested():
                await audit.record(s, actor="a", action="dropped", entity_type="t", entity_id=2)
                raise RuntimeError
        await audit.record(s, actor="a", action="kept", entity_type="t", entity_id=3)
    assert [e.action for e in await _events(db)] == ["kept", "kept"]
    assert (await _verify(db)).ok


async def test_the_key_is_made_beside_the_database_readable_by_its_owner_only(
    tmp_path: Path,
    fresh_db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(KEY_ENV)
    files = resolve(fresh_db_url)
    db_file = Path(fresh_db_url.split("///", 1)[1])
    assert files.key_path == db_file.with_name("safecontact.db.audit-key")
    assert files.anchor_path == db_file.with_name("safecontact.db.audit-anchors")
    db = Database(fresh_db_url)
    try:
        async with db.write() as s:
            await audit.record(s, actor="a", action="b", entity_type="t", entity_id=1)
    finally:
        await db.dispose()
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(files.key_path.read_text().strip())) == 32
    told = [r.getMessage() for r in caplog.records if "audit trail's key" in r.getMessage()]
    assert told and str(files.key_path) in told[0] and "back it up" in told[0]


def test_serve_refuses_to_start_on_a_wrong_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFECONTACT_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'safecontact.db'}"
    env[KEY_ENV] = str(tmp_path / "right.key")
    (tmp_path / "safecontact.toml").write_text(
        '[[staff]]\nname = "Kit Lane"\nemail = "kit.lane@example.org"\nroles = ["admin"]\n'
    )

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).with_name("safecontact")), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    assert run("staff", "list").returncode == 0  # writes events, keyed with right.key
    assert run("audit", "verify").returncode == 0
    env[KEY_ENV] = str(tmp_path / "wrong.key")
    (tmp_path / "wrong.key").write_text(os.urandom(32).hex() + "\n")
    refused = run("serve", "--port", "0", "--host", "127.0.0.1")
    assert refused.returncode == 5, refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.startswith("safecontact:")]
    assert len(lines) == 1 and "refusing to start" in lines[0] and "wrong.key" in lines[0]
    assert "listening" not in refused.stdout
    verify = run("audit", "verify")
    assert verify.returncode == 1 and "wrong key" in verify.stderr
    # No key at all: refused too, and no new key is made in its place.
    env[KEY_ENV] = str(tmp_path / "missing.key")
    missing = run("serve", "--port", "0", "--host", "127.0.0.1")
    assert missing.returncode == 5 and "no key at" in missing.stderr
    assert not (tmp_path / "missing.key").exists()


def test_anchor_lines_are_json_sealed_with_the_key(tmp_path: Path) -> None:
    files = AuditFiles(key_path=tmp_path / "k", anchor_path=tmp_path / "a")
    files.append_anchor(seq=3, digest="ab" * 32, at=NOW)
    line = json.loads((tmp_path / "a").read_text())
    assert line["seq"] == 3 and line["at"] == "2026-12-01T10:00:00+00:00"
    assert line["seal"] == audit_chain.anchor_seal(
        files.key, seq=3, digest="ab" * 32, at=line["at"]
    )
