"""Every submission and button press is processed at most once, on every platform.

A signed Slack request can be sent again for five minutes, a Bot Framework token reused
for an hour, and a person can double-click or a client retry. Each request is named by
its platform's own identifiers, which a genuine second press never shares:

- Slack view_submission: the view's id and hash (the hash changes whenever the view
  does, so the next step of a flow is a new request; a submission refused with field
  errors stores nothing, so correcting it and sending it again goes through);
- Slack block_actions: the action's `action_ts` with the action, its block, its value
  and the container it was pressed in;
- Slack slash command: its `trigger_id`, unique to each invocation. A command is signed
  like any other request, so a replay within five minutes would start a second
  check-in (/checkin) just as a replayed button would;
- Teams (and the web chat): the activity id, within its conversation: card actions
  (invoke) and messages (commands) alike.

The digest of those, with who sent it, is the key (storage/seen.py). The first change the
request makes writes the key in its own transaction, and the answer is kept next to it;
a repeat is given that first answer and runs nothing. Requests that change nothing
(opening a form, a lookup, a refusal) leave no key: running them again is harmless and
their answer is today's. Events (the App Home) and type-ahead options change nothing and
are not keyed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage import seen
from storage.db import WRITE_DEADLINE, Database

log = logging.getLogger(__name__)


def _digest(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_of(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    return value.get("id") if isinstance(value, dict) else None


@dataclass(frozen=True)
class Key:
    digest: str
    platform: str
    kind: str


def slack_key(body: Any) -> Key | None:
    """The key of a Slack interaction; None for a request that carries no identifiers."""
    if not isinstance(body, dict):
        return None
    team, user = _id_of(body, "team") or body.get("team_id"), _id_of(body, "user")
    kind = body.get("type")
    if kind == "view_submission":
        view = body.get("view")
        if not isinstance(view, dict) or not (_text(view.get("id")) and _text(view.get("hash"))):
            return None
        return Key(_digest("slack", kind, team, user, view["id"], view["hash"]), "slack", kind)
    if kind == "block_actions":
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions else None
        if not isinstance(action, dict) or not _text(action.get("action_ts")):
            return None
        container = body.get("container")
        where = (
            tuple(sorted((str(k), str(v)) for k, v in container.items()))
            if isinstance(container, dict)
            else None
        )
        return Key(
            _digest(
                "slack",
                kind,
                team,
                user,
                action["action_ts"],
                action.get("action_id"),
                action.get("block_id"),
                action.get("value"),
                where,
            ),
            "slack",
            kind,
        )
    if _text(body.get("command")) and _text(body.get("trigger_id")):
        user = body.get("user_id")
        return Key(
            _digest("slack", "command", team, user, body["command"], body["trigger_id"]),
            "slack",
            "command",
        )
    return None


def teams_key(activity: Any) -> Key | None:
    """The key of a Teams (or web chat) activity: its id within its conversation."""
    activity_id = _text(getattr(activity, "id", None))
    conversation = _text(getattr(getattr(activity, "conversation", None), "id", None))
    sender = getattr(getattr(activity, "from_property", None), "id", None)
    if activity_id is None or conversation is None:
        return None
    kind = str(getattr(activity, "type", "") or "")[:20]
    return Key(_digest("teams", conversation, activity_id, sender), "teams", kind)


@dataclass
class Once:
    """What a dispatcher holds while it handles a keyed request.

    `repeat` says an earlier copy already changed something; `first` is the answer that
    copy got (None if it was not kept: the server stopped in between, say). Otherwise
    the dispatcher runs the request and hands its answer to `keep`.
    """

    repeat: bool = False
    first: dict[str, Any] | None = None
    _answer: dict[str, Any] | None = field(default=None, repr=False)

    def keep(self, answer: dict[str, Any]) -> None:
        self._answer = answer


@asynccontextmanager
async def once(db: Database, key: Key | None) -> AsyncIterator[Once]:
    """Look the request up, run it (the block) with its key pending, keep its answer."""
    state = Once()
    if key is None:
        yield state
        return
    async with db.read() as session:
        found = await seen.first(session, key.digest)
        if found is not None:
            state.repeat, state.first = True, found.answer
    if state.repeat:
        log.info("answered a repeated %s %s with its first answer", key.platform, key.kind)
        yield state
        return
    pending = seen.Pending(key.digest, key.platform, key.kind)
    seen.PENDING.set(pending)
    try:
        yield state
    finally:
        # Not reset by token: a listener's error may end this block in another context.
        seen.PENDING.set(None)
    if pending.claimed and state._answer is not None:
        # After the answer has gone: no submission's deadline applies to this.
        deadline = WRITE_DEADLINE.set(None)
        try:
            async with db.write() as session:
                await seen.keep_answer(session, key.digest, state._answer, now=datetime.now(UTC))
        except Exception:  # the change is stored; a repeat is refused without the answer
            log.warning("could not keep the answer of a %s %s", key.platform, key.kind)
        finally:
            WRITE_DEADLINE.reset(deadline)
