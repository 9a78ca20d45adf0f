"""How the bot logs: plain lines for a terminal, or one JSON object a line for a log
collector (`safecontact serve --log-format json`), each with the id of the request it
belongs to.

Personal data stays out of the log whatever the format and level. The code logs ids,
references and counts, never a name or what someone wrote. An exception's message can
quote either (a refusal saying "No one on file matches '<name>'", a database error with
its parameters), so the formatters never print one: a traceback shows its frames and
each exception's type, and an exception passed as a log argument shows as its type. As a
last line of defence every line is passed through `redact`, which removes email addresses
and Slack-style mentions and links. The libraries that log request bodies at DEBUG are
held at INFO (`QUIET`), whatever the root level.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import traceback
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


# Loggers that would print payloads (and so what people typed) at DEBUG.
QUIET = ("slack_sdk", "slack_bolt", "botbuilder", "msrest", "aiohttp", "sqlalchemy", "urllib3")
WITHHELD = "(message withheld from the log)"


def _type_name(exc_type: type[BaseException] | None) -> str:
    if exc_type is None:
        return "Exception"
    module = exc_type.__module__
    name = exc_type.__qualname__
    return name if module in ("builtins", "__main__") else f"{module}.{name}"


def _frames(te: traceback.TracebackException) -> list[str]:
    out: list[str] = []
    if te.__cause__ is not None:
        out += _frames(te.__cause__)
        out.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif te.__context__ is not None and not te.__suppress_context__:
        out += _frames(te.__context__)
        out.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    out.append("Traceback (most recent call last):\n")
    out.extend(te.stack.format())
    out.append(f"{_type_name(te.exc_type)} {WITHHELD}\n")
    return out


def safe_traceback(exc_info: Any) -> str:
    """A traceback as Python prints it, but each exception's message withheld: where it
    failed is what an admin needs, and the message may quote what someone typed."""
    te = traceback.TracebackException(exc_info[0], exc_info[1], exc_info[2])
    return "".join(_frames(te)).rstrip("\n")


def _safe_args(record: logging.LogRecord) -> logging.LogRecord:
    """The record with any exception among its arguments shown as its type only."""
    args = record.args
    if isinstance(args, tuple) and any(isinstance(a, BaseException) for a in args):
        record = logging.makeLogRecord(record.__dict__)
        record.args = tuple(
            f"{_type_name(type(a))} {WITHHELD}" if isinstance(a, BaseException) else a for a in args
        )
    return record


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

    def formatException(self, ei: Any) -> str:
        return safe_traceback(ei)

    def format(self, record: logging.LogRecord) -> str:
        record = _safe_args(record)
        # A record's cached traceback text may come from another handler's formatter.
        record.exc_text = None
        line = redact(super().format(record))
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid else line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the
    exception's type and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        record = _safe_args(record)
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
            entry["traceback"] = redact(safe_traceback(record.exc_info))
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
    # WeasyPrint announces each of its seven steps for every letter's PDF at INFO.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    quiet_libraries()


def quiet_libraries() -> None:
    """Hold the libraries that print payloads at DEBUG at INFO, whatever the root level."""
    for name in QUIET:
        quiet = logging.getLogger(name)
        # SQLAlchemy keeps its own loggers at WARNING (INFO would print every statement).
        floor = logging.WARNING if name == "sqlalchemy" else logging.INFO
        if quiet.level < floor:
            quiet.setLevel(floor)


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
