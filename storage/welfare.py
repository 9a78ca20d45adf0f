"""Welfare check-ins: the staff member's own (Appendix A), never part of a case file."""

from __future__ import annotations

from typing import Any

from storage.db import AsyncSession
from storage.models import WelfareCheckIn


async def own_checkin(
    session: AsyncSession, *, staff_id: int, checkin_id: Any
) -> WelfareCheckIn | None:
    """A check-in, only if it is this member of staff's: someone else's is not found."""
    if not isinstance(checkin_id, int) or isinstance(checkin_id, bool):
        return None
    checkin = await session.get(WelfareCheckIn, checkin_id)
    return checkin if checkin is not None and checkin.staff_id == staff_id else None
