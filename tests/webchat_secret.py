"""This start's web chat secret, as a browser gets it: the page's cookie."""

from __future__ import annotations

from http.cookies import SimpleCookie

import aiohttp

from bot.webchat.guard import SECRET_COOKIE, SECRET_HEADER


async def page_secret(http: aiohttp.ClientSession, base: str) -> str:
    """GET the page and read the secret its Set-Cookie carries."""
    async with http.get(f"{base}/") as resp:
        assert resp.status == 200, resp.status
        cookies: SimpleCookie = SimpleCookie()
        for header in resp.headers.getall("Set-Cookie", []):
            cookies.load(header)
    return cookies[SECRET_COOKIE].value


async def with_secret(http: aiohttp.ClientSession, base: str) -> dict[str, str]:
    """The header a programme on this computer sends in place of the page's cookie."""
    return {SECRET_HEADER: await page_secret(http, base)}
