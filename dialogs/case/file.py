"""The case file: everything held on a member of the public, read-only.

This is what a manager reads before deciding on a strategy (s7: "the decision to restrict
contact must be recorded in the case file"), and what the office would disclose on a
subject access request (s9, Data Protection Act 2018), so it must be complete. Welfare
check-ins are deliberately absent: they belong to the member of staff, not to the case
(Appendix A), and must never reach someone reading about the member of the public.

Staff appear by name only; their roles are not part of the case. The rows are read by
`storage.case_file`, shaped by `dialogs.case.record` and printed by `dialogs.case.text`.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from dialogs.case.record import Show, shape, staff_ids
from dialogs.policy_map import carries
from storage import case_file as case_repo
from storage.db import AsyncSession
from storage.models import Person


async def full_record(session: AsyncSession, *, person: Person, zone: tzinfo) -> dict[str, Any]:
    """The whole case as plain data (JSON-ready), with every time shown in the office's zone."""
    held = await case_repo.held_on(session, person_id=person.id)
    names = await case_repo.staff_names(session, ids=staff_ids(held))
    return shape(person, held, Show(names, zone))


POLICY = (
    carries(
        "7",
        "The decision to restrict contact and its reasons are in the case file "
        "(`safecontact case show`).",
        "tests/integration/test_case_show.py::test_case_show_prints_everything_held_on_the_person",
    ),
    carries(
        "9",
        "The case file holds everything on a person and no staff welfare data.",
        "tests/integration/test_case_show.py::test_case_show_prints_everything_held_on_the_person",
        "tests/integration/test_case_show.py::test_case_show_json_is_the_same_record",
    ),
)
