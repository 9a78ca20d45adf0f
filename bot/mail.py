"""Sending a letter by email over SMTP ([smtp] settings; the password from SMTP_PASSWORD).

The standard library's smtplib, run in a worker thread so the event loop never waits
on the mail server (DESIGN.md: no synchronous network call on the loop). Each email is
one connection: letters are few, and a connection held open between them would only
time out. TLS is verified against the system's certificates; "none" is accepted by the
settings only for a relay on this computer.

What the mail server answers decides what the flow records (dialogs/letter_email):
`send` returns only once the server has accepted the message for delivery, raises
MailRefused when it refused it (a 5xx reply: sending it again would be refused again)
and MailFailed when it could not be reached or failed part way (nothing is known to
have been delivered).
"""

from __future__ import annotations

import asyncio
import mimetypes
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid

from bot.settings import Settings
from dialogs.mail import Mail, MailFailed, MailRefused


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        smtp = settings.smtp
        assert smtp.host is not None
        self.host = smtp.host
        self.port = smtp.port
        self.security = smtp.security
        self.username = smtp.username
        self.password = settings.smtp_password
        self.timeout = smtp.timeout_seconds
        self._sender = settings.mail_from
        self.organisation = settings.organisation.name

    @property
    def sender(self) -> str:
        return self._sender

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send, self.message(mail))

    def message(self, mail: Mail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = f"{self.organisation} <{self._sender}>"
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Message-ID"] = make_msgid(domain=self._sender.rsplit("@", 1)[-1])
        msg.set_content(mail.text)
        msg.add_alternative(mail.html, subtype="html")
        msg.add_attachment(
            mail.attachment,
            maintype="application",
            subtype="pdf",
            filename=mail.attachment_name,
        )
        for enc in mail.enclosures:
            kind = mimetypes.guess_type(enc.name)[0] or "application/octet-stream"
            maintype, subtype = kind.split("/", 1)
            msg.add_attachment(enc.content, maintype=maintype, subtype=subtype, filename=enc.name)
        return msg

    async def check(self) -> str:
        """Connect, secure and sign in as a send would, then leave without sending
        (`safecontact doctor`); what was checked, or MailFailed/MailRefused."""
        return await asyncio.to_thread(self._check)

    @contextmanager
    def _signed_in(self) -> Iterator[smtplib.SMTP]:
        """Connected, secured and signed in as [smtp] says: what a send and a check share,
        so `doctor` checks exactly the path a letter takes."""
        with self._connect() as client:
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if self.username:
                password = self.password.get_secret_value() if self.password else ""
                client.login(self.username, password)
            yield client

    def _check(self) -> str:
        where = f"the mail server {self.host}:{self.port}"
        try:
            with self._signed_in() as client:
                client.noop()
        except smtplib.SMTPAuthenticationError as exc:
            raise MailFailed(
                f"{where} did not accept the user name and password "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); check [smtp] username and "
                "SMTP_PASSWORD"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailFailed(f"could not reach {where}: {type(exc).__name__}: {exc}") from None
        how = {"starttls": "over STARTTLS", "tls": "over TLS", "none": "unencrypted (local)"}
        signed = f", signed in as {self.username}" if self.username else ""
        return f"{where} answers {how[self.security]}{signed}; letters come from {self._sender}"

    def _send(self, msg: EmailMessage) -> None:
        where = f"the mail server {self.host}:{self.port}"
        try:
            with self._signed_in() as client:
                refused = client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            reply = next(iter(exc.recipients.values()), (0, b""))
            raise MailRefused(f"{where} refused the address: {_reply(*reply)}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailFailed(
                f"{where} did not accept safecontact's user name and password "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); an administrator must fix [smtp]"
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = f"{where} answered {_reply(exc.smtp_code, exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise MailRefused(f"{text}: it refused the email") from None
            raise MailFailed(f"{text}: try again later") from None
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, a timeout, a name that does not resolve, TLS refused.
            raise MailFailed(f"could not reach {where}: {type(exc).__name__}: {exc}") from None
        if refused:
            reply = next(iter(refused.values()))
            raise MailRefused(f"{where} refused the address: {_reply(*reply)}")

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    # What the server said, short and on one line: it is shown to staff.
    return f"{code} {' '.join(words.split())[:200]}".strip()


def mailer_for(settings: Settings) -> SmtpMailer | None:
    """The mailer when [smtp] has a host; None leaves "Send by email" off."""
    return SmtpMailer(settings) if settings.smtp.host else None
