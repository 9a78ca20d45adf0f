"""Settings: the environment for secrets and URLs, a TOML file for the office.

The office's IT officer edits one TOML file (`safecontact.toml`, or the path in
`SAFECONTACT_CONFIG`); a mistake in it must be refused with one sentence that
names the key, because the person reading it is not a Python developer.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from dialogs.office import Organisation, PolicySettings, StrictModel

ROLES = ("staff", "manager", "authoriser", "chief_executive", "admin")
Role = Literal["staff", "manager", "authoriser", "chief_executive", "admin"]
DEFAULT_CONFIG_FILE = "safecontact.toml"


class ConfigError(Exception):
    """A configuration the bot refuses to start with; str() is the message for the operator."""


class StaffEntry(StrictModel):
    """One `[[staff]]` table of the directory."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    roles: list[Role] = Field(default_factory=lambda: ["staff"])
    manager: str | None = Field(None, max_length=254)
    slack_user_id: str | None = Field(None, pattern=r"^[UW][A-Z0-9]{2,30}$")
    teams_user_id: str | None = Field(None, max_length=100)
    # s7: an authoriser is the Head of Business Services and Assurance, or senior staff
    # nominated by the Chief Executive: say which, and for a nomination by whom and since
    # when (dialogs/authorisation/authority.py).
    head_of_business_services: bool = False
    nominated_by: str | None = Field(None, max_length=254)
    nominated_on: date | None = None

    @field_validator("email", "manager", "nominated_by")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError(f"'{value}' is not an email address")
        return value

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, value: Any) -> Any:
        if isinstance(value, list):
            for role in value:
                if role not in ROLES:
                    raise ValueError(f"unknown role '{role}'; roles are {', '.join(ROLES)}")
            if not value:
                raise ValueError("give at least one role")
        return value


class BackupSettings(StrictModel):
    """`[backup]`: nightly copies of the database, taken by the running server."""

    # Where the copies go; no folder, no nightly backups.
    folder: str | None = Field(None, max_length=1000)
    # How many copies to keep; older ones are deleted after each new one.
    keep: int = Field(14, ge=1, le=1000)
    # When, in the office's time zone; out of hours by default.
    at: time = time(2, 30)

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not a time; write it as HH:MM") from None
        return value


class AuditSettings(StrictModel):
    """`[audit]`: where the audit trail's key and anchors are kept, outside the database
    (docs/security.md, "Audit trail"). SAFECONTACT_AUDIT_KEY_FILE and
    SAFECONTACT_AUDIT_ANCHOR_FILE win over these."""

    # Default: beside a SQLite database (safecontact.db.audit-key); for PostgreSQL,
    # safecontact-audit.key in the working directory.
    key_file: str | None = Field(None, max_length=1000)
    # Default: beside a SQLite database (safecontact.db.audit-anchors); for PostgreSQL,
    # beside the key, named after the database.
    anchor_file: str | None = Field(None, max_length=1000)
    # How often, at most, the server appends the head to the anchor file when it moved.
    anchor_every_seconds: float = Field(60.0, ge=1, le=3600)


class SmtpSettings(StrictModel):
    """`[smtp]`: sending letters by email (optional). No host, no "Send by email".
    The password comes from the environment only (SMTP_PASSWORD), never the file."""

    host: str | None = Field(None, min_length=1, max_length=253)
    port: int = Field(587, ge=1, le=65535)
    # starttls: plain connection upgraded to TLS (port 587); tls: TLS from the start (465);
    # none: no encryption, for a relay on this computer only.
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = Field(None, max_length=254)
    # The office's address the letters come from; default [organisation] email.
    from_address: str | None = Field(None, max_length=254)
    # Seconds the mail server may take to answer, each step.
    timeout_seconds: float = Field(15.0, gt=0, le=120)

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or value.strip() != value):
            raise ValueError(f"'{value}' is not an email address")
        return value

    @model_validator(mode="after")
    def _safe(self) -> SmtpSettings:
        local = (self.host or "") in ("127.0.0.1", "localhost", "::1")
        if self.security == "none" and self.host and not local:
            raise ValueError(
                'security = "none" sends letters unencrypted; it is allowed only for a '
                'relay on this computer (host 127.0.0.1). Use "starttls" or "tls"'
            )
        return self


class Settings(BaseSettings):
    """Everything the server needs; env vars win over the TOML file."""

    model_config = SettingsConfigDict(extra="forbid", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///./safecontact.db"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # An app-level token (xapp-...) switches Slack to Socket Mode: no public endpoint.
    slack_app_token: SecretStr | None = None
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: str = "MultiTenant"
    # Fetch the Bot Framework's signing keys (OpenID metadata) from here instead of the
    # SDK's own addresses: a mirror the server can reach, or a test's loopback host.
    microsoft_openid_metadata_url: str | None = None
    bot_domain: str = "safecontact.example.org"
    # The address people's browsers reach this server at, for the letters' signed download
    # links (bot/letter_links.py); default https://<bot_domain>. The web chat uses its own.
    public_url: str | None = Field(
        None, max_length=300, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
    )
    # Days a letter's download link works for; after that `safecontact letters get` prints it.
    letter_link_days: int = Field(7, ge=1, le=90)
    # Operational tuning; the defaults suit a small office.
    scheduler_interval_seconds: float = Field(30.0, gt=0, le=3600)
    outbox_poll_seconds: float = Field(1.0, gt=0, le=60)
    outbox_lease_seconds: float = Field(60.0, ge=1, le=3600)
    # Seconds one call to Slack's Web API, or to Teams' Bot Connector, may take before it
    # counts as failed (the outbox then retries it; the fault tests set them short).
    slack_timeout_seconds: float = Field(10.0, gt=0, le=120)
    teams_timeout_seconds: float = Field(10.0, gt=0, le=120)
    organisation: Organisation = Field(default_factory=Organisation)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    staff: list[StaffEntry] = Field(default_factory=list)
    backup: BackupSettings = Field(default_factory=BackupSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    smtp_password: SecretStr | None = None
    # GET /metrics answers loopback only, or anyone who sends this as a bearer token.
    metrics_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("safecontact_metrics_token", "metrics_token")
    )
    config_path: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init kwargs; the environment must override it.
        return (env_settings, init_settings)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                f"'{value}' is not a database URL; use sqlite+aiosqlite:///./safecontact.db "
                "or postgresql+asyncpg://user@host/dbname"
            ) from None
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                f"the driver '{url.drivername}' is not supported; use sqlite+aiosqlite or "
                "postgresql+asyncpg"
            )
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError(
                "is not an app-level token: it starts with xapp- (Basic Information -> "
                "App-Level Tokens, with the connections:write scope)"
            )
        return value

    @model_validator(mode="after")
    def _directory(self) -> Settings:
        first: dict[str, int] = {}
        for i, entry in enumerate(self.staff):
            if entry.email in first:
                raise ValueError(
                    f"staff[{i}].email: '{entry.email}' is already used by "
                    f"staff[{first[entry.email]}]; each person appears once in the directory"
                )
            first[entry.email] = i
        for kind in ("slack_user_id", "teams_user_id"):
            seen: dict[str, int] = {}
            for i, entry in enumerate(self.staff):
                ident = getattr(entry, kind)
                if ident is None:
                    continue
                if ident in seen:
                    raise ValueError(
                        f"staff[{i}].{kind}: '{ident}' is already used by staff[{seen[ident]}]"
                    )
                seen[ident] = i
        for i, entry in enumerate(self.staff):
            if entry.manager is not None:
                if entry.manager not in first:
                    raise ValueError(
                        f"staff[{i}].manager: '{entry.manager}' is not in the staff directory"
                        "; add them as a [[staff]] entry or correct the address"
                    )
                if entry.manager == entry.email:
                    raise ValueError(f"staff[{i}].manager: a person cannot be their own manager")
        for i, entry in enumerate(self.staff):
            if (entry.nominated_by is None) != (entry.nominated_on is None):
                raise ValueError(
                    f"staff[{i}]: a nomination gives both nominated_by and nominated_on (s7)"
                )
            if entry.nominated_by is not None:
                nominator = first.get(entry.nominated_by)
                if nominator is None or "chief_executive" not in self.staff[nominator].roles:
                    raise ValueError(
                        f"staff[{i}].nominated_by: '{entry.nominated_by}' is not a chief "
                        "executive in the staff directory; s7: senior staff are nominated by "
                        "the Chief Executive"
                    )
                if "authoriser" not in entry.roles:
                    raise ValueError(
                        f"staff[{i}]: nominated to authorise, but without the authoriser role"
                    )
        return self

    @model_validator(mode="after")
    def _mail_from(self) -> Settings:
        if self.smtp.host and "@" not in self.mail_from:
            raise ValueError(
                "smtp.from_address: letters need an address to come from; set [smtp] "
                "from_address or [organisation] email"
            )
        return self

    @property
    def slack_socket_mode(self) -> bool:
        """Slack over Socket Mode: the bot connects out, so no signing secret is needed."""
        return bool(self.slack_bot_token and self.slack_app_token)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def mail_from(self) -> str:
        """The address letters are emailed from: [smtp] from_address, else the office's."""
        return self.smtp.from_address or self.organisation.email

    @property
    def letter_base_url(self) -> str:
        """Where the letters' download links point (bot/letter_links.py)."""
        return (self.public_url or f"https://{self.bot_domain.strip().lower()}").rstrip("/")

    @property
    def teams_app_configured(self) -> bool:
        return bool(self.microsoft_app_id)


def _format_error(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        loc = ""
        for part in e["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = e["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        if e["type"] == "extra_forbidden":
            msg = "is not a setting safecontact knows; check the spelling"
        elif e["type"] == "missing":
            msg = "is required"
        text = f"{loc}: {msg}" if loc and not msg.startswith(loc) else msg
        lines.append(text)
    head = f"{source} is not valid: " if source else "configuration is not valid: "
    return head + "; ".join(lines)


def config_path() -> Path | None:
    """The TOML file in use: SAFECONTACT_CONFIG, else ./safecontact.toml if present."""
    explicit = os.environ.get("SAFECONTACT_CONFIG")
    if explicit:
        return Path(explicit)
    default = Path.cwd() / DEFAULT_CONFIG_FILE
    return default if default.exists() else None


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read the file and the environment; raise ConfigError with one clear message."""
    path = path if path is not None else config_path()
    data: dict[str, Any] = {}
    source = ""
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: the configuration file does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path} is not valid TOML: save it as UTF-8 (byte {exc.start} is not UTF-8)"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"{path}: the configuration file cannot be read: {exc.strerror}"
            ) from None
        data["config_path"] = str(path)
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from None
