"""The unit of work: one change, its audit events and the messages it causes, together.

Every flow that changes something writes it as

    async with change(ctx, actor) as uow:
        uow.add(row)
        await uow.audit(AuditAction.X, row, case=reference)
        await uow.tell(manager, Template.Y, model)

and gets, without repeating it: one transaction (a crash keeps all of it or none), one
hash-chained audit event per call, outbox rows written in that same transaction, and the
delivery loop woken once it has committed. The body awaits nothing but the database, so
the whole transaction could be handed to the database driver in one piece.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialogs.context import Ctx
from dialogs.errors import Replayed
from dialogs.jobs.payloads import JobPayload
from dialogs.kinds import AuditAction, Template
from storage import audit, jobs, outbox, seen
from storage.db import AsyncSession
from storage.models import Attachment, Letter, StaffMember
from storage.models.status import OutboxKind

# The audit trail's name for each kind of record lives with the trail (storage/audit.py).
ENTITY_TYPES = audit.ENTITY_TYPES

# `origin` left out of tell(): the change's own actor caused the message.
_ACTOR = object()


@dataclass(frozen=True)
class Named:
    """What an event is about when it is not a stored row: a purge by its date, an
    oversight report by its month."""

    entity_type: str
    entity_id: str


def actor_ref(actor: StaffMember | str | None) -> str:
    """How the audit trail names who acted: "staff:7", or a system actor's own name."""
    if isinstance(actor, StaffMember):
        return f"staff:{actor.id}"
    return actor or "system"


class Change:
    """What a flow holds while it changes the world; see the module docstring."""

    def __init__(self, session: AsyncSession, ctx: Ctx, actor: StaffMember | str | None) -> None:
        self.session = session
        self.ctx = ctx
        self.actor = actor
        self.queued = 0

    @property
    def now(self) -> datetime:
        return self.ctx.now

    def add(self, *rows: Any) -> None:
        self.session.add_all(rows)

    async def flush(self) -> None:
        await self.session.flush()

    async def audit(
        self,
        action: AuditAction,
        entity: Any,
        *,
        by: StaffMember | str | None = None,
        **detail: Any,
    ) -> None:
        """One event about `entity` (a stored row, or a `Named` subject); `by` when someone
        else than the actor took the step. A row's event carries the hash of the state the
        change leaves it in (written at commit), so `audit verify` sees a row edited since."""
        row = None
        if isinstance(entity, Named):
            entity_type, entity_id = entity.entity_type, entity.entity_id
        else:
            if getattr(entity, "id", None) is None:
                await self.session.flush()  # flows use the id once audited
            row, entity_type, entity_id = entity, ENTITY_TYPES[type(entity)], entity.id
        await audit.record(
            self.session,
            actor=actor_ref(by if by is not None else self.actor),
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            detail=detail,
            at=self.ctx.now,
            entity=row,
        )

    async def tell(
        self,
        to: StaffMember,
        template: Template,
        model: dict[str, Any],
        *,
        card_key: str | None = None,
        origin: Any = _ACTOR,
        kind: OutboxKind = OutboxKind.MESSAGE,
        letter: Letter | None = None,
        attachment: Attachment | None = None,
        not_before: datetime | None = None,
    ) -> None:
        """Queue a message to one member of staff, in this transaction.

        `origin` is who is told if it cannot be delivered (the actor unless given);
        `not_before` holds a reminder for office hours, alerts leave it unset.
        """
        if origin is _ACTOR:
            origin = self.actor if isinstance(self.actor, StaffMember) else None
        if (letter is not None and letter.id is None) or (
            attachment is not None and attachment.id is None
        ):
            await self.session.flush()
        await outbox.enqueue(
            self.session,
            recipient_id=to.id,
            template=template,
            model=model,
            card_key=card_key,
            kind=kind,
            letter_id=letter.id if letter is not None else None,
            attachment_id=attachment.id if attachment is not None else None,
            origin_id=origin.id if origin is not None else None,
            not_before=not_before,
        )
        self.queued += 1

    async def refresh_card(self, card_key: str, model: dict[str, Any]) -> None:
        """Bring every copy of a card up to date (chat.update, update_activity)."""
        if await outbox.refresh_card(self.session, card_key=card_key, model=model):
            self.queued += 1

    async def schedule(self, job: JobPayload, *, due_at: datetime) -> bool:
        """Store a durable job once (its key comes from its payload); True if it was new."""
        return await jobs.schedule(
            self.session,
            key=job.key(),
            kind=job.kind,
            due_at=due_at,
            payload=job.model_dump(mode="json", exclude={"kind"}),
        )


@asynccontextmanager
async def change(ctx: Ctx, actor: StaffMember | str | None) -> AsyncIterator[Change]:
    """One write transaction; the outbox is woken only once it has committed.

    The first change a platform request makes also records that request (storage/seen.py),
    in this transaction: a copy of the request sent again changes nothing (Replayed).
    """
    pending = seen.PENDING.get()
    claim = pending is not None and not pending.claimed
    async with ctx.db.write() as session:
        if claim:
            assert pending is not None
            try:
                await seen.claim(session, pending, now=ctx.now)
            except seen.Repeated:
                raise Replayed() from None
        uow = Change(session, ctx, actor)
        yield uow
    if claim:
        assert pending is not None
        pending.claimed = True
    if uow.queued:
        ctx.wake_outbox()
