"""How a check-in and the support card read (Appendix A, s8)."""

from __future__ import annotations

from typing import Any

from dialogs import catalogue as cat
from dialogs.context import Ctx
from storage.models import WelfareCheckIn
from storage.models.status import CheckInKind

INTROS = {
    CheckInKind.AFTER_INCIDENT: "Thank you for reporting that. How are you after this?",
    CheckInKind.FOLLOW_UP: "I'm checking in after the incident you reported. How are you now?",
    CheckInKind.SELF: "How are you doing?",
}


def checkin_key(checkin_id: int) -> str:
    return f"checkin:{checkin_id}"


def checkin_model(checkin: WelfareCheckIn, *, answer: str | None = None) -> dict[str, Any]:
    return {
        "checkin_id": checkin.id,
        "intro": INTROS[CheckInKind(checkin.kind)],
        "answer": cat.label(cat.WELFARE_ANSWERS, answer) if answer else None,
    }


def support_model(ctx: Ctx, checkin: WelfareCheckIn) -> dict[str, Any]:
    org = ctx.organisation
    policies = [
        {"label": label, "url": url}
        for label, url in (
            ("Health and Safety Policy", org.health_and_safety_policy_url),
            ("Dignity at Work Policy", org.dignity_at_work_policy_url),
            ("Diversity and Equal Opportunities schemes", org.diversity_policy_url),
        )
        if url
    ]
    return {
        "checkin_id": checkin.id,
        "eap": {
            "name": org.eap_name,
            "phone": org.eap_phone,
            "url": org.eap_url,
            "details": org.eap_details,
        },
        "policies": policies,
        "privacy_steps": [
            {"id": s.id, "label": s.label, "done": s.id in checkin.privacy_steps_done}
            for s in cat.PRIVACY_STEPS
        ],
    }
