"""Bot Framework tokens, checked without ever blocking the server.

botbuilder validates a token by fetching the Bot Framework's OpenID metadata (the
signing keys) with `requests.get`: a synchronous call with no timeout, made on the event
loop, and repeated for every request while it fails, because only success is cached
(botframework/connector/auth/jwt_token_extractor.py, `_OpenIdMetadata._refresh`). So a
self-signed token naming the Bot Framework as its issuer, sent while the metadata host
is slow, froze /healthz and Slack with it.

Two defences:

- `refusal` reads the token before anything is fetched and refuses one whose shape,
  header, algorithm, issuer, audience or expiry could never be valid: those cost nothing;
- `install` replaces the SDK's metadata cache with one whose fetch is asynchronous (the
  loop keeps serving while it waits), bounded by a timeout, and remembers a failure for
  a while (negative caching), so a flood of tokens during an outage costs one fetch.

The endpoint also bounds the whole validation (AUTH_TIMEOUT), whatever the SDK does.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from botframework.connector.auth import AuthenticationConstants, GovernmentConstants
from botframework.connector.auth.emulator_validation import EmulatorValidation
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

# Seconds: one metadata fetch (both requests), the whole validation, and how long a
# failed fetch is remembered before another is tried.
FETCH_TIMEOUT = 3.0
AUTH_TIMEOUT = 4.0
FAILURE_REMEMBERED = 30.0
# Keys are refetched daily, or when a token names one not seen (at most hourly): the SDK's rule.
REFRESH_EVERY = 24 * 3600.0
UNKNOWN_KEY_REFRESH = 3600.0
# The Bot Framework signs with RS256 only (the SDK allows nothing else).
ALGORITHMS = frozenset({"RS256"})
MAX_TOKEN = 8192
CLOCK_SKEW = 300


class MetadataUnavailable(Exception):
    """The signing keys could not be fetched (or failed to be, recently)."""


def _part(segment: str) -> dict[str, Any] | None:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def issuers(tenant_id: str | None) -> frozenset[str]:
    """Every issuer the SDK could accept a token from, for this app."""
    known = {
        AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        GovernmentConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        *EmulatorValidation.TO_BOT_FROM_EMULATOR_TOKEN_VALIDATION_PARAMETERS.issuer,
    }
    if tenant_id:
        known |= {
            AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V1.format(tenant_id),
            AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V2.format(tenant_id),
        }
    return frozenset(known)


def refusal(auth_header: str, *, app_id: str, tenant_id: str | None) -> str | None:
    """Why this Authorization header can never hold a valid token; None to check it."""
    scheme, _, token = auth_header.partition(" ")
    if scheme != "Bearer" or not token or len(token) > MAX_TOKEN:
        return "no bearer token"
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return "not a signed JWT"
    header, claims = _part(parts[0]), _part(parts[1])
    if header is None or claims is None:
        return "unreadable header or claims"
    if header.get("alg") not in ALGORITHMS:
        return f"algorithm {str(header.get('alg'))[:20]!r} is never used"
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        return "no signing key named"
    if claims.get("iss") not in issuers(tenant_id):
        return "an issuer the Bot Framework does not use"
    audience = claims.get("aud")
    if audience != app_id and not (isinstance(audience, list) and app_id in audience):
        return "meant for another app"
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires + CLOCK_SKEW < time.time():
        return "expired"
    return None


@dataclass(frozen=True)
class _Key:
    """What the SDK reads from a metadata lookup."""

    public_key: Any
    endorsements: list[str]


class AsyncMetadata:
    """The signing keys at one metadata URL, fetched without blocking, within a timeout,
    and not refetched for a while after a failure. Same interface as the SDK's own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: list[dict[str, Any]] = []
        self.updated = float("-inf")
        self.failed_until = float("-inf")

    async def get(self, key_id: str) -> _Key | None:
        if time.monotonic() - self.updated > REFRESH_EVERY:
            await self._refresh()
        key = self._find(key_id)
        if key is None and time.monotonic() - self.updated > UNKNOWN_KEY_REFRESH:
            await self._refresh()
            key = self._find(key_id)
        return key

    async def _refresh(self) -> None:
        if time.monotonic() < self.failed_until:
            raise MetadataUnavailable(f"{self.url} failed recently")
        timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
        try:
            async with aiohttp.ClientSession(timeout=timeout, trust_env=True) as session:
                async with session.get(self.url) as response:
                    response.raise_for_status()
                    keys_url = (await response.json(content_type=None))["jwks_uri"]
                async with session.get(keys_url) as response:
                    response.raise_for_status()
                    keys = (await response.json(content_type=None))["keys"]
            if not isinstance(keys, list):
                raise TypeError("keys is not a list")
        except Exception as exc:
            self.failed_until = time.monotonic() + FAILURE_REMEMBERED
            log.warning("could not fetch the Bot Framework's signing keys from %s", self.url)
            raise MetadataUnavailable(self.url) from exc
        self.keys = [k for k in keys if isinstance(k, dict)]
        self.updated = time.monotonic()

    def _find(self, key_id: str) -> _Key | None:
        for key in self.keys:
            if key.get("kid") == key_id:
                endorsements = key.get("endorsements") or []
                return _Key(RSAAlgorithm.from_jwk(json.dumps(key)), list(endorsements))
        return None


class _Cache(dict[str, AsyncMetadata]):
    """The SDK's metadata cache, answering every URL with an AsyncMetadata (fetching
    from `instead`, when set)."""

    def __init__(self, instead: str | None) -> None:
        super().__init__()
        self.instead = instead

    def get(self, url: str, default: Any = None) -> AsyncMetadata:  # type: ignore[override]
        if url not in self:
            self[url] = AsyncMetadata(self.instead or url)
        return self[url]


def install(instead: str | None = None) -> None:
    """Make the SDK fetch signing keys through AsyncMetadata, from `instead` if given.

    The SDK builds its token extractor for each request and looks the metadata up in
    this class-wide cache by URL, so replacing the cache is all it takes.
    """
    cache = JwtTokenExtractor.metadataCache
    if not isinstance(cache, _Cache) or cache.instead != instead:
        JwtTokenExtractor.metadataCache = _Cache(instead)
