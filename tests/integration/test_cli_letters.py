"""`safecontact letters list REF` and `letters get ID`: a case's letters, as kept (issue 14).

The letters are rendered by the real letter code and kept as the bot keeps them; one is
recorded as sent through `dialogs.letters.record_sent`, the one place a sending record is
written. The commands are driven through the real parser and handlers.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pypdf
import pytest

from bot import cli, commands
from bot.settings import Settings
from cards import letters
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.letters import heading, record_sent
from dialogs.office import Organisation, PolicySettings
from storage.db import Database
from storage.models import Letter, Person, StaffMember, StaffRole
from storage.models.status import LetterSendMethod
from tests.backends import both_backends
from tests.letter_check import check

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
RTL = "\u0645\u0631\u062d\u0628\u0627"


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


async def seed(db: Database) -> tuple[int, int]:
    """Two warning letters for one person; the first recorded as sent by post."""
    ctx = Ctx(db=db, organisation=Organisation(), policy=PolicySettings(), now=NOW)
    async with db.write() as s:
        jo = StaffMember(email="jo@example.org", name="Jo Reed")
        jo.roles.append(StaffRole(role="manager"))
        person = Person(reference="SC-2026-00042", name=f"Zoë {RTL} <b>Example</b>")
        s.add_all([jo, person])
        await s.flush()
        kept = []
        for n in (1, 2):
            model = {
                **heading(ctx, person, jo),
                "occurred_on": f"0{n} December 2026",
                "channel": "telephone",
                "behaviours": [{"section": "3.1", "text": "Swearing or offensive language"}],
                "behaviour_to_change": "Please speak to our staff calmly.",
            }
            subject, html, text = letters.render("warning", model)
            letter = Letter(
                person_id=person.id, kind="warning", send_by="letter", subject=subject,
                html=html, text=text, created_by_id=jo.id, created_at=NOW,
            )  # fmt: skip
            s.add(letter)
            kept.append(letter)
        await s.flush()
        ids = (kept[0].id, kept[1].id)
    async with change(ctx, "test") as uow:
        first = await uow.session.get(Letter, ids[0])
        by = await uow.session.get(StaffMember, jo.id)
        assert first is not None and by is not None
        await record_sent(uow, first, method=LetterSendMethod.POST, on=date(2026, 12, 4), by=by)
    return ids


async def run(url: str, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args = cli._parser().parse_args(list(argv))
    code = await commands.lookup(args)(Settings(database_url=url), args)
    out, err = capsys.readouterr()
    return code, out, err


@both_backends
async def test_letters_list_shows_each_letter_with_its_sending_record(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = await seed(db)
    code, out, _ = await run(fresh_db_url, "letters", "list", "SC-2026-00042", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "SC-2026-00042: 2 letters"
    assert re.search(
        rf"#{first} .*warning.*\(sent 04 Dec 2026 by post, recorded by Jo Reed\)", lines[1]
    )
    assert re.search(rf"#{second} .*\(not recorded as sent\)", lines[2])
    code, _, err = await run(fresh_db_url, "letters", "list", "SC-2099-00001", capsys=capsys)
    assert code == 1 and "No person or case matches" in err


@both_backends
async def test_letters_get_prints_exactly_what_was_kept(
    db: Database, fresh_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = await seed(db)
    async with db.read() as s:
        kept = await s.get(Letter, first)
        assert kept is not None
    for fmt, body in (("html", kept.html), ("txt", kept.text)):
        out = tmp_path / f"letter.{fmt}"
        code, said, _ = await run(
            fresh_db_url, "letters", "get", str(first), "--format", fmt, "--out", str(out),
            capsys=capsys,
        )  # fmt: skip
        assert code == 0 and f"wrote {out}" in said
        assert out.read_text() == body
        check(body, html=fmt == "html")
    for large in (False, True):
        out = tmp_path / f"letter{'-large' if large else ''}.pdf"
        argv = ["letters", "get", str(first), "--out", str(out)] + (
            ["--large-print"] if large else []
        )
        code, _, _ = await run(fresh_db_url, *argv, capsys=capsys)
        assert code == 0
        reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
        text = " ".join(page.extract_text() for page in reader.pages)
        assert "Please speak to our staff calmly." in text and "SC-2026-00042" in text
    code, _, err = await run(
        fresh_db_url, "letters", "get", "999", "--out", str(tmp_path / "x.pdf"), capsys=capsys
    )
    assert code == 1 and "No letter #999" in err
    code, _, err = await run(
        fresh_db_url, "letters", "get", str(first), "--format", "txt", "--large-print",
        "--out", str(tmp_path / "x.txt"), capsys=capsys,
    )  # fmt: skip
    assert code == 1 and "Use --format pdf" in err
