"""Signed, expiring download links for a letter's PDF, served by the bot's own endpoint.

`GET /letters/{id}.pdf?expires=…&sig=…` (and `&print=large` for the large-print variant)
answers the PDF made from the letter's kept HTML (cards/letter_pdf.py), so what is
downloaded is what was kept. 403 when the link has expired or was altered, 404 when the
signature is good but there is no such letter (it was purged under retention, s9).

The key is derived from the audit trail's key (storage/audit_files.py) with HMAC and a
label of its own, not a new setting, because that key is already what the office keeps
outside the database, backs up apart from it, and gives to every replica (a PostgreSQL
deployment with several servers shares one): a link signed by one replica is honoured by
another and survives a restart, and there is no second secret to forget. Derived, not
reused: a link's signature can never be passed off as an audit seal, nor the reverse.
Rotating the audit key (a new chain) would void the links outstanding, which is harmless:
they expire within days anyway, and the card can be asked for again from the case file.

A link is a bearer credential for a member of the public's letter, so it goes only in
the DM card to the member of staff who sends the letter (DESIGN.md: personal data in DMs
only), expires (`letter_link_days`, default 7), and carries no name: the URL holds the
letter's number, the expiry and the signature, nothing that identifies the person.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from aiohttp import web

from cards.letter_pdf import pdf
from storage.db import Database
from storage.models import Letter

log = logging.getLogger(__name__)

ROUTE = "/letters/{letter_id:[0-9]+}.pdf"
LABEL = b"safecontact letter download links v1"
LARGE = "large"


def derive_key(audit_key: bytes) -> bytes:
    """The links' own key, derived from the audit key (see the module's docstring)."""
    return hmac.new(audit_key, LABEL, hashlib.sha256).digest()


@dataclass
class LetterLinks:
    """Makes and checks the links. `base_url` is read when a link is made: the web chat
    learns its own address only once it is listening."""

    key: Callable[[], bytes]
    base_url: Callable[[], str]
    clock: Callable[[], datetime]
    lifetime: timedelta = timedelta(days=7)

    def _sig(self, letter_id: int, large: bool, expires: int) -> str:
        message = f"{letter_id}:{LARGE if large else 'standard'}:{expires}".encode()
        return hmac.new(self.key(), message, hashlib.sha256).hexdigest()

    def url(self, letter_id: int, *, large: bool = False) -> str:
        expires = int((self.clock() + self.lifetime).timestamp())
        query: dict[str, str | int] = {"expires": expires}
        if large:
            query["print"] = LARGE
        query["sig"] = self._sig(letter_id, large, expires)
        return f"{self.base_url().rstrip('/')}/letters/{letter_id}.pdf?{urlencode(query)}"

    def valid(self, letter_id: int, *, large: bool, expires: str, sig: str) -> bool:
        """The signature is ours for exactly this letter, variant and expiry, and the expiry
        has not passed."""
        if not expires.isdigit() or len(expires) > 12:
            return False
        good = hmac.compare_digest(self._sig(letter_id, large, int(expires)), sig)
        return good and self.clock().timestamp() < int(expires)


LINKS = web.AppKey("letter_links", LetterLinks)


def mount(app: web.Application, links: LetterLinks, *, db: Database) -> None:
    """Add GET /letters/{id}.pdf to the server."""

    async def download(request: web.Request) -> web.StreamResponse:
        letter_id = int(request.match_info["letter_id"])
        large = request.query.get("print") == LARGE
        if not links.valid(
            letter_id,
            large=large,
            expires=request.query.get("expires", ""),
            sig=request.query.get("sig", ""),
        ):
            raise web.HTTPForbidden(
                text="This link has expired or is not valid. Ask for the letter again from "
                "safecontact.\n"
            )
        html = await db.run(_kept_html(db, letter_id))
        if html is None:
            raise web.HTTPNotFound(text="There is no such letter.\n")
        # WeasyPrint takes a second or so: off the event loop (DESIGN.md, ack first).
        body = await asyncio.to_thread(pdf, html, large_print=large)
        suffix = "-large-print" if large else ""
        return web.Response(
            body=body,
            content_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="letter-{letter_id}{suffix}.pdf"',
                # A member of the public's letter: kept by no cache on the way.
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app[LINKS] = links
    app.router.add_get(ROUTE, download)


async def _kept_html(db: Database, letter_id: int) -> str | None:
    async with db.read() as session:
        letter = await session.get(Letter, letter_id)
        return letter.html if letter is not None else None
