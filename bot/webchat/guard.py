"""This computer only: the web chat is a way to try the bot on one's own computer.

It has no sign-in (you choose who you are), so anything that could reach it from
elsewhere must be refused, even when `serve --host 0.0.0.0` binds wider:

- the peer must be a loopback address;
- the Host header must be exactly this computer's name and this server's port
  (127.0.0.1:<port>, localhost:<port>, [::1]:<port>): a web page on another site that
  rebinds its DNS name to 127.0.0.1 sends its own name and is refused;
- a request carrying any proxy header (Via, Forwarded, X-Forwarded-*, X-Real-IP,
  True-Client-IP, CF-Connecting-IP and the like) came through a proxy, which would make
  every visitor look local, and is refused. A proxy that adds none (nginx's default)
  still reaches only the page: every call behind it needs the secret below;
- an Origin, when a browser sends one, must be this computer too, so another site open
  in the same browser cannot post to it;
- every API and Direct Line call carries the secret made at this start (ChatStore.secret):
  the page sets it as a cookie (HttpOnly, SameSite=Strict, so the browser sends it with
  the page's own calls and Web Chat's, and no script or other site can read or send it);
  the bot's own Bot Connector calls carry it in their serviceUrl (connector.py). Any
  other local program, or a request from before a restart, is refused.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# Headers a proxy adds to say whom it forwards for; any X-Forwarded-* too.
PROXY_HEADERS = frozenset(
    h.lower()
    for h in (
        "Via",
        "Forwarded",
        "X-Real-IP",
        "X-Client-IP",
        "Client-IP",
        "True-Client-IP",
        "CF-Connecting-IP",
        "CF-Connecting-IPv6",
        "Fastly-Client-IP",
        "X-Cluster-Client-IP",
        "X-Original-Forwarded-For",
        "X-Originating-IP",
        "X-Remote-IP",
        "X-Remote-Addr",
        "X-ProxyUser-IP",
        "X-Envoy-External-Address",
        "X-Azure-ClientIP",
        "X-Azure-SocketIP",
        "X-Original-Host",
        "X-Host",
        "X-Original-URL",
        "X-Rewrite-URL",
    )
)
PROXY_PREFIXES = ("x-forwarded-",)
SECRET_COOKIE = "safecontact_local"
SECRET_HEADER = "X-Safecontact-Local"
STALE_KEY_HEADER = "X-Safecontact-Refused"
NO_SECRET = (
    "This call needs the key the web chat's page gives your browser; reload the page "
    "(http://127.0.0.1:<port>/) on this computer. The key changes each time the server starts."
)
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


def _local_hosts(request: web.Request) -> frozenset[str]:
    """The Host headers that name this server: a loopback name with its own port."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return frozenset()
    port = sockname[1]
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


def proxy_headers(request: web.Request) -> list[str]:
    return [
        h
        for h in request.headers
        if h.lower() in PROXY_HEADERS or h.lower().startswith(PROXY_PREFIXES)
    ]


def refusal(request: web.Request) -> str | None:
    """Why this request may not use the web chat; None when it may."""
    if not is_loopback_address(request.remote):
        return f"peer {request.remote} is not loopback"
    host = request.headers.get("Host")
    if host is None or host.strip().lower() not in _local_hosts(request):
        return f"Host {str(host)[:100]!r} is not this computer"
    proxied = proxy_headers(request)
    if proxied:
        return f"came through a proxy ({', '.join(proxied)[:200]})"
    origin = request.headers.get("Origin")
    if origin is not None and not _local_origin(origin):
        return f"Origin {origin!r} is another site"
    return None


def carries(request: web.Request, secret: str) -> bool:
    """True when the request carries this start's secret (the page's cookie, or the header)."""
    given = request.cookies.get(SECRET_COOKIE) or request.headers.get(SECRET_HEADER) or ""
    return hmac.compare_digest(given.encode(), secret.encode())


def loopback_only(handler: Handler, *, secret: str | None = None) -> Handler:
    """Wrap a web chat route so it answers only requests made on this computer, and
    (given `secret`) only those that carry it."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        reason = refusal(request)
        if reason is not None:
            log.warning("refused a web chat request to %s: %s", request.path[:100], reason)
            return web.Response(status=403, text=REFUSED)
        if secret is not None and not carries(request, secret):
            log.warning("refused a web chat request to %s: no secret", request.path[:100])
            # Says which refusal it is, so the page can fetch the new key by reloading
            # itself after the server restarted (bot/webchat/static/chat.js).
            return web.Response(status=403, text=NO_SECRET, headers={STALE_KEY_HEADER: "key"})
        return await handler(request)

    return guarded
