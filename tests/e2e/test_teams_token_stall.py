"""A forged Bot Framework token cannot stall the server (issue 16, item 3).

The SDK fetches the Bot Framework's signing keys to check a token whose issuer is the
Bot Framework's; it did so with a blocking call, with no timeout, on the event loop, and
again for every such request. Here the metadata host is a slow server on loopback (in a
thread of its own, so a blocking fetch would block the bot and not it), and forged
tokens arrive while /healthz and Slack are used: they must answer while the forged
requests are still waiting (no timed assertion: the order of events is the test).
Tokens that can never be valid are refused before any fetch, and a failed fetch is
remembered, so a second wave costs no fetch at all.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.slack_harness import SlackWorld, start_world
from tests.teams_harness import SAM, conversation

APP_ID = "11111111-2222-3333-4444-555555555555"
BOT_FRAMEWORK = "https://api.botframework.com"


class SlowMetadata:
    """An OpenID metadata host that takes its time (until released, or 20 s)."""

    def __init__(self) -> None:
        self.hits = 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                outer.release.wait(20)
                body = json.dumps({"jwks_uri": "http://127.0.0.1:9/keys"}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the bot gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metadata"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def metadata() -> Iterator[SlowMetadata]:
    host = SlowMetadata()
    try:
        yield host
    finally:
        host.close()


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def forged(**claims: Any) -> str:
    """A self-signed token that looks like the Bot Framework's: it needs the keys."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "forged-key"}
    body = {"iss": BOT_FRAMEWORK, "aud": APP_ID, "exp": int(time.time()) + 3600, **claims}
    return f"Bearer {_b64(header)}.{_b64(body)}.c2lnbmF0dXJl"


def activity(world: SlackWorld) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "forged-1",
        "channelId": "msteams",
        "serviceUrl": "http://127.0.0.1:9/",
        "from": {"id": f"29:{SAM}", "aadObjectId": SAM},
        "recipient": {"id": "28:safecontact-bot"},
        "conversation": {"id": conversation(SAM), "conversationType": "personal"},
        "text": "checkin",
    }


async def post_teams(world: SlackWorld, auth: str) -> int:
    async with world.http.post(
        f"{world.url}/api/messages",
        data=json.dumps(activity(world)),
        headers={"Content-Type": "application/json", "Authorization": auth},
    ) as resp:
        return resp.status


async def healthz(world: SlackWorld) -> int:
    async with world.http.get(f"{world.url}/healthz") as resp:
        return resp.status


async def _until(check: Any, what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


async def test_forged_tokens_do_not_stall_healthz_or_slack(
    fresh_db_url: str, metadata: SlowMetadata
) -> None:
    world, stop = await start_world(
        fresh_db_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="secret",
        microsoft_openid_metadata_url=metadata.url,
    )
    try:
        assert await healthz(world) == 200  # the baseline: it answers at all
        wave = [asyncio.ensure_future(post_teams(world, forged(n=n))) for n in range(3)]
        await _until(lambda: metadata.hits >= 1, "the bot never asked for the keys")

        # The keys are being fetched, slowly; everything else goes on meanwhile.
        assert await healthz(world) == 200
        status, _ = await world.command("U0SAM", "/case", "NOPE-1")
        assert status == 200
        still_waiting = [not t.done() for t in wave]
        assert all(still_waiting), "the server answered only after the forged requests"

        assert [await t for t in wave] == [401, 401, 401]
        hits = metadata.hits
        # The failure is remembered: a second wave is refused without another fetch.
        assert [await post_teams(world, forged(n=n)) for n in range(5)] == [401] * 5
        assert metadata.hits == hits
    finally:
        await stop()


@pytest.mark.parametrize(
    "auth",
    [
        "",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer a.b",
        "Bearer "
        + _b64({"alg": "none", "kid": "k"})
        + "."
        + _b64({"iss": BOT_FRAMEWORK, "aud": APP_ID, "exp": 9999999999})
        + ".c2ln",
        "Bearer "
        + _b64({"alg": "HS256", "kid": "k"})
        + "."
        + _b64({"iss": BOT_FRAMEWORK, "aud": APP_ID, "exp": 9999999999})
        + ".c2ln",
        forged(iss="https://evil.example"),
        forged(aud="another-app"),
        forged(exp=int(time.time()) - 3600),
        "Bearer " + _b64({"alg": "RS256"}) + "." + _b64({"iss": BOT_FRAMEWORK}) + ".c2ln",
    ],
    ids=["none", "basic", "garbage", "two-parts", "alg-none", "hs256", "issuer", "audience",
         "expired", "no-kid"],
)  # fmt: skip
async def test_tokens_that_can_never_be_valid_are_refused_before_any_fetch(
    fresh_db_url: str, metadata: SlowMetadata, auth: str
) -> None:
    world, stop = await start_world(
        fresh_db_url,
        microsoft_app_id=APP_ID,
        microsoft_app_password="secret",
        microsoft_openid_metadata_url=metadata.url,
    )
    try:
        assert await post_teams(world, auth) == 401
        assert metadata.hits == 0
    finally:
        await stop()
