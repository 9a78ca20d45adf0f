"""[smtp]: sending letters by email is optional, and refuses settings that would leak them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.mail import mailer_for
from bot.settings import ConfigError, Settings, load_settings

OFFICE = '[organisation]\nemail = "office@example.org"\n'
HOST = '[smtp]\nhost = "mail.example.org"\n'


def settings(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "safecontact.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def test_no_host_means_no_email(tmp_path: Path) -> None:
    assert mailer_for(settings(tmp_path, "")) is None


def test_letters_come_from_the_office_address_unless_told(tmp_path: Path) -> None:
    s = settings(tmp_path, OFFICE + HOST)
    mailer = mailer_for(s)
    assert mailer is not None and mailer.sender == "office@example.org"
    assert (s.smtp.port, s.smtp.security) == (587, "starttls")
    mailer = mailer_for(settings(tmp_path, HOST + 'from_address = "letters@example.org"\n'))
    assert mailer is not None and mailer.sender == "letters@example.org"


def test_refused_settings_say_which_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("smtp.from_address: letters need an")):
        settings(tmp_path, HOST)
    with pytest.raises(ConfigError, match="unencrypted; it is allowed only for a relay"):
        settings(tmp_path, HOST + 'security = "none"\nfrom_address = "a@b.org"\n')
    with pytest.raises(ConfigError, match=re.escape("smtp.security")):
        settings(tmp_path, HOST + 'security = "ssl"\nfrom_address = "a@b.org"\n')
