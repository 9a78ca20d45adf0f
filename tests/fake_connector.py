"""A fake Bot Connector (the Teams side of the Bot Framework) on loopback.

It answers the REST calls the bot makes, routed by a table: replies, proactive sends,
updates in place and new conversations. It keeps each conversation as a user would see
it (an update replaces the activity it names) and can be told to fail a route (429 with
Retry-After, 500) a number of times.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class Call:
    """One request the bot made: `route` is send, reply, update or create."""

    route: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    authorization: str | None
    status: int = 200
    at: float = field(default_factory=time.monotonic)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if isinstance(a, dict) and a.get("contentType") == CARD
        ]

    @property
    def card(self) -> dict[str, Any]:
        (card,) = self.cards
        return card


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    conversation_id: str | None = None


Handler = Callable[["FakeConnector", web.Request, dict[str, Any]], Awaitable[web.Response]]


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    # conversation id -> activity id -> the activity as it now stands
    conversations: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    url: str = ""
    # The Teams roster: member id (29:...) -> the TeamsChannelAccount the roster API gives.
    roster: dict[str, dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # -- control -----------------------------------------------------------------
    def fail(
        self,
        route: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Answer the next `times` calls to `route` (in one conversation, if given) with
        `status`."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        failure = Failure(status, headers, conversation_id)
        self.failures[route].extend(failure for _ in range(times))

    # -- what the bot did ----------------------------------------------------------
    def made(self, route: str, conversation_id: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.route == route
            and c.status < 300
            and (conversation_id is None or c.conversation_id == conversation_id)
        ]

    def sends_to(self, conversation_id: str) -> list[Call]:
        """Proactive posts (POST /v3/conversations/{id}/activities) that succeeded."""
        return self.made("send", conversation_id)

    def replies_in(self, conversation_id: str) -> list[Call]:
        return self.made("reply", conversation_id)

    def updates_in(self, conversation_id: str) -> list[Call]:
        return self.made("update", conversation_id)

    def seen(self, conversation_id: str) -> list[dict[str, Any]]:
        """The cards in a conversation as the user now sees them, oldest first."""
        out = []
        for activity in self.conversations[conversation_id].values():
            for a in activity.get("attachments") or []:
                if a.get("contentType") == CARD:
                    out.append(a["content"])
        return out

    def all_cards(self) -> list[dict[str, Any]]:
        return [card for c in self.calls if c.status < 300 for card in c.cards]

    # -- server ------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        for method, path, handler in ROUTES:
            app.router.add_route(method, path, self._wrap(handler))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def serve(request: web.Request) -> web.Response:
            body = json.loads(await request.text() or "{}")
            return await handler(self, request, body)

        return serve

    def record(self, route: str, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        """Log the call; answer with a queued failure if there is one."""
        call = Call(
            route,
            request.match_info.get("conversation_id", ""),
            request.match_info.get("activity_id"),
            body,
            request.headers.get("Authorization"),
        )
        self.calls.append(call)
        queued = self.failures[route]
        failure = next(
            (f for f in queued if f.conversation_id in (None, call.conversation_id)), None
        )
        if failure is not None:
            queued.remove(failure)
            call.status = failure.status
            return web.json_response(
                {"error": {"code": "Throttled" if failure.status == 429 else "ServiceError"}},
                status=failure.status,
                headers=failure.headers,
            )
        return None

    def next_id(self) -> str:
        return f"1:activity-{next(self._ids)}"


async def _post(fake: FakeConnector, request: web.Request, body: dict[str, Any]) -> web.Response:
    route = "reply" if "activity_id" in request.match_info else "send"
    refused = fake.record(route, request, body)
    if refused is not None:
        return refused
    activity_id = fake.next_id()
    fake.calls[-1].activity_id = activity_id
    fake.conversations[request.match_info["conversation_id"]][activity_id] = body
    return web.json_response({"id": activity_id}, status=201)


async def _update(fake: FakeConnector, request: web.Request, body: dict[str, Any]) -> web.Response:
    refused = fake.record("update", request, body)
    if refused is not None:
        return refused
    conversation = fake.conversations[request.match_info["conversation_id"]]
    activity_id = request.match_info["activity_id"]
    if activity_id not in conversation:
        fake.calls[-1].status = 404
        return web.json_response({"error": {"code": "ActivityNotFound"}}, status=404)
    conversation[activity_id] = body
    return web.json_response({"id": activity_id})


async def _create(fake: FakeConnector, request: web.Request, body: dict[str, Any]) -> web.Response:
    refused = fake.record("create", request, body)
    if refused is not None:
        return refused
    members = body.get("members") or [{}]
    return web.json_response({"id": f"a:created-{members[0].get('id', 'x')}"}, status=201)


async def _member(fake: FakeConnector, request: web.Request, body: dict[str, Any]) -> web.Response:
    refused = fake.record("member", request, body)
    if refused is not None:
        return refused
    account = fake.roster.get(request.match_info["member_id"])
    if account is None:
        fake.calls[-1].status = 404
        return web.json_response({"error": {"code": "MemberNotFoundInConversation"}}, status=404)
    return web.json_response(account)


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v3/conversations/{conversation_id}/members/{member_id}", _member),
    ("POST", "/v3/conversations", _create),
    ("POST", "/v3/conversations/{conversation_id}/activities", _post),
    ("POST", "/v3/conversations/{conversation_id}/activities/{activity_id}", _post),
    ("PUT", "/v3/conversations/{conversation_id}/activities/{activity_id}", _update),
]
