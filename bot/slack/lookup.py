"""Slack ids from email: `users.lookupByEmail` for each person in the directory.

Run at start and at each directory sync (it needs the users:read.email scope). A person
Slack does not know, or whose account is deactivated, is found as None and cannot be
messaged on Slack. If Slack cannot be asked at all (down, a token without the scope),
the answer is None and the ids found before stand; the log says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import aiohttp

from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Lookups in flight at once; the method is Tier 3 (50 or more a minute), and the client
# waits out a 429 by its Retry-After.
CONCURRENCY = 4
NOT_FOUND = frozenset({"users_not_found", "user_not_found"})


async def find_slack_ids(runtime: Runtime, emails: Iterable[str]) -> dict[str, str | None] | None:
    """Each email's Slack member id (None: no such account), or None if Slack said nothing."""
    # Imported here: a server without Slack never loads the SDK.
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import web_client

    wanted = sorted(set(emails))
    if not runtime.settings.slack_enabled or not wanted:
        return None
    client = web_client(runtime, retries=True)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(email: str) -> str | None:
        async with gate:
            try:
                resp = await client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if exc.response.get("error") in NOT_FOUND:
                    return None
                raise
        user = resp.get("user") or {}
        if user.get("deleted") or user.get("is_bot") or not isinstance(user.get("id"), str):
            return None
        return str(user["id"])

    timeout = aiohttp.ClientTimeout(total=runtime.settings.slack_timeout_seconds)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        client.session = session
        try:
            ids = await asyncio.gather(*(one(email) for email in wanted))
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            advice = (
                ": add the users:read.email scope to the app and reinstall it"
                if error == "missing_scope"
                else ""
            )
            log.warning("could not look up Slack ids by email (%s)%s", error, advice)
            return None
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not reach Slack to look up ids by email: %s", type(exc).__name__)
            return None
    found = dict(zip(wanted, ids, strict=True))
    missing = sum(1 for user_id in ids if user_id is None)
    if missing:
        log.info("%d of %d people have no Slack account with their email", missing, len(ids))
    return found
