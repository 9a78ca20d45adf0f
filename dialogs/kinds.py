"""Names the flows share with cards/ and the audit trail: templates, letters, audit actions.

StrEnums, so a value is the string stored in the outbox or the audit trail; a flow that
names a template or an action that does not exist fails at import, not in production.
"""

from __future__ import annotations

from enum import StrEnum


class Template(StrEnum):
    """A card or message template; cards/templates/{slack,teams}/<value>.json.j2."""

    ADMIN_ALERT = "admin_alert"
    AUTHORISATION_CARD = "authorisation_card"
    AUTHORISATION_NUDGE = "authorisation_nudge"
    BREACH_ALERT = "breach_alert"
    CASE_SUMMARY = "case_summary"
    CONTACT_FLAG_ALERT = "contact_flag_alert"
    DECISION_NOTICE = "decision_notice"
    DISPUTE_CARD = "dispute_card"
    DISPUTE_NOTICE = "dispute_notice"
    DISPUTE_OUTCOME_NOTICE = "dispute_outcome_notice"
    HELP = "help"
    HOME = "home"
    INCIDENT_CARD = "incident_card"
    INCIDENT_RECEIPT = "incident_receipt"
    LETTER_FILE = "letter_file"
    LETTER_READY = "letter_ready"
    OVERSIGHT_REPORT = "oversight_report"
    POLICE_NUDGE = "police_nudge"
    REPORT_FILE = "report_file"
    REVIEW_DUE = "review_due"
    REVIEW_NOTICE = "review_notice"
    STRATEGY_IN_FORCE = "strategy_in_force"
    SUPPORT = "support"
    TALK_REQUEST = "talk_request"
    UNREACHABLE = "unreachable"
    WELFARE_CHECKIN = "welfare_checkin"
    # A plain message (cards/templates/*/notice.json.j2): a letter's email that failed.
    NOTICE = "notice"


class LetterKind(StrEnum):
    """A letter to a member of the public; cards/templates/letters/<value>.*.j2."""

    WARNING = "warning"
    STRATEGY = "strategy"
    BREACH_REMINDER = "breach_reminder"
    STRATEGY_CONTINUED = "strategy_continued"
    STRATEGY_ENDED = "strategy_ended"
    DISPUTE_OUTCOME = "dispute_outcome"
    SIGNPOST = "signpost"
    SPOC_APPOINTED = "spoc_appointed"


class AuditAction(StrEnum):
    """What an audit event says happened; details hold references, never names."""

    PERSON_CREATED = "person.created"
    PERSON_CONTACT_DETAILS = "person.contact_details"
    INCIDENT_REPORTED = "incident.reported"
    INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
    WARNING_RECORDED = "warning.recorded"
    POLICE_REFERRAL_RECORDED = "police_referral.recorded"
    POLICE_NOT_REFERRED = "police_referral.not_made"
    PERSON_NEEDS = "person.needs"
    MATTER_OPENED = "matter.opened"
    MATTER_CLOSED = "matter.closed"
    SPOC_APPOINTED = "person.spoc_appointed"
    LETTER_CREATED = "letter.created"
    LETTER_SENT = "letter.sent"
    STRATEGY_IN_FORCE = "strategy.in_force"
    STRATEGY_PROPOSED = "strategy.proposed"
    STRATEGY_REVIEWED = "strategy.reviewed"
    STRATEGY_REVIEW_DUE_NOW = "strategy.review_due_now"
    AUTHORISATION_APPROVED = "authorisation.approved"
    AUTHORISATION_DENIED = "authorisation.denied"
    AUTHORISATION_CHANGES_REQUESTED = "authorisation.changes_requested"
    SHARING_REQUESTED = "sharing.requested"
    SHARING_DISCLOSED = "sharing.disclosed"
    BREACH_RECORDED = "breach.recorded"
    CONTACT_LOGGED = "contact.logged"
    FURTHER_ACTION_RECORDED = "further_action.recorded"
    DISPUTE_RECORDED = "dispute.recorded"
    DISPUTE_REASSIGNED = "dispute.reassigned"
    DISPUTE_DECIDED = "dispute.decided"
    WELFARE_CHECKIN_STARTED = "welfare.checkin_started"
    WELFARE_ANSWERED = "welfare.answered"
    PERSON_EXPORTED = "person.exported"
    SAR_OPENED = "sar.opened"
    SAR_CLOSED = "sar.closed"
    RETENTION_PURGED = "retention.purged"
    OVERSIGHT_REPORT_SENT = "oversight_report.sent"
    # A letter's email the mail server refused or never took: the letter stays unsent.
    LETTER_EMAIL_FAILED = "letter.email_failed"
