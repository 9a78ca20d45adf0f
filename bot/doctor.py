"""`safecontact doctor`: one command that checks the whole set-up, before anything fails.

Each check prints one line, ✓ with what it found or ✗ with what is wrong and what to do;
a platform or feature that is not in use prints "-" and is no failure. The exit code is
1 if any line is ✗. It changes nothing: it reads the configuration and the database,
asks Slack who the token is, asks Azure for a token, and fetches this bot's /healthz
through its public address.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TextIO

import aiohttp
from sqlalchemy.engine import make_url

from bot import audit_check
from bot.backup import copies_in
from bot.mail import mailer_for
from bot.metrics import RECENT_FAILURES
from bot.runtime import system_clock
from bot.settings import Settings
from dialogs import directory
from dialogs.authorisation import authority
from dialogs.mail import MailFailed, MailRefused
from storage import audit as audit_store
from storage import health, migrate
from storage import staff as staff_repo

OK, FAIL, SKIP, WARN = "ok", "fail", "skip", "warn"
# A warning ("!") is told but does not fail the check: the bot works, less well than it should.
MARK = {OK: "✓", FAIL: "✗", SKIP: "-", WARN: "!"}
TIMEOUT = 10.0
# A Slack signing secret is 32 hexadecimal characters (Basic Information -> App Credentials).
SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")
# Outbox messages waiting longer than this past their time mean nothing is sending them.
OUTBOX_STUCK = timedelta(minutes=10)
# A nightly backup older than this was missed.
BACKUP_STALE = timedelta(hours=26)


@dataclass(frozen=True)
class Finding:
    status: str
    name: str
    text: str

    def line(self) -> str:
        return f"{MARK[self.status]} {self.name}: {self.text}"


def ok(name: str, text: str) -> Finding:
    return Finding(OK, name, text)


def fail(name: str, text: str) -> Finding:
    return Finding(FAIL, name, text)


def skip(name: str, text: str) -> Finding:
    return Finding(SKIP, name, text)


def warn(name: str, text: str) -> Finding:
    return Finding(WARN, name, text)


def manifest_scopes() -> set[str]:
    """The bot scopes the shipped Slack manifest asks for (both variants ask the same)."""
    text = resources.files("bot").joinpath("slack", "manifest.json").read_text()
    return set(json.loads(text)["oauth_config"]["scopes"]["bot"])


class Doctor:
    def __init__(self, settings: Settings, *, now: datetime | None = None) -> None:
        self.settings = settings
        self.now = now or system_clock()
        self.db = audit_check.database(settings)
        self.db_ready = False

    async def run(self) -> list[Finding]:
        found: list[Finding] = []
        checks: list[Callable[[], Awaitable[list[Finding]]]] = [
            self.configuration,
            self.policy_document,
            self.database,
            self.slack,
            self.teams,
            self.staff_directory,
            self.outbox_and_jobs,
            self.audit,
            self.backups,
            self.mail,
        ]
        try:
            for check in checks:
                try:
                    found.extend(await check())
                except Exception as exc:  # a check that breaks is itself a finding
                    found.append(fail(check.__name__, f"the check itself failed: {exc!r}"))
        finally:
            await self.db.dispose()
        return found

    # -- configuration and database ----------------------------------------------------------
    async def configuration(self) -> list[Finding]:
        s = self.settings
        where = s.config_path or "no configuration file (defaults and the environment)"
        if not s.staff:
            return [
                fail(
                    "configuration",
                    f"{where}: the staff directory is empty; add a [[staff]] table for each "
                    "person (see safecontact.example.toml)",
                )
            ]
        found = [ok("configuration", f"{where}, {len(s.staff)} people in the directory")]
        if not (s.slack_enabled or s.teams_app_configured):
            found.append(
                fail(
                    "chat platform",
                    "neither Slack nor Teams is configured; set SLACK_BOT_TOKEN with "
                    "SLACK_APP_TOKEN (or SLACK_SIGNING_SECRET), or MICROSOFT_APP_ID and "
                    "MICROSOFT_APP_PASSWORD (README: Going live)",
                )
            )
        return found

    async def policy_document(self) -> list[Finding]:
        """s7: "A copy of this policy will be provided" with the strategy letter; s7.2: the
        letter tells them where they can still write."""
        org = self.settings.organisation
        found_head = org.letterhead_missing()
        head = [warn("letterhead", found_head)] if found_head else []
        missing = org.policy_missing()
        if missing:
            return [*head, warn("policy document", missing)]
        found = []
        if org.policy_document_file:
            path = Path(org.policy_document_file)
            if not await asyncio.to_thread(path.is_file):
                return [*head, fail("policy document", f"{path} is configured but is not there")]
            found.append(f"{path} is enclosed with strategy letters")
        if org.policy_url:
            found.append(f"{org.policy_url} is linked from strategy letters")
        return [*head, ok("policy document", "; ".join(found))]

    async def database(self) -> list[Finding]:
        url = make_url(self.settings.database_url)
        where = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            path = Path(url.database)
            if not await asyncio.to_thread(path.exists):  # a check creates no empty file
                return [
                    fail(
                        "database",
                        f"there is no database at {path}; check DATABASE_URL "
                        "(serve creates it at its first start)",
                    )
                ]
        if not await self.db.ping():
            return [
                fail(
                    "database",
                    f"cannot reach {where}; check DATABASE_URL and that the server is running",
                )
            ]
        found = [ok("database", f"{where} answers")]
        head = migrate.head_revision()
        current = await migrate.current_revision(self.db)
        if current is None:
            found.append(
                fail("migrations", "the database has no tables yet; run `safecontact db upgrade`")
            )
        elif head is not None and current != head:
            found.append(
                fail(
                    "migrations",
                    f"the database is at {current}, this version needs {head}; run "
                    "`safecontact db upgrade` (serve also upgrades at start)",
                )
            )
        else:
            self.db_ready = True
            found.append(ok("migrations", f"at the head ({current})"))
        return found

    # -- Slack ------------------------------------------------------------------------------
    async def slack(self) -> list[Finding]:
        s = self.settings
        if s.slack_bot_token is None:
            return [skip("Slack", "not configured (no SLACK_BOT_TOKEN)")]
        from slack_sdk.errors import SlackApiError
        from slack_sdk.web.async_client import AsyncWebClient

        base = s.slack_api_url if s.slack_api_url.endswith("/") else s.slack_api_url + "/"
        found: list[Finding] = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
            bot = AsyncWebClient(
                token=s.slack_bot_token.get_secret_value(), base_url=base, session=http
            )
            try:
                who = await bot.auth_test()
            except SlackApiError as exc:
                error = exc.response.get("error")
                return [
                    fail(
                        "Slack token",
                        f"Slack refused the bot token ({error}); copy the xoxb- Bot User OAuth "
                        "Token again from OAuth & Permissions and restart",
                    )
                ]
            except (aiohttp.ClientError, TimeoutError) as exc:
                return [fail("Slack token", f"cannot reach Slack at {base}: {type(exc).__name__}")]
            found.append(
                ok("Slack token", f"works: bot {who.get('user_id')} in team {who.get('team_id')}")
            )
            granted = {
                x.strip() for x in (who.headers.get("x-oauth-scopes") or "").split(",") if x.strip()
            }
            missing = sorted(manifest_scopes() - granted)
            if missing:
                found.append(
                    fail(
                        "Slack scopes",
                        f"the token lacks {', '.join(missing)}; add "
                        f"{'it' if len(missing) == 1 else 'them'} under OAuth & "
                        "Permissions (or update the app from the manifest) and reinstall the app",
                    )
                )
            else:
                found.append(ok("Slack scopes", "the token has every scope the manifest asks for"))
            if s.slack_app_token is not None:
                found.append(await self._socket_mode(base, http))
                found.append(skip("Slack signing secret", "not needed in Socket Mode"))
            else:
                found.append(skip("Slack Socket Mode", "off; Slack sends requests over HTTPS"))
                found.append(self._signing_secret())
        return found

    async def _socket_mode(self, base: str, http: aiohttp.ClientSession) -> Finding:
        from slack_sdk.errors import SlackApiError
        from slack_sdk.web.async_client import AsyncWebClient

        token = self.settings.slack_app_token
        assert token is not None
        app = AsyncWebClient(base_url=base, session=http)
        try:
            await app.apps_connections_open(app_token=token.get_secret_value())
        except SlackApiError as exc:
            error = exc.response.get("error")
            return fail(
                "Slack Socket Mode",
                f"Slack refused the app-level token ({error}); make one with the "
                "connections:write scope (Basic Information -> App-Level Tokens), and turn "
                "Socket Mode on (Settings -> Socket Mode)",
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return fail("Slack Socket Mode", f"cannot reach Slack: {type(exc).__name__}")
        return ok("Slack Socket Mode", "the app-level token opens connections; no public address")

    def _signing_secret(self) -> Finding:
        secret = self.settings.slack_signing_secret
        if secret is None:
            return fail(
                "Slack signing secret",
                "not set, so Slack's requests cannot be checked; set SLACK_SIGNING_SECRET "
                "(Basic Information -> App Credentials), or use Socket Mode (SLACK_APP_TOKEN)",
            )
        if not SIGNING_SECRET.match(secret.get_secret_value()):
            return fail(
                "Slack signing secret",
                "does not look like one (32 hexadecimal characters); copy the Signing Secret "
                "from Basic Information -> App Credentials, not the token or client secret",
            )
        return ok(
            "Slack signing secret",
            "set; a wrong one shows as 'invalid signature' (401) for every Slack request",
        )

    # -- Teams ------------------------------------------------------------------------------
    async def teams(self) -> list[Finding]:
        s = self.settings
        if not s.microsoft_app_id:
            return [skip("Teams", "not configured (no MICROSOFT_APP_ID)")]
        found = [await self._teams_token(), await self._bot_domain()]
        unknown = [e for e in s.staff if not e.teams_user_id]
        if unknown and not s.microsoft_app_tenant_id:
            found.append(
                fail(
                    "Teams tenant",
                    f"{len(unknown)} people have no teams_user_id and MICROSOFT_APP_TENANT_ID is "
                    "not set, so they cannot be linked by email; set it to your tenant id",
                )
            )
        elif s.microsoft_app_tenant_id:
            found.append(ok("Teams tenant", "set; Teams accounts are linked by email from it"))
        return found

    async def _teams_token(self) -> Finding:
        s = self.settings
        if s.microsoft_app_password is None:
            return fail(
                "Teams credentials",
                "MICROSOFT_APP_PASSWORD is not set; create a client secret for the bot's app "
                "registration and set it",
            )
        from botframework.connector.auth import MicrosoftAppCredentials

        # As the bot's own credential factory does: a multi-tenant bot asks botframework.com.
        single = s.microsoft_app_type.lower() == "singletenant"
        tenant = s.microsoft_app_tenant_id if single else None
        credentials = MicrosoftAppCredentials(
            s.microsoft_app_id, s.microsoft_app_password.get_secret_value(), tenant
        )
        try:
            # msal is synchronous (requests): off the event loop.
            await asyncio.wait_for(asyncio.to_thread(credentials.get_access_token), 30)
        except Exception as exc:
            reason = str(exc).split("error_description:")[-1].strip().split("\n")[0][:200]
            return fail(
                "Teams credentials",
                f"no token from Azure for app {s.microsoft_app_id} "
                f"({reason or type(exc).__name__}); check MICROSOFT_APP_ID, "
                "MICROSOFT_APP_PASSWORD (not expired), MICROSOFT_APP_TENANT_ID and "
                "MICROSOFT_APP_TYPE",
            )
        return ok("Teams credentials", f"Azure issued a token for app {s.microsoft_app_id}")

    async def _bot_domain(self) -> Finding:
        from bot.teams.package import DOMAIN

        domain = self.settings.bot_domain.strip().lower()
        if domain == "safecontact.example.org" or not DOMAIN.match(domain):
            return fail(
                "bot domain",
                f"'{domain}' is not this bot's address; set bot_domain (or BOT_DOMAIN) to the "
                "host name Teams reaches it on",
            )
        url = f"https://{domain}/healthz"
        context = ssl.create_default_context()  # made now: honours SSL_CERT_FILE
        try:
            async with (
                aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=TIMEOUT), trust_env=True
                ) as http,
                http.get(url, ssl=context) as resp,
            ):
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return fail(
                "bot domain",
                f"{url} did not answer ({type(exc).__name__}); Teams sends messages to "
                f"https://{domain}/api/messages, so route that address to this server "
                "(deploy/nginx.conf)",
            )
        if not isinstance(body, dict) or "database" not in body:
            return fail(
                "bot domain", f"{url} answered, but not as safecontact; check the reverse proxy"
            )
        return ok("bot domain", f"{url} reaches this bot")

    # -- the directory, as the database holds it ---------------------------------------------
    async def staff_directory(self) -> list[Finding]:
        if not self.db_ready:
            return [skip("directory", "not checked: the database is not ready")]
        async with self.db.read() as session:
            people = await directory.reach_of_staff(session)
            roles = {
                role: [m.name for m in await staff_repo.with_role(session, role=role)]
                for role in ("authoriser", "chief_executive", "admin")
            }
        found = []
        stored = {p.email for p in people}
        wanted = {e.email for e in self.settings.staff}
        if stored != wanted:
            found.append(
                fail(
                    "directory",
                    "the database holds an older copy of the directory file; restart serve "
                    "(or run `safecontact staff link`) to sync it",
                )
            )
        for role, why in (
            ("authoriser", "nobody can authorise a contact strategy (s7)"),
            ("chief_executive", "disputes of a restriction go to the Chief Executive (s7.3)"),
            ("admin", "admins are told when a message cannot be delivered"),
        ):
            names = roles[role]
            label = role.replace("_", " ")
            if names:
                found.append(ok(f"{label}s", ", ".join(names)))
                if role == "authoriser" and (
                    unrecorded := authority.unrecorded(
                        [
                            (e.name, list(e.roles), e.head_of_business_services, e.nominated_by)
                            for e in self.settings.staff
                        ]
                    )
                ):
                    found.append(warn("authority", authority.warning(unrecorded)))
            else:
                found.append(fail(f"{label}s", f"none: {why}; give someone the {role} role"))
        slack_on, teams_on = self.settings.slack_enabled, self.settings.teams_app_configured
        if slack_on or teams_on:
            nowhere = [p for p in people if not p.where(slack_on=slack_on, teams_on=teams_on)]
            if nowhere:
                names = ", ".join(p.name for p in nowhere[:5]) + (
                    " ..." if len(nowhere) > 5 else ""
                )
                found.append(
                    fail(
                        "reachable",
                        f"{len(nowhere)} of {len(people)} cannot be messaged on any platform "
                        f"({names}); `safecontact staff link` says why for each",
                    )
                )
            else:
                found.append(ok("reachable", f"all {len(people)} people can be messaged"))
        return found

    # -- outbox, jobs, audit, backups -------------------------------------------------------
    async def outbox_and_jobs(self) -> list[Finding]:
        if not self.db_ready:
            return [skip("outbox and jobs", "not checked: the database is not ready")]
        now = self.now
        grace = health.overdue_grace(self.settings.scheduler_interval_seconds)
        async with self.db.read() as session:
            box = await health.outbox_health(session, now=now, since=now - RECENT_FAILURES)
            jobs = await health.jobs_health(session, now=now, grace=grace)
        found = []
        if box.failed_since:
            found.append(
                fail(
                    "outbox",
                    f"{box.failed_since} messages failed in the last 7 days (the admins were "
                    "told of each); `safecontact staff link` shows who cannot be reached",
                )
            )
        elif box.oldest_due_at is not None and now - box.oldest_due_at > OUTBOX_STUCK:
            waiting = box.by_status["pending"] + box.by_status["sending"]
            found.append(
                fail(
                    "outbox",
                    f"{waiting} messages have waited since {box.oldest_due_at:%Y-%m-%d %H:%M} "
                    "UTC; is `safecontact serve` running, and can it reach Slack or Teams?",
                )
            )
        else:
            found.append(ok("outbox", "no failed messages in the last 7 days, none stuck"))
        if jobs.overdue:
            assert jobs.oldest_due_at is not None
            found.append(
                fail(
                    "jobs",
                    f"{jobs.overdue} reminders are overdue (the oldest was due "
                    f"{jobs.oldest_due_at:%Y-%m-%d %H:%M} UTC); is `safecontact serve` running? "
                    "(`safecontact jobs run-due` runs them once)",
                )
            )
        elif jobs.failed:
            found.append(
                fail(
                    "jobs",
                    f"{jobs.failed} jobs failed; `safecontact jobs list --status failed` shows "
                    "their errors",
                )
            )
        else:
            found.append(ok("jobs", "none overdue, none failed"))
        return found

    async def audit(self) -> list[Finding]:
        if not self.db_ready:
            return [skip("audit trail", "not checked: the database is not ready")]
        files = self.db.audit
        if not files.exists():
            if await audit_store.is_keyed(self.db):
                return [
                    fail(
                        "audit key",
                        f"the audit trail is keyed but there is no key at {files.key_path}; "
                        "restore it from its backup (`serve` refuses to start without it)",
                    )
                ]
            return [
                skip(
                    "audit key",
                    f"none yet: `safecontact serve` makes it at {files.key_path} at its first "
                    "start; back it up then, apart from the database's backups",
                )
            ]
        found = [
            ok(
                "audit key",
                f"{files.key_path}; keep a copy apart from the database's backups (without it "
                f"the trail cannot be verified); anchors in {files.anchor_path}",
            )
        ]
        verdict = await audit_check.verify(self.db)
        if verdict.ok:
            return [*found, ok("audit trail", f"intact: {verdict.checked} events verified")]
        kinds = "; ".join(f.line() for f in verdict.findings)
        return [
            *found,
            fail(
                "audit trail",
                f"BROKEN: {kinds}; keep this database and the anchor file as evidence and "
                "compare them with your latest backup (`safecontact audit verify`)",
            ),
        ]

    async def backups(self) -> list[Finding]:
        cfg = self.settings.backup
        if not cfg.folder:
            return [
                skip(
                    "backups",
                    "no [backup] folder set; take copies with `safecontact backup --out FILE` "
                    "or your own tools",
                )
            ]
        folder = Path(cfg.folder)
        taken = (
            await asyncio.to_thread(copies_in, folder)
            if await asyncio.to_thread(folder.is_dir)
            else None
        )
        if taken is None:
            return [fail("backups", f"{folder} does not exist; create it, writable by the bot")]
        local_now = self.now.astimezone(self.settings.policy.zone).replace(tzinfo=None)
        if not taken or local_now - taken[-1][0] > BACKUP_STALE:
            last = f"the last was {taken[-1][1].name}" if taken else "there are none"
            return [
                fail(
                    "backups",
                    f"no nightly copy in {folder} for over a day ({last}); is serve running, "
                    "and can it write there?",
                )
            ]
        return [ok("backups", f"{len(taken)} copies in {folder}, the newest {taken[-1][1].name}")]

    async def mail(self) -> list[Finding]:
        """[smtp]: the mail server "Send by email" uses answers, secured and signed in."""
        mailer = mailer_for(self.settings)
        if mailer is None:
            return [
                skip(
                    "email",
                    "no [smtp] host set: letters are posted or handed over and recorded by "
                    "hand (Send by email is not offered)",
                )
            ]
        try:
            return [ok("email", await mailer.check())]
        except (MailFailed, MailRefused) as exc:
            return [fail("email", f"{exc}; Send by email will fail until this is fixed")]


async def run(settings: Settings, *, out: TextIO, now: datetime | None = None) -> int:
    findings = await Doctor(settings, now=now).run()
    for finding in findings:
        print(finding.line(), file=out)
    failed = sum(1 for f in findings if f.status == FAIL)
    print(file=out)
    if failed:
        print(f"{failed} problem{'s' if failed != 1 else ''} found.", file=out)
        return 1
    print("Everything checked is in order.", file=out)
    return 0
