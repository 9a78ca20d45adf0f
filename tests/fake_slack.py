"""A fake Slack Web API on loopback that records every call the bot makes.

It answers like Slack for the methods the bot uses, routed by a table, and can be
told to fail a method (429 with Retry-After, 500) a number of times.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

if TYPE_CHECKING:
    from tests.fake_socket_mode import FakeSocketMode

Handler = Callable[["FakeSlack", dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    # Only calls to this channel fail (a person's DM: dm(user_id)); None for any.
    channel: str | None = None


@dataclass
class FakeSlack:
    token: str = "xoxb-test-token"
    # The app-level token, for Socket Mode's apps.connections.open.
    app_token: str = "xapp-1-test-app-token"
    socket: FakeSocketMode | None = None
    # The workspace's members by email, as users.lookupByEmail finds them.
    users: dict[str, str] = field(default_factory=dict)
    # The bot token's scopes, sent in every answer's x-oauth-scopes header as Slack does.
    scopes: list[str] = field(
        default_factory=lambda: [
            "chat:write", "commands", "im:write", "im:history", "files:write",
            "users:read", "users:read.email",
        ]
    )  # fmt: skip
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    base_url: str = ""
    # Seconds to wait before answering a method, to catch a sender mid-call.
    delays: dict[str, float] = field(default_factory=dict)
    # Every method as its request arrives, before any delay: shows a call in flight.
    arrived: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _ts: Any = field(default_factory=lambda: itertools.count(1))

    # -- control -----------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        error: str = "fatal_error",
        channel: str | None = None,
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": "ratelimited" if status == 429 else error}
        failure = Failure(status, headers, body, channel)
        self.failures[method].extend(failure for _ in range(times))

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def posts_to(self, user_id: str) -> list[dict[str, Any]]:
        return [p for p in self.calls_to("chat.postMessage") if p.get("channel") == dm(user_id)]

    # -- server ------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/respond/{n}", self._respond)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return f"{self.base_url}/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def response_url(self, n: int = 0) -> str:
        return f"{self.base_url}/respond/{n}"

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        if request.content_type == "application/json":
            params = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw, keep_blank_values=True))
            params.update(request.query)
        for key in ("blocks", "view", "metadata", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = self.app_token if method in APP_TOKEN_METHODS else self.token
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        params = await self._params(request)
        self.arrived.append(method)
        failure = next(
            (f for f in self.failures[method] if f.channel in (None, params.get("channel"))),
            None,
        )
        if failure is not None:
            self.failures[method].remove(failure)
            self.calls.append(Call(f"{method}!{failure.status}", params))
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        if method in self.delays:
            await asyncio.sleep(self.delays[method])
        self.calls.append(Call(method, params))
        handler = ROUTES.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        scopes = {"x-oauth-scopes": ",".join(self.scopes)}
        return web.json_response(handler(self, params), headers=scopes)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK")

    async def _respond(self, request: web.Request) -> web.Response:
        body = json.loads(await request.text())
        self.responses.append(body)
        return web.Response(text="ok")

    def next_ts(self) -> str:
        """A real, strictly increasing Slack timestamp, so `oldest` filters work."""
        now = time.time()
        self._last_ts = max(now, getattr(self, "_last_ts", 0.0) + 0.000001)
        return f"{self._last_ts:.6f}"


def dm(user_id: str) -> str:
    return "D" + user_id[1:]


def _ok(**kw: Any) -> dict[str, Any]:
    return {"ok": True, **kw}


def _post(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    ts = fake.next_ts()
    message = {"ts": ts, "text": p.get("text"), "blocks": p.get("blocks")}
    if p.get("metadata"):
        message["metadata"] = p["metadata"]
    fake.channels[p["channel"]].insert(0, message)
    return _ok(channel=p["channel"], ts=ts, message=message)


def _history(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    oldest = float(p.get("oldest") or 0)
    newest_first = [m for m in fake.channels[p["channel"]] if float(m["ts"]) > oldest]
    start = int(p.get("cursor") or 0)
    limit = int(p.get("limit", 100))
    page = newest_first[start : start + limit]
    include = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
    if not include:
        page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
    more = start + limit < len(newest_first)
    meta = {"next_cursor": str(start + limit) if more else ""}
    return _ok(messages=page, has_more=more, response_metadata=meta)


def _upload_url(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    file_id = f"F{len(fake.uploads) + len(fake.calls):06d}"
    return _ok(upload_url=f"{fake.base_url}/upload/{file_id}", file_id=file_id)


def _complete(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    files = p.get("files")
    files = json.loads(files) if isinstance(files, str) else files
    return _ok(files=[{"id": f["id"], "title": f.get("title", "")} for f in files])


def _connections_open(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    if fake.socket is None:
        return {"ok": False, "error": "not_allowed_token_type"}
    return _ok(url=fake.socket.open_url())


def _lookup(fake: FakeSlack, p: dict[str, Any]) -> dict[str, Any]:
    user_id = fake.users.get(str(p.get("email", "")).lower())
    if user_id is None:
        return {"ok": False, "error": "users_not_found"}
    return _ok(user={"id": user_id, "profile": {"email": p["email"]}, "deleted": False})


# Methods called with the app-level token rather than the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

ROUTES: dict[str, Handler] = {
    "apps.connections.open": _connections_open,
    "users.lookupByEmail": _lookup,
    "conversations.open": lambda f, p: _ok(channel={"id": dm(p["users"])}),
    "chat.postMessage": _post,
    "chat.update": lambda f, p: _ok(channel=p["channel"], ts=p["ts"]),
    "conversations.history": _history,
    "views.open": lambda f, p: _ok(view={"id": "V1", **(p.get("view") or {})}),
    "views.publish": lambda f, p: _ok(view={"id": "V2", **(p.get("view") or {})}),
    "files.getUploadURLExternal": _upload_url,
    "files.completeUploadExternal": _complete,
    "auth.test": lambda f, p: _ok(user_id="UBOT", bot_id="BBOT", team_id="T1"),
}
