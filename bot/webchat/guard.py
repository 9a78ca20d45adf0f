"""Loopback only: the web chat is a way to try the bot on one's own computer.

It has no sign-in (you choose who you are), so anything that could reach it from
elsewhere must be refused, even when `serve --host 0.0.0.0` binds wider:

- the peer must be a loopback address;
- the Host header must name this computer (127.0.0.1, localhost, [::1]): a web page on
  another site that rebinds its DNS name to 127.0.0.1 sends its own name and is refused;
- a request carrying proxy headers (Forwarded, X-Forwarded-For, X-Real-IP) came through
  a reverse proxy, which would make every visitor look local, and is refused;
- an Origin, when a browser sends one, must be this computer too, so another site open
  in the same browser cannot post to it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")
REFUSED = (
    "The local web chat answers only on the computer it runs on: open it at "
    "http://127.0.0.1:<port>/ there. It is for trying safecontact out and has no sign-in."
)


def is_loopback_address(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _hostname(authority: str) -> str:
    """'127.0.0.1:3978' -> '127.0.0.1'; '[::1]:3978' -> '::1'."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    if authority.count(":") > 1:  # a bare IPv6 address
        return authority
    return authority.split(":", 1)[0]


def _local_origin(origin: str) -> bool:
    scheme, sep, rest = origin.partition("://")
    return bool(sep) and scheme in ("http", "https") and _hostname(rest) in LOCAL_NAMES


def refusal(request: web.Request) -> str | None:
    """Why this request may not use the web chat; None when it may."""
    if not is_loopback_address(request.remote):
        return f"peer {request.remote} is not loopback"
    host = request.headers.get("Host")
    if host is None or _hostname(host) not in LOCAL_NAMES:
        return f"Host {host!r} is not this computer"
    proxied = [h for h in PROXY_HEADERS if h in request.headers]
    if proxied:
        return f"came through a proxy ({', '.join(proxied)})"
    origin = request.headers.get("Origin")
    if origin is not None and not _local_origin(origin):
        return f"Origin {origin!r} is another site"
    return None


def loopback_only(handler: Handler) -> Handler:
    """Wrap a web chat route so it answers only requests made on this computer."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        reason = refusal(request)
        if reason is not None:
            log.warning("refused a web chat request to %s: %s", request.path, reason)
            return web.Response(status=403, text=REFUSED)
        return await handler(request)

    return guarded
