"""s7: an authorisation left undecided is chased, in office hours."""

from __future__ import annotations

from dialogs.authorisation.rules import others
from dialogs.change import Change
from dialogs.jobs.payloads import AuthorisationNudge
from dialogs.kinds import Template
from dialogs.office_hours import next_opening
from storage import authorisations as authorisations_repo
from storage import staff as staff_repo
from storage.models import ContactStrategy, Person, SharingRequest
from storage.models.status import AuthorisationStatus


async def nudge(uow: Change, job: AuthorisationNudge) -> str:
    auth = await authorisations_repo.get(uow.session, authorisation_id=job.authorisation_id)
    if auth is None or auth.status != AuthorisationStatus.PENDING:
        return "skipped: already decided"
    hours = int((uow.now - auth.created_at).total_seconds() // 3600)
    recipients = others(
        await staff_repo.with_role(uow.session, role="authoriser"),
        auth.requested_by_id,
        separate=uow.ctx.policy.separate_proposer_and_authoriser,
    )
    if auth.strategy_id is not None:
        about = await uow.session.get(ContactStrategy, auth.strategy_id)
    else:
        about = await uow.session.get(SharingRequest, auth.sharing_request_id)
    person = await uow.session.get(Person, about.person_id) if about is not None else None
    reference = person.reference if person is not None else "a case"
    model = {"reference": reference, "hours": hours, "kind": auth.kind}
    held = next_opening(uow.now, uow.ctx.policy)
    for member in recipients:
        await uow.tell(member, Template.AUTHORISATION_NUDGE, model, origin=None, not_before=held)
    return f"nudged {len(recipients)} authorisers about {reference}"
