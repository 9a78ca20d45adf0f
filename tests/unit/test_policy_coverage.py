"""Policy coverage: every section of the policy is carried out by code and proved by tests.

The map lives next to the rules (a `POLICY` declaration in each dialogs module); these
tests fail when a section has nothing mapped, when a mapped test does not exist, or when
the map's sections drift from the policy's own headings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialogs import policy_map
from dialogs.context import Ctx
from dialogs.office import Organisation, PolicySettings
from dialogs.welfare.view import support_model
from storage.models import WelfareCheckIn

TESTS = Path(__file__).resolve().parents[1]
POLICY_TEXT = Path(__file__).resolve().parents[3] / "shared" / "policy.txt"
CLI = Path(sys.executable).with_name("safecontact")


def test_every_section_is_carried_out_and_proved() -> None:
    report = policy_map.coverage()
    found = policy_map.problems(report, TESTS)
    assert found.unmapped == (), f"sections with nothing carrying them out: {found.unmapped}"
    assert found.missing_tests == (), f"named tests that do not exist: {found.missing_tests}"
    assert [c.section.id for c in report] == [
        "1", "2", "3", "3.1", "3.2", "4", "5", "6", "7", "7.1", "7.2", "7.3", "8", "9", "13", "A"
    ]  # fmt: skip
    # Every obligation is enforced (its tests named) or left to judgement with a reason,
    # and sits in a module that exists.
    for c in report:
        for entry in c.entries:
            assert entry.carries.tests or entry.carries.judgement, entry
            assert entry.module.startswith("dialogs.")


def test_the_check_fails_on_an_unmapped_section_or_a_missing_test() -> None:
    """The coverage test above can fail: the checker finds both kinds of gap."""
    real = policy_map.declarations()
    without_s8 = [e for e in real if e.carries.section != "8"]
    invented = policy_map.Entry(
        "dialogs.example",
        policy_map.carries("7", "Something", "tests/unit/test_policy_coverage.py::test_not_here"),
    )
    found = policy_map.problems(policy_map.coverage([*without_s8, invented]), TESTS)
    assert found.unmapped == ("8",)
    assert found.missing_tests == (
        ("dialogs.example", "tests/unit/test_policy_coverage.py::test_not_here"),
    )
    assert not found.ok
    with pytest.raises(ValueError, match="unknown policy section"):
        policy_map.carries("10", "There is no section 10 in this policy", "tests/x.py::t")
    with pytest.raises(ValueError, match="name tests as"):
        policy_map.carries("7", "A test named loosely", "test_something")
    # A row that is neither enforced nor explained is refused where it is written.
    with pytest.raises(ValueError, match="say why it is left to human judgement"):
        policy_map.carries("6", "Something claimed with nothing behind it")
    with pytest.raises(ValueError, match="say why it is left to human judgement"):
        policy_map.left_to_judgement("6", "Something", "   ")
    row = policy_map.left_to_judgement("4", "Causes are considered", "A person's judgement.")
    assert not row.enforced and row.judgement == "A person's judgement."


def test_the_map_tells_what_is_enforced_and_what_is_left_to_people() -> None:
    """`safecontact policy` says, row by row, whether the server enforces an obligation
    (and the test) or leaves it to people (and why); claims the bot does not meet are
    said as such, not mapped to something else."""
    text = policy_map.as_text(policy_map.coverage())
    assert "[enforced; dialogs." in text and "[left to human judgement; dialogs." in text
    assert "why: " in text
    s1 = text[text.index("1 Introduction") : text.index("2 Key Principles")]
    assert "not ours to handle" in s1 and "Letters signpost" not in s1


def test_the_sections_are_the_policys_own_headings() -> None:
    if not POLICY_TEXT.exists():
        pytest.skip(f"the policy text is not at {POLICY_TEXT} (../shared absent)")
    text = POLICY_TEXT.read_text(encoding="utf-8")
    headings = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\.?\s+([A-Z][A-Za-z ,]+)", line)
        if match and len(match.group(2).split()) <= 8:
            headings.setdefault(match.group(1), match.group(2).strip())
        if line.strip().startswith("Appendix A:"):
            headings["A"] = line.strip()
    for section in policy_map.SECTIONS:
        assert section.id in headings, section
        assert headings[section.id].lower() == section.title.lower(), section
    assert policy_map.POLICY_REVISION.startswith("November 2011")
    assert "November 2011" in text and "Creation of policy" in text


def test_the_policy_command_prints_every_section(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SAFECONTACT_CONFIG", "DATABASE_URL")}
    done = subprocess.run(
        [str(CLI), "policy"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Revision: November 2011 (creation of policy)" in out
    for section in policy_map.SECTIONS:
        assert f"\n{section.id} {section.title}\n" in out
    assert "proved by tests/integration/test_records_export.py::" in out
    assert "; dialogs.dispute.interactions]" in out and "(nothing carries this out yet)" not in out
    # In policy order: s7.3 comes after s7.2 and before s8.
    assert out.index("\n7.2 ") < out.index("\n7.3 ") < out.index("\n8 ")


def test_the_support_card_links_the_related_policies() -> None:
    """s8: staff who feel unsafe or unfairly treated are pointed at the related policies."""
    org = Organisation(
        health_and_safety_policy_url="https://intranet.example.org/hs",
        dignity_at_work_policy_url="https://intranet.example.org/daw",
        diversity_policy_url="https://intranet.example.org/div",
    )
    ctx = Ctx(
        db=None,  # type: ignore[arg-type]  # support_model reads no data
        organisation=org,
        policy=PolicySettings(),
        now=datetime(2026, 11, 2, 10, tzinfo=UTC),
    )
    model = support_model(ctx, WelfareCheckIn(id=1, kind="self", privacy_steps_done=[]))
    assert model["policies"] == [
        {"label": "Health and Safety Policy", "url": "https://intranet.example.org/hs"},
        {"label": "Dignity at Work Policy", "url": "https://intranet.example.org/daw"},
        {
            "label": "Diversity and Equal Opportunities schemes",
            "url": "https://intranet.example.org/div",
        },
    ]
    # Without addresses, no dead links.
    bare = Ctx(db=ctx.db, organisation=Organisation(), policy=ctx.policy, now=ctx.now)
    checkin = WelfareCheckIn(id=1, kind="self", privacy_steps_done=[])
    assert support_model(bare, checkin)["policies"] == []


def _words(text: str) -> str:
    return " ".join(text.replace("’", "'").split()).lower()


def test_the_lists_quote_the_policy() -> None:
    """s3.1, s3.2 and s4: each choice's words (the full text where its short label
    abbreviates) are the policy's own, dropping nothing, and each list has one choice per
    bullet of the policy."""
    if not POLICY_TEXT.exists():
        pytest.skip(f"the policy text is not at {POLICY_TEXT} (../shared absent)")
    from dialogs import catalogue as cat

    policy = _words(POLICY_TEXT.read_text(encoding="utf-8"))
    for group in cat.BEHAVIOUR_GROUPS:
        for item in group.items:
            assert _words(item.text).rstrip(".") in policy, (group.id, item.id)
    for question in cat.SELF_CHECK:
        assert _words(question.text) in policy, question.id
    assert [len(g.items) for g in cat.BEHAVIOUR_GROUPS] == [7, 6, 5]
    assert len(cat.SELF_CHECK) == 5
