"""Sending the monthly oversight report to the authorisers and the admins (s7.1, s5, s9).

Once a month the authorisers and the admins get the figures for the month before: a card,
a chart of the last twelve months and a CSV of every figure, held for office hours like
every reminder. What the figures are is `figures.py`; how they read, `view.py`.
"""

from __future__ import annotations

from typing import Any

from dialogs.change import Change, Named
from dialogs.kinds import AuditAction, Template
from dialogs.office_hours import next_opening
from dialogs.policy_map import carries
from dialogs.records.months import Month
from dialogs.records.report.figures import figures
from dialogs.records.report.view import card_model, files
from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.models import Attachment, StaffMember
from storage.models.status import OutboxKind

# Who gets the report, and what the two files are called in their messages.
ROLES = ("authoriser", "admin")
FILE_TITLES = ("Chart: incidents and strategies, 12 months", "Figures (CSV)")


async def recipients(session: AsyncSession) -> list[StaffMember]:
    """The authorisers and the admins still in the directory, each once."""
    people: dict[int, StaffMember] = {}
    for role in ROLES:
        for member in await staff_repo.with_role(session, role=role):
            people.setdefault(member.id, member)
    return sorted(people.values(), key=lambda m: m.id)


async def _stored(uow: Change, month: Month, report: dict[str, Any]) -> list[Attachment]:
    """The chart and the CSV, stored once for every recipient's outbox rows to point at."""
    made = await files(report)
    stored = [
        Attachment(
            purpose=f"oversight-report:{month}",
            filename=filename,
            mime_type=mime,
            size=len(content),
            content=content,
            created_at=uow.now,
        )
        for filename, mime, content in (
            (f"oversight-report-{month}.png", "image/png", made.png),
            (f"oversight-report-{month}.csv", "text/csv", made.csv),
        )
    ]
    uow.add(*stored)
    await uow.flush()
    return stored


async def deliver(uow: Change, *, month: Month) -> int:
    """Queue the card, the chart and the CSV to every recipient; returns how many.

    The bytes are stored once as attachments; each recipient gets three outbox rows.
    Held for office hours, like every reminder.
    """
    ctx = uow.ctx
    report = await figures(uow.session, month=month, now=ctx.now, policy=ctx.policy)
    stored = await _stored(uow, month, report)
    model = card_model(report)
    held = next_opening(ctx.now, ctx.policy)
    people = await recipients(uow.session)
    for member in people:
        await uow.tell(member, Template.OVERSIGHT_REPORT, model, not_before=held)
        for attachment, title in zip(stored, FILE_TITLES, strict=True):
            await uow.tell(
                member,
                Template.REPORT_FILE,
                {"title": f"{title}, {month}", "comment": "", "month": str(month)},
                kind=OutboxKind.FILE,
                attachment=attachment,
                not_before=held,
            )
    await uow.audit(
        AuditAction.OVERSIGHT_REPORT_SENT,
        Named("oversight_report", str(month)),
        recipients=[m.id for m in people],
        attachments=[a.id for a in stored],
        incidents=report["incidents"]["total"],
        strategies_in_force=len(report["strategies_in_force"]),
    )
    return len(people)


POLICY = (
    carries(
        "7.1",
        "Monthly oversight report to the authorisers and admins: strategies in force with "
        "review dates and owners, overdue reviews, incidents by category and channel, "
        "breaches, disputes, sharing requests, subject access requests due, how long "
        "authorisations took; a chart and a CSV go with it (`safecontact report`).",
        "tests/integration/test_records_report.py::test_figures_match_the_rows_in_the_database",
        "tests/integration/test_records_report.py::test_the_chart_is_a_real_png",
        "tests/integration/test_records_report.py::test_the_card_validates_on_slack_and_teams",
        "tests/integration/test_records_report.py::test_monthly_job_queues_card_chart_and_csv_and_slack_uploads_them",
    ),
)
