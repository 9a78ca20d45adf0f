"""Stored Teams conversation references, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import teams_refs
from storage.db import Database
from storage.models import TeamsConversationRef
from tests.backends import both_backends

REF = {
    "conversation_id": "a:1",
    "service_url": "https://smba.trafficmanager.net/uk/",
    "tenant_id": "t-1",
    "reference": '{"conversation": {"id": "a:1"}}',
}


@both_backends
async def test_save_is_an_upsert_and_forget_removes_it(db: Database) -> None:
    async with db.write() as session:
        await teams_refs.save(session, teams_user_id="aad-1", **REF)
    async with db.read() as session:
        row = await teams_refs.get(session, teams_user_id="aad-1")
        assert teams_refs.same(row, **REF)
        assert not teams_refs.same(row, **{**REF, "service_url": "https://elsewhere.example/"})
    # Teams moved the conversation: the same user's reference is replaced, not duplicated.
    moved = {**REF, "service_url": "https://smba.trafficmanager.net/emea/"}
    async with db.write() as session:
        await teams_refs.save(session, teams_user_id="aad-1", **moved)
    async with db.read() as session:
        total = (
            await session.execute(select(func.count()).select_from(TeamsConversationRef))
        ).scalar_one()
        row = await teams_refs.get(session, teams_user_id="aad-1")
    assert total == 1 and row is not None and row.service_url.endswith("/emea/")
    async with db.write() as session:
        assert await teams_refs.forget(session, teams_user_id="aad-1") is True
        assert await teams_refs.forget(session, teams_user_id="aad-1") is False
    async with db.read() as session:
        assert await teams_refs.get(session, teams_user_id="aad-1") is None
