"""Teams conversation references: what the bot must keep to message someone first.

Teams lets a bot speak first only in a conversation it has already seen, so the
reference from a staff member's install or first message is stored, one per Entra
object id. It is refreshed when Teams moves the conversation (a new service URL).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from storage.db import AsyncSession, upsert_for
from storage.models import TeamsConversationRef, utcnow


async def get(session: AsyncSession, *, teams_user_id: str) -> TeamsConversationRef | None:
    """The stored reference of one Teams user, if the bot has one."""
    return (
        await session.execute(
            select(TeamsConversationRef).where(TeamsConversationRef.teams_user_id == teams_user_id)
        )
    ).scalar_one_or_none()


def same(
    row: TeamsConversationRef | None,
    *,
    conversation_id: str,
    service_url: str,
    tenant_id: str | None,
    reference: str,
) -> bool:
    """True when `row` already holds exactly this reference, so no write is needed."""
    return row is not None and (
        row.conversation_id,
        row.service_url,
        row.tenant_id,
        row.reference,
    ) == (conversation_id, service_url, tenant_id, reference)


async def save(
    session: AsyncSession,
    *,
    teams_user_id: str,
    conversation_id: str,
    service_url: str,
    tenant_id: str | None,
    reference: str,
) -> None:
    """Insert or replace the user's reference; one upsert, so two replicas cannot collide."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = upsert_for(dialect)
    values = {
        "conversation_id": conversation_id,
        "service_url": service_url,
        "tenant_id": tenant_id,
        "reference": reference,
        "updated_at": utcnow(),
    }
    stmt = (
        insert(TeamsConversationRef)
        .values(teams_user_id=teams_user_id, **values)
        .on_conflict_do_update(index_elements=[TeamsConversationRef.teams_user_id], set_=values)
    )
    await session.execute(stmt)


async def linked_users(session: AsyncSession) -> set[str]:
    """Every Teams account the bot may message first (it holds their conversation)."""
    return set((await session.execute(select(TeamsConversationRef.teams_user_id))).scalars())


async def forget(session: AsyncSession, *, teams_user_id: str) -> bool:
    """Drop the reference (the user removed the app); True if there was one."""
    result = await session.execute(
        delete(TeamsConversationRef).where(TeamsConversationRef.teams_user_id == teams_user_id)
    )
    return bool(result.rowcount)
