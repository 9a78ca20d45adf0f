"""Which code carries out which section of the policy, and which tests prove it (s13).

Each dialogs module declares, next to its rules, a module-level `POLICY` tuple of
`Carries` entries, one per obligation: the section, the obligation as the bot meets it in
a sentence, and either the tests that fail if it breaks ("tests/test_x.py::test_name":
*enforced*) or the reason it is left to people (`left_to_judgement`: the policy asks for a
judgement no server can make, or the bot does not yet carry it out, said plainly). A row
with neither is refused where it is written. Nothing registers at import time; `coverage()` imports
the dialogs package and reads the declarations, so the map cannot drift away from the
code into a hand-kept document. `safecontact policy` prints it, and the coverage test
fails when a section has nothing mapped or a named test does not exist.

The policy's own revision record (s13) is echoed in `POLICY_REVISION`: when the office
revises the policy, this is the line to change, and the map is the checklist to re-read.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

POLICY_TITLE = "Managing unacceptable or unreasonable behaviour from members of the public"
# s13 Revision record: the revision this build carries out.
POLICY_REVISION = "November 2011 (creation of policy)"


@dataclass(frozen=True)
class Section:
    id: str
    title: str


SECTIONS: tuple[Section, ...] = (
    Section("1", "Introduction"),
    Section("2", "Key Principles"),
    Section("3", "Implications of the policy"),
    Section("3.1", "Unacceptable behaviour"),
    Section("3.2", "Unreasonable behaviour"),
    Section("4", "Underlying causes"),
    Section("5", "Needs of individual members of the public"),
    Section("6", "Managing behaviour"),
    Section("7", "Contact strategy"),
    Section("7.1", "Monitoring the contact strategy"),
    Section("7.2", "Further contact"),
    Section("7.3", "Disputing a decision to restrict contact"),
    Section("8", "Links to other policies"),
    Section("9", "Rights in requesting information"),
    Section("13", "Revision record"),
    Section("A", "Appendix A: Staff welfare and protecting privacy"),
)
SECTION_IDS = frozenset(s.id for s in SECTIONS)


@dataclass(frozen=True)
class Carries:
    """One obligation of a policy section, as the module it sits in meets it: enforced
    (`tests`, which fail if it breaks) or left to human judgement (`judgement`, why)."""

    section: str
    feature: str
    tests: tuple[str, ...]
    judgement: str = ""

    def __post_init__(self) -> None:
        # A typo in a section id would silently map nothing; refuse it where it is written.
        if self.section not in SECTION_IDS:
            raise ValueError(f"unknown policy section {self.section!r}")
        for test in self.tests:
            if "::" not in test or not test.startswith("tests/"):
                raise ValueError(f"name tests as tests/test_x.py::test_name, not {test!r}")
        if not self.tests and not self.judgement.strip():
            raise ValueError(
                f"s{self.section} {self.feature[:40]!r}: name the tests that enforce it, or "
                "say why it is left to human judgement"
            )
        if self.tests and self.judgement:
            raise ValueError("an obligation is enforced (tests) or left to judgement, not both")

    @property
    def enforced(self) -> bool:
        return bool(self.tests)


def carries(section: str, feature: str, *tests: str) -> Carries:
    """An obligation the server enforces, with the tests that fail if it breaks."""
    return Carries(section, feature, tuple(tests))


def left_to_judgement(section: str, feature: str, reason: str) -> Carries:
    """An obligation left to people, with the reason: a judgement no server can make,
    or a part the bot does not carry out (yet), said so rather than claimed."""
    return Carries(section, feature, (), reason)


@dataclass(frozen=True)
class Entry:
    module: str
    carries: Carries


@dataclass(frozen=True)
class SectionCoverage:
    section: Section
    entries: tuple[Entry, ...]


def declarations(package: str = "dialogs") -> list[Entry]:
    """Every `POLICY` declaration in the package's modules, in module order."""
    root = importlib.import_module(package)
    found: list[Entry] = []
    for info in sorted(pkgutil.walk_packages(root.__path__, f"{package}."), key=lambda i: i.name):
        module = importlib.import_module(info.name)
        for item in getattr(module, "POLICY", ()):
            if not isinstance(item, Carries):
                raise TypeError(f"{info.name}.POLICY holds {item!r}, not a Carries")
            found.append(Entry(info.name, item))
    return found


def coverage(entries: Iterable[Entry] | None = None) -> list[SectionCoverage]:
    """Each section with what carries it out, in the policy's order."""
    entries = list(declarations() if entries is None else entries)
    return [
        SectionCoverage(section, tuple(e for e in entries if e.carries.section == section.id))
        for section in SECTIONS
    ]


def existing_tests(tests_dir: Path) -> set[str]:
    """ "tests/<file>::<name>" for every test function and test method defined there.

    Read with ast, not by importing, so a missing dependency of one test file cannot
    hide the others, and nothing runs.
    """
    names: set[str] = set()
    for path in sorted(tests_dir.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        prefix = f"tests/{path.relative_to(tests_dir).as_posix()}::"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                names.add(prefix + node.name)
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                for sub in node.body:
                    if isinstance(
                        sub, ast.FunctionDef | ast.AsyncFunctionDef
                    ) and sub.name.startswith("test"):
                        names.add(f"{prefix}{node.name}::{sub.name}")
    return names


@dataclass(frozen=True)
class Problems:
    unmapped: tuple[str, ...]
    missing_tests: tuple[tuple[str, str], ...]  # (module, test)

    @property
    def ok(self) -> bool:
        return not (self.unmapped or self.missing_tests)


def problems(report: list[SectionCoverage], tests_dir: Path | None) -> Problems:
    """Sections with nothing mapped, and named tests that do not exist in `tests_dir`.

    Without a tests directory (an installed copy, not a checkout) only the first check
    can be made.
    """
    unmapped = tuple(c.section.id for c in report if not c.entries)
    missing: list[tuple[str, str]] = []
    if tests_dir is not None:
        known = existing_tests(tests_dir)
        for c in report:
            for entry in c.entries:
                missing += [(entry.module, t) for t in entry.carries.tests if t not in known]
    return Problems(unmapped, tuple(dict.fromkeys(missing)))


def tests_dir_of_checkout() -> Path | None:
    path = Path(__file__).resolve().parents[1] / "tests"
    return path if path.is_dir() else None


def as_text(report: list[SectionCoverage]) -> str:
    """What `safecontact policy` prints: each section, its features and its tests."""
    lines = [POLICY_TITLE, f"Revision: {POLICY_REVISION}", ""]
    for c in report:
        lines.append(f"{c.section.id} {c.section.title}")
        if not c.entries:
            lines.append("  (nothing carries this out yet)")
        for entry in c.entries:
            status = "enforced" if entry.carries.enforced else "left to human judgement"
            lines.append(f"  - {entry.carries.feature} [{status}; {entry.module}]")
            lines += [f"      proved by {t}" for t in entry.carries.tests]
            if entry.carries.judgement:
                lines.append(f"      why: {entry.carries.judgement}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


POLICY = (
    carries(
        "13",
        "The policy revision this build carries out is named, and every section is listed "
        "with the code and tests behind it (`safecontact policy`), so a revision can be "
        "checked section by section.",
        "tests/unit/test_policy_coverage.py::test_every_section_is_carried_out_and_proved",
        "tests/unit/test_policy_coverage.py::test_the_policy_command_prints_every_section",
    ),
)
