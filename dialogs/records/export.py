"""Subject access export: everything held about a member of the public, for them (s9).

The Data Protection Act 2018 gives a person a copy of their personal data (UK GDPR
Art. 15). The content is the case file (`dialogs.case.file.full_record`, the same record
`safecontact case show` prints), plus the text of every letter sent, with two things
taken out:

- Staff welfare data never appears: check-ins belong to the member of staff, not to the
  case (Appendix A), and `full_record` never reads them.
- Other people's names do not appear (`dialogs.records.redact`): each member of staff is
  shown by their role, in the fields that name who did something and in free text.

Exporting is itself recorded in the audit trail, with the case reference only.
"""

from __future__ import annotations

from datetime import tzinfo

from dialogs.case import file as case_file
from dialogs.change import Change
from dialogs.kinds import AuditAction
from dialogs.policy_map import carries
from dialogs.records.redact import Export, Gathered
from storage import case_file as case_repo
from storage import staff as staff_repo
from storage import subject_access as sar_repo
from storage.db import AsyncSession
from storage.models import Person

# Exports with at least this many records show a progress bar on the command line.
LARGE_EXPORT = 200


async def gather(session: AsyncSession, *, person: Person, zone: tzinfo) -> Gathered:
    """Read the case file and the letters' text in the caller's transaction."""
    record = await case_file.full_record(session, person=person, zone=zone)
    texts = await case_repo.letter_texts(session, person_id=person.id)
    for letter in record["letters"]:
        letter["text"] = texts.get(letter["id"], "")
    staff = await staff_repo.list_staff(session, include_removed=True)
    return Gathered(person, record, staff)


async def record_export(uow: Change, *, person: Person, export: Export) -> None:
    """The export is an audit event (s9): who exported which case, and how much."""
    open_request = await sar_repo.open_for(uow.session, person_id=person.id)
    await uow.audit(
        AuditAction.PERSON_EXPORTED,
        person,
        case=person.reference,
        records=export.total,
        subject_access_request=open_request.id if open_request is not None else None,
    )


POLICY = (
    carries(
        "9",
        "Subject access export: everything held about a person as data.json and a readable "
        "index.html, staff shown by role, no welfare data, the export audited "
        "(`safecontact export-person`).",
        "tests/integration/test_records_export.py::test_export_holds_every_kind_of_record_and_no_welfare_data",
        "tests/integration/test_records_export.py::test_export_html_escapes_text_and_shows_roles_not_names",
        "tests/integration/test_records_export.py::test_export_through_the_cli_writes_files_and_an_audit_event",
    ),
)
