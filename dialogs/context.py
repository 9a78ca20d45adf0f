"""What a dialog needs from the running server, without knowing which chat it came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dialogs.mail import Mailer
from dialogs.office import Organisation, PolicySettings
from storage.db import Database


@dataclass(frozen=True)
class Ctx:
    db: Database
    organisation: Organisation
    policy: PolicySettings
    now: datetime
    # Called after a transaction that added outbox rows, so delivery starts at once.
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    # Sends letters by email when [smtp] is set up (bot/mail.py); None when it is not.
    mailer: Mailer | None = None

    @property
    def zone(self) -> ZoneInfo:
        return self.policy.zone

    @property
    def today(self) -> date:
        """The office's date now: what "in the future" means to the people using the forms."""
        return self.now.astimezone(self.zone).date()

    def local(self, when: datetime) -> str:
        """A time as staff read it: 'Tue 24 Nov 2026, 14:05' in the office's zone."""
        return when.astimezone(self.zone).strftime("%a %d %b %Y, %H:%M")
