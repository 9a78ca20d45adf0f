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
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

FORM = "application/x-www-form-urlencoded"
_PREFIX = "payload="
# Anything urllib would read differently from the quoted-printable decoder.
_NOT_PLAIN = re.compile(r"%(?![0-9A-Fa-f]{2})|[=&\r\n]")


def payload_of(body: str) -> dict[str, Any] | None:
    """The JSON payload of a `payload=...` form body, or None to let bolt read it."""
    if not body.startswith(_PREFIX):
        return None
    value = body[len(_PREFIX) :]
    if not value.isascii() or _NOT_PLAIN.search(value):
        return None
    text = binascii.a2b_qp(value.replace("+", " ").replace("%", "=")).decode("utf-8", "replace")
    parsed = json.loads(text)
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
