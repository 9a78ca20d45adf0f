"""Audit events on what the unit of work has no entity type for (s9, s7.1).

`Change.audit` names stored rows of the case (people, strategies, letters ...). The
records flows also answer for things that are not such rows: a subject access request,
a retention purge (named by its date), an oversight report (named by its month). Their
events go through here, with the change's actor and time, in the change's transaction.
"""

from __future__ import annotations

from typing import Any

from dialogs.change import Change, actor_ref
from dialogs.kinds import AuditAction
from storage import audit


async def record(
    uow: Change, action: AuditAction, *, entity_type: str, entity_id: str | int, **detail: Any
) -> None:
    """One event in the change's transaction; `detail` holds references, never names."""
    await audit.record(
        uow.session,
        actor=actor_ref(uow.actor),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=detail,
        at=uow.now,
    )
