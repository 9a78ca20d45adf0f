"""Reading a signed Slack request into bolt's request, with a quicker path for forms.

An interactivity request is one form field, `payload`, holding JSON percent-encoded: a
filled-in incident form is about 20 kB with over 3,000 escapes. bolt reads it with
urllib's `parse_qsl`, whose pure-Python `unquote_to_bytes` was the hottest function of
the server under load (docs/performance.md: about 0.6 ms of CPU a submission). The same
bytes decode in C with binascii's quoted-printable decoder once `%XX` reads `=XX`, which
is exactly urllib's result whenever the body is what Slack sends; anything else (another
field, a stray `=`, a malformed escape, a line break) is left to bolt's own reading.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

FORM = "application/x-www-form-urlencoded"
_PREFIX = "payload="


def payload_of(body: str) -> dict[str, Any] | None:
    """The JSON payload of a `payload=...` form body, or None to let bolt read it."""
    if not body.startswith(_PREFIX):
        return None
    value = body[len(_PREFIX) :]
    # Another field, a raw '=' or a line break (a soft break to the decoder) mean the
    # body is not one plain field: bolt reads it.
    if not value.isascii() or "&" in value or "=" in value or "\r" in value or "\n" in value:
        return None
    raw = binascii.a2b_qp(value.replace("+", " ").replace("%", "="))
    # Each well-formed escape turns three characters into one byte; anything else (a
    # stray '%', one at the end) left characters behind, and urllib would read it
    # otherwise.
    if len(raw) != len(value) - 2 * value.count("%"):
        return None
    parsed = json.loads(raw.decode("utf-8", "replace"))
    return parsed if isinstance(parsed, dict) else None


def bolt_request(body: str, *, query: str, headers: Mapping[str, str]) -> AsyncBoltRequest:
    """bolt's request for a verified body, as bolt itself would build it."""
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    parsed = payload_of(body) if content_type == FORM else None
    if parsed is None:
        return AsyncBoltRequest(body=body, query=query, headers=headers)  # type: ignore[arg-type]
    # What AsyncBoltRequest.__init__ does with a body it has parsed, given ours.
    request = AsyncBoltRequest(body="", query=query, headers=headers)  # type: ignore[arg-type]
    request.raw_body = body
    request.body = parsed
    request.context = build_async_context(AsyncBoltContext({}), parsed)
    return request
