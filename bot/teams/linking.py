"""Teams ids from the roster: linked when someone first messages the bot or installs it.

A directory entry may give only an email. When a Teams user the directory does not know
by id writes to the bot (or installs it), the bot asks the Teams roster who they are
(TeamsInfo.get_member: their email and user principal name) and links their Entra object
id to the directory entry with that email. From then on they are known by id, and the
outbox can reach them.

Only accounts in the office's own tenant (MICROSOFT_APP_TENANT_ID) are linked: another
tenant's administrator can give an account any email address, and a link is a way into
case files. Without a tenant id set, nobody is linked this way and ids must be given.
"""

from __future__ import annotations

import logging
import time

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.context import ctx_for
from bot.runtime import Runtime
from dialogs import directory
from storage import staff as staff_repo

log = logging.getLogger(__name__)

# Seconds before the roster is asked again about someone it could not link.
RETRY_UNKNOWN = 600.0


def tenant_of(turn: TurnContext) -> str | None:
    activity = turn.activity
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id") if isinstance(data.get("tenant"), dict) else None
    return tenant or getattr(activity.conversation, "tenant_id", None)


class RosterLinker:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Known by id already: no question to the database or the roster on each turn.
        self._known: set[str] = set()
        self._asked: dict[str, float] = {}
        self._warned = False

    async def link_sender(self, turn: TurnContext) -> None:
        """Link the sender if the directory knows their email but not yet their id.

        Never fails the turn: whatever goes wrong, the sender is then simply not known,
        and is told so by the usual refusal.
        """
        try:
            await self._link(turn)
        except Exception:
            log.exception("linking a Teams account from the roster failed")

    async def _link(self, turn: TurnContext) -> None:
        sender = turn.activity.from_property
        aad = getattr(sender, "aad_object_id", None)
        if not isinstance(aad, str) or not aad or len(aad) > 100 or aad in self._known:
            return
        if time.monotonic() < self._asked.get(aad, 0.0):
            return
        ctx = ctx_for(self.runtime)
        async with ctx.db.read() as session:
            member = await staff_repo.get_by_teams_id(session, teams_user_id=aad)
        if member is not None and member.in_directory:
            self._known.add(aad)
            return
        tenant = self.runtime.settings.microsoft_app_tenant_id
        if not tenant:
            if not self._warned:
                self._warned = True
                log.warning(
                    "a Teams user the directory does not know by id wrote to the bot; set "
                    "MICROSOFT_APP_TENANT_ID to your tenant so accounts are linked by email"
                )
            return
        if tenant_of(turn) != tenant:
            log.info("not linking a Teams account from another tenant")
            return
        self._asked[aad] = time.monotonic() + RETRY_UNKNOWN
        account = await TeamsInfo.get_member(turn, sender.id)
        if account.aad_object_id and account.aad_object_id != aad:
            log.warning("the Teams roster names a different account than the sender; not linked")
            return
        emails = [e for e in (account.email, account.user_principal_name) if isinstance(e, str)]
        result = await directory.link(ctx, platform="teams", user_id=aad, emails=emails)
        if result.outcome in ("linked", "known"):
            self._known.add(aad)
            self._asked.pop(aad, None)
        if result.outcome == "linked":
            log.info("linked a Teams account to staff #%s from the roster", result.staff_id)
        elif result.outcome == "conflict":
            log.error(
                "the Teams account the roster gives for staff #%s is not the teams_user_id "
                "the directory file gives them; it is not linked, and the next start refuses "
                "the directory until the file is corrected (safecontact staff link)",
                result.staff_id,
            )
