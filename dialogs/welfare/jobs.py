"""The welfare follow-up (Appendix A): a second check-in, held for office hours."""

from __future__ import annotations

from dialogs.change import Change
from dialogs.jobs.payloads import WelfareFollowUp
from dialogs.office_hours import next_opening
from dialogs.welfare.flow import send_checkin
from storage.models import StaffMember
from storage.models.status import CheckInKind


async def followup(uow: Change, job: WelfareFollowUp) -> str:
    staff = await uow.session.get(StaffMember, job.staff_id)
    if staff is None or not staff.in_directory:
        return "skipped: the staff member has left the directory"
    await send_checkin(
        uow,
        staff,
        kind=CheckInKind.FOLLOW_UP,
        incident_id=job.incident_id,
        not_before=next_opening(uow.now, uow.ctx.policy),
    )
    return f"follow-up check-in queued for {staff.name}"
