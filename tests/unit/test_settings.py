"""Settings: the office's IT officer edits one TOML file and must be told plainly what is wrong.

A mistake must stop the bot with one sentence that names the key, because a directory
with a typo would give someone the wrong powers (roles are checked on the server, DESIGN.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from bot.settings import ROLES, ConfigError, Settings, load_settings
from dialogs.office import Organisation, PolicySettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "safecontact.example.toml"
CLI = Path(sys.executable).with_name("safecontact")

ENV_KEYS = (
    "SAFECONTACT_CONFIG",
    "DATABASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
    "MICROSOFT_APP_TYPE",
)

DIRECTORY = """
[[staff]]
name = "Jo Reed"
email = "jo.reed@example.org"
roles = ["staff", "manager"]

[[staff]]
name = "Sam Patel"
email = "Sam.Patel@example.org"
roles = ["staff"]
manager = "jo.reed@example.org"
slack_user_id = "U012AB3CD"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting may leak in from the machine running the tests, nor a ./safecontact.toml."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def write(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str) -> str:
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(write(tmp_path / "bad.toml", body)))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- loading ---------------------------------------------------------------------


def test_no_file_and_no_environment_gives_the_defaults() -> None:
    settings = load_settings()
    assert settings.config_path is None
    assert settings.database_url == "sqlite+aiosqlite:///./safecontact.db"
    assert settings.staff == []
    assert settings.policy.timezone == "Europe/London"
    assert not settings.slack_enabled


def test_file_named_by_safecontact_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(
        tmp_path / "elsewhere.toml",
        'database_url = "sqlite+aiosqlite:////srv/sc.db"\n'
        '[organisation]\nname = "Office of the PCC"\n'
        '[policy]\nreview_period_days = 60\noffice_hours_start = "08:30"\n' + DIRECTORY,
    )
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(path))
    settings = load_settings()
    assert settings.config_path == str(path)
    assert settings.database_url == "sqlite+aiosqlite:////srv/sc.db"
    assert settings.organisation.name == "Office of the PCC"
    assert settings.policy.review_period_days == 60
    assert settings.policy.office_hours_start == time(8, 30)
    assert [s.email for s in settings.staff] == ["jo.reed@example.org", "sam.patel@example.org"]
    sam = settings.staff[1]
    assert sam.roles == ["staff"] and sam.manager == "jo.reed@example.org"
    assert sam.slack_user_id == "U012AB3CD"


def test_safecontact_toml_in_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "safecontact.toml", DIRECTORY)
    settings = load_settings()
    assert settings.config_path == str(tmp_path / "safecontact.toml")
    assert len(settings.staff) == 2


def test_safecontact_config_wins_over_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path / "safecontact.toml", "[policy]\nreview_period_days = 30\n")
    other = write(tmp_path / "other.toml", "[policy]\nreview_period_days = 45\n")
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(other))
    assert load_settings().policy.review_period_days == 45


def test_environment_wins_over_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(
        tmp_path / "safecontact.toml",
        'database_url = "sqlite+aiosqlite:///./from-file.db"\n'
        'slack_api_url = "https://slack.example.org/api/"\n',
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://sc@db.internal/safecontact")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://sc@db.internal/safecontact"
    assert settings.slack_api_url == "https://slack.example.org/api/"  # not in env: file value
    assert settings.slack_enabled
    # Secrets do not show up in a repr that might be logged.
    assert "s3cret" not in repr(settings) and "xoxb-test" not in repr(settings)


def test_a_file_with_only_staff_tables_is_valid(tmp_path: Path) -> None:
    write(tmp_path / "safecontact.toml", DIRECTORY)
    settings = load_settings()
    assert settings.organisation == Organisation()
    assert settings.policy == PolicySettings()
    assert [s.name for s in settings.staff] == ["Jo Reed", "Sam Patel"]


# --- refusals: each names the key and what is wrong ------------------------------


def test_unknown_role(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(
        monkeypatch,
        tmp_path,
        '[[staff]]\nname = "A"\nemail = "a@example.org"\nroles = ["staff", "superuser"]\n',
    )
    assert "staff[0].roles" in message
    assert "unknown role 'superuser'" in message
    assert "chief_executive" in message  # tells them what the roles are


def test_control_characters_in_the_file_are_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A directory name or letterhead line is printed in cards, letters and the terminal
    (issue 16): an Escape sequence in it is refused where it is written, not carried."""
    message = refused(
        monkeypatch,
        tmp_path,
        '[[staff]]\nname = "Jo\\u001b]0;owned\\u0007"\nemail = "jo@example.org"\n',
    )
    assert "staff[0].name" in message and "control character" in message
    assert "\x1b" not in message
    message = refused(monkeypatch, tmp_path, '[organisation]\naddress = "1 High St\\u0000"\n')
    assert "organisation.address" in message and "NUL" in message


def test_duplicate_email(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(
        monkeypatch,
        tmp_path,
        DIRECTORY + '\n[[staff]]\nname = "Jo Again"\nemail = "JO.REED@example.org"\n',
    )
    assert "staff[2].email" in message
    assert "'jo.reed@example.org' is already used by staff[0]" in message


def test_manager_not_in_the_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(
        monkeypatch,
        tmp_path,
        '[[staff]]\nname = "A"\nemail = "a@example.org"\nmanager = "nobody@example.org"\n',
    )
    assert "staff[0].manager" in message
    assert "'nobody@example.org' is not in the staff directory" in message


def test_own_manager(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(
        monkeypatch,
        tmp_path,
        '[[staff]]\nname = "A"\nemail = "a@example.org"\nmanager = "a@example.org"\n',
    )
    assert "staff[0].manager" in message and "own manager" in message


@pytest.mark.parametrize("bad", ["9.75", "25:00", "nine"])
def test_malformed_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: str) -> None:
    message = refused(monkeypatch, tmp_path, f'[policy]\noffice_hours_start = "{bad}"\n')
    assert "policy.office_hours_start" in message
    assert f"'{bad}' is not a time of day" in message and "HH:MM" in message


@pytest.mark.parametrize(
    ("raw", "shown"),
    [("9", "9"), ('"09:00+01:00"', "09:00+01:00"), ("2026-01-05T09:00:00Z", "2026-01-05")],
    ids=["bare-number", "with-offset", "a-datetime"],
)
def test_a_time_that_is_not_a_wall_clock_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, shown: str
) -> None:
    # Once, `9` was read as nine seconds past midnight UTC and crashed the start-up.
    message = refused(monkeypatch, tmp_path, f"[policy]\noffice_hours_start = {raw}\n")
    assert "policy.office_hours_start" in message
    assert shown in message and "is not a time of day" in message


def test_a_toml_local_time_is_a_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "safecontact.toml", "[policy]\noffice_hours_start = 08:30:00\n")
    assert load_settings().policy.office_hours_start == time(8, 30)


def test_office_hours_that_end_before_they_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = refused(
        monkeypatch,
        tmp_path,
        '[policy]\noffice_hours_start = "17:00"\noffice_hours_end = "09:00"\n',
    )
    assert "office_hours_end must be later than office_hours_start" in message


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[policy]\nreview_perod_days = 30\n", "policy.review_perod_days"),
        ('[organisation]\nnmae = "OPCC"\n', "organisation.nmae"),
        ('databse_url = "sqlite+aiosqlite:///x.db"\n', "databse_url"),
        ('[[staff]]\nname = "A"\nemail = "a@example.org"\nslack_id = "U1"\n', "staff[0].slack_id"),
    ],
)
def test_unknown_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, body: str, key: str) -> None:
    message = refused(monkeypatch, tmp_path, body)
    assert f"{key}: is not a setting safecontact knows; check the spelling" in message


def test_bad_toml_syntax(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(monkeypatch, tmp_path, '[policy\ntimezone = "Europe/London"\n')
    assert "bad.toml is not valid TOML" in message
    assert "line 1" in message


def test_a_file_not_saved_as_utf8(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # What a Windows editor saving "Café" in Latin-1 produces.
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[organisation]\nname = "Café"\n'.encode("latin-1"))
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(bad))
    with pytest.raises(ConfigError, match="save it as UTF-8"):
        load_settings()


def test_a_directory_instead_of_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(tmp_path))
    with pytest.raises(ConfigError, match="the configuration file cannot be read"):
        load_settings()


def test_unknown_time_zone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(monkeypatch, tmp_path, '[policy]\ntimezone = "Europe/Londn"\n')
    assert "policy.timezone" in message
    assert "'Europe/Londn' is not a known time zone" in message


def test_duplicate_slack_user_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    message = refused(
        monkeypatch,
        tmp_path,
        DIRECTORY
        + '\n[[staff]]\nname = "C"\nemail = "c@example.org"\nslack_user_id = "U012AB3CD"\n',
    )
    assert "staff[2].slack_user_id" in message
    assert "'U012AB3CD' is already used by staff[1]" in message


def test_missing_file_named_by_safecontact_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "safecontact.toml"
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(missing))
    with pytest.raises(ConfigError, match="the configuration file does not exist") as caught:
        load_settings()
    assert str(missing) in str(caught.value)


def test_the_file_names_itself_in_the_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = refused(monkeypatch, tmp_path, '[policy]\ntimezone = "Nowhere/Special"\n')
    assert message.startswith(f"{tmp_path / 'bad.toml'} is not valid: ")


def test_the_cli_refuses_a_bad_file_with_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.toml",
        '[[staff]]\nname = "A"\nemail = "a@example.org"\nroles = ["overlord"]\n',
    )
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env["SAFECONTACT_CONFIG"] = str(bad)
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'never.db'}"
    done = subprocess.run(
        [str(CLI), "staff", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("safecontact: ")
    assert "staff[0].roles" in lines[0] and "unknown role 'overlord'" in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "never.db").exists(), "nothing is touched with a bad configuration"


# --- the documented example ------------------------------------------------------


def test_the_example_configuration_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECONTACT_CONFIG", str(EXAMPLE))
    settings = load_settings()
    staff = settings.staff
    assert {role for entry in staff for role in entry.roles} == set(ROLES)
    managers = {entry.manager for entry in staff} - {None}
    assert managers, "the example shows a manager chain"
    by_email = {entry.email: entry for entry in staff}
    # Someone's manager has a manager of their own: a chain, not a single level.
    assert any(by_email[m].manager is not None for m in managers)
    assert all(entry.email.endswith("@example.org") for entry in staff)


def test_the_example_documents_every_setting_at_its_default() -> None:
    """So an office copying the example changes only what it means to change."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(data["organisation"]) == set(Organisation.model_fields)
    assert set(data["policy"]) == set(PolicySettings.model_fields)
    assert PolicySettings.model_validate(data["policy"]) == PolicySettings()
    fields = set(Settings.model_fields) - {"organisation", "policy", "staff", "config_path"}
    assert set(data) - {"organisation", "policy", "staff"} <= fields


def test_client_timeouts_come_from_the_file_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """slack_timeout_seconds and teams_timeout_seconds: the example gives the defaults,
    and the environment wins (the fault tests set them short through Settings)."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Settings()
    assert data["slack_timeout_seconds"] == defaults.slack_timeout_seconds == 10
    assert data["teams_timeout_seconds"] == defaults.teams_timeout_seconds == 10
    monkeypatch.setenv("SLACK_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("TEAMS_TIMEOUT_SECONDS", "4")
    settings = load_settings(EXAMPLE)
    assert (settings.slack_timeout_seconds, settings.teams_timeout_seconds) == (2.5, 4.0)
    monkeypatch.setenv("TEAMS_TIMEOUT_SECONDS", "0")
    with pytest.raises(ConfigError, match="teams_timeout_seconds"):
        load_settings(EXAMPLE)


CE = '[[staff]]\nname = "Casey Chief"\nemail = "ce@example.org"\nroles = ["chief_executive"]\n'


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        (
            'nominated_by = "ce@example.org"\nroles = ["authoriser"]\n',
            "a nomination gives both nominated_by and nominated_on (s7)",
        ),
        (
            'nominated_by = "nobody@example.org"\nnominated_on = 2026-01-12\n'
            'roles = ["authoriser"]\n',
            "'nobody@example.org' is not a chief executive in the staff directory",
        ),
        (
            'nominated_by = "ce@example.org"\nnominated_on = 2026-01-12\nroles = ["staff"]\n',
            "nominated to authorise, but without the authoriser role",
        ),
    ],
)
def test_a_nomination_names_a_chief_executive_and_a_date(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, entry: str, said: str
) -> None:
    """s7: "senior staff nominated by the Chief Executive"; the file says by whom and when."""
    body = CE + '\n[[staff]]\nname = "Bea Nominee"\nemail = "bea@example.org"\n' + entry
    assert said in refused(monkeypatch, tmp_path, body)


def test_an_authoritys_words_and_the_warning_for_none() -> None:
    from dialogs.authorisation import authority
    from storage.models import StaffMember

    head = StaffMember(name="A", head_of_business_services=True)
    nominee = StaffMember(
        name="B", nominated_by_email="ce@example.org", nominated_on=date(2026, 1, 12)
    )
    assert authority.words(head, None) == "as Head of Business Services and Assurance"
    assert authority.words(nominee, "Casey Chief") == "nominated by Casey Chief on 12 Jan 2026"
    assert "no authority recorded" in authority.words(StaffMember(name="C"), None)
    assert authority.unrecorded(
        [
            ("A", ["authoriser"], True, None),
            ("B", ["authoriser"], False, "ce@example.org"),
            ("C", ["authoriser"], False, None),
            ("D", ["staff"], False, None),
        ]
    ) == ["C"]
    assert "no authority is recorded for C" in authority.warning(["C"])
