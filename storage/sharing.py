"""Sharing a strategy with partner agencies (s7.1), and each disclosure made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.db import AsyncSession
from storage.models import Authorisation, SharingRequest
from storage.models.status import AuthorisationStatus


async def get(session: AsyncSession, *, request_id: Any) -> SharingRequest | None:
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return None
    return await session.get(SharingRequest, request_id)


async def approved(session: AsyncSession, *, request_id: int) -> bool:
    stmt = select(Authorisation.id).where(
        Authorisation.sharing_request_id == request_id,
        Authorisation.status == AuthorisationStatus.APPROVED,
    )
    return (await session.execute(stmt)).first() is not None
