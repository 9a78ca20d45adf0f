"""Signed, expiring download links for a letter's PDF, served by the bot's own endpoint.

`GET /letters/{id}.pdf?expires=…&sig=…` (and `&print=large` for the large-print variant)
answers the PDF made from the letter's kept HTML (cards/letter_pdf.py), so what is
downloaded is what was kept. `GET /letters/{id}/enclosures/{n}?expires=…&sig=…` answers
the n-th document that goes with it (s7: the policy with a strategy letter; which ones
is dialogs.letters.enclosures). 403 when the link has expired or was altered, 404 when
the signature is good but there is no such letter (it was purged under retention, s9)
or no longer such an enclosure.

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
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from aiohttp import web

from cards.letter_pdf import pdf
from dialogs.letters import Enclosure
from storage.db import Database
from storage.models import Letter

log = logging.getLogger(__name__)

ROUTE = "/letters/{letter_id:[0-9]+}.pdf"
ENCLOSURE_ROUTE = "/letters/{letter_id:[0-9]+}/enclosures/{n:[0-9]{1,3}}"
LABEL = b"safecontact letter download links v1"
LARGE = "large"
STANDARD = "standard"
# True of every deployment: the letter is kept, and `letters get` prints it (no chat
# action re-sends a link, so none is promised).
FORBIDDEN = (
    "This link has expired or is not valid. The letter is kept in the case file: an "
    "administrator can print it with `safecontact letters get`.\n"
)


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
    # What goes with a letter of a kind (Runtime.enclosures); none for a bare test's links.
    enclosures: Callable[[str], list[Enclosure]] = field(default=lambda _kind: [])

    def _sig(self, letter_id: int, part: str, expires: int) -> str:
        """`part` is what the link is for: the letter (standard or large print) or one of
        its enclosures, so a link for one can never fetch another."""
        message = f"{letter_id}:{part}:{expires}".encode()
        return hmac.new(self.key(), message, hashlib.sha256).hexdigest()

    def _signed(self, letter_id: int, part: str, query: dict[str, str | int]) -> str:
        expires = int((self.clock() + self.lifetime).timestamp())
        return urlencode({"expires": expires, **query, "sig": self._sig(letter_id, part, expires)})

    def url(self, letter_id: int, *, large: bool = False) -> str:
        part, query = (LARGE, {"print": LARGE}) if large else (STANDARD, {})
        signed = self._signed(letter_id, part, query)
        return f"{self.base_url().rstrip('/')}/letters/{letter_id}.pdf?{signed}"

    def enclosure_links(self, letter_id: int, kind: str) -> list[tuple[Enclosure, str]]:
        """Each document that goes with the letter, and a signed link that downloads it."""
        base = f"{self.base_url().rstrip('/')}/letters/{letter_id}/enclosures"
        return [
            (enc, f"{base}/{n}?{self._signed(letter_id, f'enclosure-{n}', {})}")
            for n, enc in enumerate(self.enclosures(kind))
        ]

    def valid(self, letter_id: int, *, part: str, expires: str, sig: str) -> bool:
        """The signature is ours for exactly this letter, part and expiry, and the expiry
        has not passed."""
        if not expires.isdigit() or len(expires) > 12:
            return False
        good = hmac.compare_digest(self._sig(letter_id, part, int(expires)), sig)
        return good and self.clock().timestamp() < int(expires)


LINKS = web.AppKey("letter_links", LetterLinks)


def mount(app: web.Application, links: LetterLinks, *, db: Database) -> None:
    """Add GET /letters/{id}.pdf and /letters/{id}/enclosures/{n} to the server."""

    def check(request: web.Request, letter_id: int, part: str) -> None:
        if not links.valid(
            letter_id,
            part=part,
            expires=request.query.get("expires", ""),
            sig=request.query.get("sig", ""),
        ):
            raise web.HTTPForbidden(text=FORBIDDEN)

    async def download(request: web.Request) -> web.StreamResponse:
        letter_id = int(request.match_info["letter_id"])
        large = request.query.get("print") == LARGE
        check(request, letter_id, LARGE if large else STANDARD)
        kept = await db.run(_kept(db, letter_id))
        if kept is None:
            raise web.HTTPNotFound(text="There is no such letter.\n")
        html, _kind = kept
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

    async def enclosure(request: web.Request) -> web.StreamResponse:
        letter_id, n = int(request.match_info["letter_id"]), int(request.match_info["n"])
        check(request, letter_id, f"enclosure-{n}")
        kept = await db.run(_kept(db, letter_id))
        if kept is None:
            raise web.HTTPNotFound(text="There is no such letter.\n")
        found = links.enclosures(kept[1])
        if n >= len(found):
            # The office has since stopped configuring it (organisation.policy_document_file).
            raise web.HTTPNotFound(text="This letter has no such enclosure now.\n")
        enclosure = found[n]
        try:
            body = await asyncio.to_thread(enclosure.path.read_bytes)
        except OSError:
            log.error("The enclosure %s could not be read", enclosure.path)
            raise web.HTTPNotFound(
                text="The enclosure could not be read on the server.\n"
            ) from None
        name = enclosure.file_name
        return web.Response(
            body=body,
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app[LINKS] = links
    app.router.add_get(ROUTE, download)
    app.router.add_get(ENCLOSURE_ROUTE, enclosure)


async def _kept(db: Database, letter_id: int) -> tuple[str, str] | None:
    """The letter's kept HTML and its kind, or None when there is no such letter."""
    async with db.read() as session:
        letter = await session.get(Letter, letter_id)
        return (letter.html, str(letter.kind)) if letter is not None else None
