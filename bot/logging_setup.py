"""How the bot logs: plain lines for a terminal, or one JSON object a line for a log
collector (`safecontact serve --log-format json`), each with the id of the request it
belongs to.

Personal data stays out of the log whatever the format. The code logs ids, references
and counts, never a name or what someone wrote; as a second line of defence every
record's text is passed through `redact`, which removes email addresses and Slack-style
mentions and links, in case an exception's message quotes one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# An id a reverse proxy gave the request (nginx's $request_id) is kept if it looks like one.
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SLACK_MARKUP = re.compile(r"<[@#!][^<>\s]{1,80}>|<https?://[^<>\s]{1,500}>")


def redact(text: str) -> str:
    return _SLACK_MARKUP.sub("[markup]", _EMAIL.sub("[email]", text))


def new_request_id(given: str | None = None) -> str:
    if given and _GIVEN_ID.match(given):
        return given
    return uuid.uuid4().hex[:16]


@contextlib.contextmanager
def request_scope(given: str | None = None) -> Iterator[str]:
    """Everything logged inside (and in tasks started inside) carries this request id."""
    rid = new_request_id(given)
    token = REQUEST_ID.set(rid)
    try:
        yield rid
    finally:
        REQUEST_ID.reset(token)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid else line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the
    exception's type and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def handler_for(log_format: str, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def configure(log_format: str = "text", *, stream: Any = None) -> None:
    """Set up the root logger once, for the whole process."""
    handler = handler_for(log_format, stream)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Alembic announces every migration step at INFO; an operator needs only problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def middleware() -> Any:
    """Give every HTTP request an id (or keep the proxy's X-Request-Id) for its log lines,
    and answer with it, so a user's "reference" and the proxy's log meet the bot's."""
    from aiohttp import web

    @web.middleware
    async def with_request_id(request: web.Request, handler: Any) -> web.StreamResponse:
        with request_scope(request.headers.get("X-Request-Id")) as rid:
            response: web.StreamResponse = await handler(request)
            if not response.prepared:
                response.headers["X-Request-Id"] = rid
            return response

    return with_request_id
