"""The web chat is on this computer only, and only when it should be there at all.

It has no sign-in (you choose who you are), so the page and every endpoint behind it
answer loopback peers only, even on a server bound to 0.0.0.0; a request that names
another host (DNS rebinding), came through a proxy, or was sent by another site open in
the same browser is refused too. With real Slack or Teams credentials the web chat is
not there at all, unless the server was started with --dev.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.runtime import Runtime
from bot.server import create_app
from bot.settings import Settings
from bot.webchat import demo
from bot.webchat.conversations import Chatter
from bot.webchat.guard import SECRET_COOKIE, SECRET_HEADER
from storage.db import Database
from storage.models import Base
from tests.webchat_secret import page_secret, with_secret

WEBCHAT_GETS = ["/", "/webchat/static/chat.js", "/webchat/api/people", "/webchat/vendor/webchat.js"]
SAM = Chatter.from_entry(Settings(staff=demo.directory()).staff[0])


def webchat_posts(secret: str = "no-secret") -> list[tuple[str, Any]]:
    return [
        ("/v3/directline/tokens/generate", {"user": {"id": SAM.user_id}}),
        ("/v3/directline/conversations", {}),
        (f"/v3/directline/conversations/{SAM.conversation_id}/activities", {"type": "message"}),
        (
            f"/webchat/connector/{secret}/v3/conversations/{SAM.conversation_id}/activities",
            {"type": "message", "text": "injected"},
        ),
        (f"/webchat/connector/{secret}/v3/conversations", {"members": [{"id": SAM.user_id}]}),
    ]


def outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("198.51.100.1", 9))
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


async def serve(settings: Settings, *, dev: bool, host: str = "127.0.0.1") -> tuple[int, Any]:
    runtime = Runtime(settings=settings, db=Database(settings.database_url))
    runner = web.AppRunner(create_app(settings, dev=dev, runtime=runtime), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return runner.addresses[0][1], runner.cleanup


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def status_of(
    http: aiohttp.ClientSession, method: str, url: str, **kw: Any
) -> tuple[int, str]:
    async with http.request(method, url, **kw) as resp:
        return resp.status, await resp.text()


# -- loopback only ------------------------------------------------------------------------


async def test_a_peer_on_the_network_is_refused_even_when_bound_to_all_addresses(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False, host="0.0.0.0")
    try:
        outside = f"http://{address}:{port}"
        # The Host header says 127.0.0.1, as a proxy or a crafted request might; the peer
        # address is what counts.
        forged_host = {"Host": f"127.0.0.1:{port}"}
        for path in WEBCHAT_GETS:
            status, text = await status_of(http, "GET", outside + path, headers=forged_host)
            assert status == 403, path
            assert "only on the computer it runs on" in text
        for path, body in webchat_posts():
            status, _ = await status_of(
                http, "POST", outside + path, json=body, headers=forged_host
            )
            assert status == 403, path
        # The rest of the server is not the web chat's to refuse.
        status, _ = await status_of(http, "GET", f"{outside}/healthz")
        assert status == 200
        # The same requests from this computer work.
        local = f"http://127.0.0.1:{port}"
        key = await with_secret(http, local)
        status, _ = await status_of(http, "GET", f"{local}/webchat/api/people", headers=key)
        assert status == 200
    finally:
        await cleanup()


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "attacker.example"},  # DNS rebinding: a page whose name now means 127.0.0.1
        {"Host": "attacker.example:8080"},
        {"X-Forwarded-For": "203.0.113.9"},  # a reverse proxy on this machine
        {"Forwarded": "for=203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
        {"Origin": "https://attacker.example"},  # another site in the same browser
        {"Origin": "null"},
    ],
    ids=["host", "host-port", "x-forwarded-for", "forwarded", "x-real-ip", "origin", "null"],
)
async def test_requests_that_did_not_come_from_this_computer_are_refused(
    fresh_db_url: str, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        key = await with_secret(http, base)  # with the secret: only the header is wrong
        headers = {**key, **headers}
        for path in WEBCHAT_GETS:
            status, _ = await status_of(http, "GET", base + path, headers=headers)
            assert status == 403, path
        for path, body in webchat_posts(key[SECRET_HEADER]):
            status, _ = await status_of(http, "POST", base + path, json=body, headers=headers)
            assert status == 403, path
    finally:
        await cleanup()


async def test_this_computer_by_any_of_its_names_is_served(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            status, page = await status_of(http, "GET", f"{base}/", headers={"Host": host})
            assert status == 200 and "Who are you?" in page, host
        status, _ = await status_of(
            http,
            "POST",
            f"{base}/v3/directline/tokens/generate",
            json={"user": {"id": SAM.user_id}},
            headers={"Origin": f"http://localhost:{port}", **await with_secret(http, base)},
        )
        assert status == 200
    finally:
        await cleanup()


async def test_the_page_forbids_framing_and_foreign_scripts(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        async with http.get(f"http://127.0.0.1:{port}/") as resp:
            csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "connect-src 'self'" in csp
    finally:
        await cleanup()


# -- there only when it should be -----------------------------------------------------------


SLACK = {"slack_bot_token": "xoxb-test", "slack_signing_secret": "s3cret"}
TEAMS = {"microsoft_app_id": "11111111-2222-3333-4444-555555555555", "microsoft_app_password": "pw"}


@pytest.mark.parametrize("credentials", [SLACK, TEAMS], ids=["slack", "teams"])
async def test_with_real_credentials_the_web_chat_is_absent(
    fresh_db_url: str, http: aiohttp.ClientSession, credentials: dict[str, str]
) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory(), **credentials)
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        for path in WEBCHAT_GETS:
            status, _ = await status_of(http, "GET", base + path)
            assert status == 404, path
        for path, body in webchat_posts():
            status, _ = await status_of(http, "POST", base + path, json=body)
            assert status in (404, 405), path
        status, _ = await status_of(http, "GET", f"{base}/healthz")
        assert status == 200
    finally:
        await cleanup()


@pytest.mark.parametrize("credentials", [SLACK, TEAMS], ids=["slack", "teams"])
async def test_with_real_credentials_dev_mode_brings_it_back(
    fresh_db_url: str, http: aiohttp.ClientSession, credentials: dict[str, str]
) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory(), **credentials)
    port, cleanup = await serve(settings, dev=True)
    try:
        base = f"http://127.0.0.1:{port}"
        status, page = await status_of(http, "GET", f"{base}/")
        assert status == 200 and "Who are you?" in page
        key = await with_secret(http, base)
        async with http.get(f"{base}/webchat/api/people", headers=key) as resp:
            people = await resp.json()
        assert people["teams"] == ("microsoft_app_id" in credentials), "the page warns"
    finally:
        await cleanup()


async def test_without_credentials_the_web_chat_does_not_open_api_messages(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    """The web chat talks to the bot in-process; /api/messages still refuses anonymous
    activities outside --dev, as the Bot Framework contract says."""
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        status, _ = await status_of(http, "GET", f"{base}/")
        assert status == 200
        activity = {
            "type": "message",
            "text": "incident",
            "serviceUrl": f"{base}/webchat/connector",
            "from": {"id": SAM.user_id, "aadObjectId": SAM.teams_user_id},
            "recipient": {"id": "webchat-bot"},
            "conversation": {"id": SAM.conversation_id},
        }
        status, _ = await status_of(http, "POST", f"{base}/api/messages", json=activity)
        assert status == 401
    finally:
        await cleanup()


# -- nothing but this computer, and only with this start's secret ---------------------------

PROXY = [
    "Via",
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Forwarded-Server",
    "X-Real-IP",
    "X-Client-IP",
    "Client-IP",
    "True-Client-IP",
    "CF-Connecting-IP",
    "Fastly-Client-IP",
    "X-Cluster-Client-IP",
    "X-Original-Forwarded-For",
    "X-Originating-IP",
]


async def test_a_request_carrying_any_proxy_header_is_refused(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    """A reverse proxy in front of the chat makes every visitor look local: any header one
    adds refuses the request, the page included, even with the secret."""
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        key = await with_secret(http, base)
        for header in PROXY:
            for value in ("203.0.113.9", "127.0.0.1", "1.1 proxy"):
                headers = {**key, header: value}
                for path in WEBCHAT_GETS:
                    status, _ = await status_of(http, "GET", base + path, headers=headers)
                    assert status == 403, (header, path)
                for path, body in webchat_posts(key[SECRET_HEADER]):
                    status, _ = await status_of(
                        http, "POST", base + path, json=body, headers=headers
                    )
                    assert status == 403, (header, path)
        status, _ = await status_of(http, "GET", f"{base}/webchat/api/people", headers=key)
        assert status == 200, "the same request without the header is served"
    finally:
        await cleanup()


async def test_a_host_that_is_not_exactly_this_computer_and_port_is_refused(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        key = await with_secret(http, base)
        for host in (
            "127.0.0.1",  # no port
            f"127.0.0.1:{port + 1}",  # another port
            f"127.0.0.2:{port}",
            f"localhost.attacker.example:{port}",
            f"127.0.0.1.nip.io:{port}",
            f"[::ffff:127.0.0.1]:{port}",
            f"0.0.0.0:{port}",
            "",
        ):
            for path in WEBCHAT_GETS:
                status, _ = await status_of(http, "GET", base + path, headers={**key, "Host": host})
                assert status == 403, (host, path)
    finally:
        await cleanup()


async def test_api_and_direct_line_calls_without_the_secret_are_refused(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    """Any local program could call them; only the page's browser (its cookie) may."""
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        secret = await page_secret(http, base)
        for given in ({}, {SECRET_HEADER: "guess"}, {"Cookie": f"{SECRET_COOKIE}=guess"}):
            status, text = await status_of(http, "GET", f"{base}/webchat/api/people", headers=given)
            assert status == 403 and "key the web chat's page gives" in text, given
            for path, body in webchat_posts(secret)[:3]:
                status, _ = await status_of(http, "POST", base + path, json=body, headers=given)
                assert status == 403, (given, path)
        # The browser's way: the page's cookie; and a programme's: the header.
        for given in ({"Cookie": f"{SECRET_COOKIE}={secret}"}, {SECRET_HEADER: secret}):
            status, _ = await status_of(http, "GET", f"{base}/webchat/api/people", headers=given)
            assert status == 200, given
        # The page itself and its files need nothing: they are how the browser gets it.
        async with http.get(f"{base}/") as resp:
            cookie = resp.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    finally:
        await cleanup()


async def test_a_connector_call_without_the_secret_is_refused(
    fresh_db_url: str, http: aiohttp.ClientSession
) -> None:
    """Only safecontact itself may put a card "from safecontact" into someone's chat: its
    connector calls carry the start's secret in their serviceUrl."""
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        secret = await page_secret(http, base)
        conv = f"/v3/conversations/{SAM.conversation_id}/activities"
        message = {"type": "message", "text": "injected"}
        for prefix in ("/webchat/connector", "/webchat/connector/guess"):
            for method, path in (
                ("POST", prefix + conv),
                ("POST", prefix + conv + "/x"),
                ("PUT", prefix + conv + "/x"),
                ("POST", prefix + "/v3/conversations"),
            ):
                # Even with the browser's secret as a header: the path must carry it.
                status, _ = await status_of(
                    http, method, base + path, json=message, headers={SECRET_HEADER: secret}
                )
                assert status in (403, 404), (method, path, status)
        status, _ = await status_of(
            http, "POST", f"{base}/webchat/connector/{secret}{conv}", json=message
        )
        assert status == 201, "the bot's own call, with the secret in its path"
    finally:
        await cleanup()


async def test_a_restart_makes_a_new_secret(fresh_db_url: str, http: aiohttp.ClientSession) -> None:
    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    port, cleanup = await serve(settings, dev=False)
    try:
        first = await page_secret(http, f"http://127.0.0.1:{port}")
    finally:
        await cleanup()
    port, cleanup = await serve(settings, dev=False)
    try:
        base = f"http://127.0.0.1:{port}"
        assert await page_secret(http, base) != first
        async with http.get(
            f"{base}/webchat/api/people", headers={SECRET_HEADER: first}
        ) as refused:
            # Marked as the old key, so a page left open reloads itself for the new one.
            assert refused.status == 403
            assert refused.headers.get("X-Safecontact-Refused") == "key"
    finally:
        await cleanup()


async def test_the_secret_stays_out_of_the_database(fresh_db_url: str) -> None:
    """It lives as long as the process; references and sent messages are stored without
    it (it is added back whenever they are used)."""
    from tests.teams_harness import start_server

    settings = Settings(database_url=fresh_db_url, staff=demo.directory())
    url, runtime, cleanup = await start_server(settings, dev=False)
    try:
        async with aiohttp.ClientSession() as http:
            key = await with_secret(http, url)
            sam = Chatter.from_entry(settings.staff[0])
            async with http.post(
                f"{url}/v3/directline/tokens/generate",
                json={"user": {"id": sam.user_id}},
                headers=key,
            ) as resp:
                token = (await resp.json())["token"]
            auth = {**key, "Authorization": f"Bearer {token}"}
            async with http.post(f"{url}/v3/directline/conversations", headers=auth) as resp:
                assert resp.status in (200, 201)
            path = f"{url}/v3/directline/conversations/{sam.conversation_id}/activities"
            message = {"type": "message", "text": "checkin", "from": {"id": sam.user_id}}
            async with http.post(path, json=message, headers=auth) as resp:
                assert resp.status == 200
        dump = []
        async with runtime.db.read() as session:
            for table in Base.metadata.sorted_tables:
                rows = (await session.execute(select(table))).all()
                dump.append(repr(rows))
        assert dump and key[SECRET_HEADER] not in "".join(dump)
        assert "/webchat/connector" in "".join(dump), "the reference was stored"
    finally:
        await cleanup()
