"""Every interaction id the bot puts on a surface: one enum for templates and handlers."""

from __future__ import annotations

from enum import StrEnum


class FormName(StrEnum):
    """Slack callback_id / Teams Action.Execute verb of each form."""

    INCIDENT = "incident"
    WARNING = "warning"
    POLICE_REFERRAL = "police_referral"
    POLICE_NOT_REFERRED = "police_not_referred"
    NEEDS = "person_needs"
    MATTER_CLOSE = "matter_close"
    INCIDENT_NOT_OURS = "incident_not_ours"
    SPOC = "person_spoc"
    STRATEGY = "strategy"
    DECISION = "decision"
    SHARING = "sharing"
    DISCLOSURE = "disclosure"
    REVIEW = "review"
    BREACH = "breach"
    CONTACT_LOG = "contact_log"
    FURTHER_ACTION = "further_action"
    DISPUTE = "dispute"
    DISPUTE_OUTCOME = "dispute_outcome"
    # A review's "alter": the proposal form, prefilled from the strategy it would replace.
    ALTERATION = "strategy_alteration"
    LETTER_SENT = "letter_sent"
    # Where an unsent letter goes: the person's postal address and email.
    LETTER_ADDRESS = "letter_address"
    APPROVE_FROM = "approve_from"


class ActionId(StrEnum):
    """Buttons and other interactive elements outside forms."""

    ACKNOWLEDGE = "incident_acknowledge"
    RECORD_WARNING = "incident_warning"
    RECORD_POLICE = "incident_police"
    RECORD_NOT_REFERRED = "incident_not_referred"
    RECORD_NEEDS = "record_needs"
    CLOSE_MATTER = "close_matter"
    NOT_OURS = "incident_not_ours_open"
    APPOINT_SPOC = "appoint_spoc"
    WELFARE_OK = "welfare_ok"
    WELFARE_TALK = "welfare_talk"
    WELFARE_SUPPORT = "welfare_support"
    PRIVACY_STEPS = "welfare_privacy"
    NEW_INCIDENT = "home_incident"
    NEW_CHECKIN = "home_checkin"
    PROPOSE_FROM_INCIDENT = "incident_propose_strategy"
    PROPOSE_FOR_PERSON = "case_propose_strategy"
    REVISE_STRATEGY = "strategy_revise"
    APPROVE = "authorisation_approve"
    DENY = "authorisation_deny"
    ASK_CHANGES = "authorisation_changes"
    REQUEST_SHARING = "case_request_sharing"
    RECORD_DISCLOSURE = "sharing_record_disclosure"
    START_REVIEW = "strategy_start_review"
    RECORD_BREACH = "case_record_breach"
    LOG_CONTACT = "case_log_contact"
    RECORD_FURTHER_ACTION = "case_further_action"
    RECORD_DISPUTE = "case_record_dispute"
    DISPUTE_DECIDE = "dispute_decide"
    RECORD_LETTER_SENT = "letter_record_sent"
    APPROVE_FROM = "authorisation_approve_from"
    # Emails a letter to the person and records it as sent (dialogs/letter_email).
    SEND_LETTER_EMAIL = "letter_send_email"
    # Opens "Their address" for an unsent letter (dialogs/notice/address.py).
    CHANGE_LETTER_ADDRESS = "letter_change_address"


class IncidentField(StrEnum):
    PERSON = "person"
    NEW_PERSON = "new_person_name"
    OCCURRED_AT = "occurred_at"
    CHANNEL = "channel"
    BEHAVIOURS = "behaviours"
    WHAT_HAPPENED = "what_happened"
    IMPACT = "impact"
    ACTIONS = "actions_taken"
    OTHER_BEHAVIOUR = "other_behaviour"
    VIOLENCE = "violence"
    NEEDS = "known_needs"
    # the five s4 questions are "s4_<id>" for each id in dialogs.catalogue.SELF_CHECK


class WarningField(StrEnum):
    KIND = "warning_kind"
    GIVEN_ON = "given_on"
    BEHAVIOUR = "behaviour_to_change"


class NeedsField(StrEnum):
    TOLD = "needs_told"
    NEEDS = "needs_text"
    ADJUSTMENTS = "needs_adjustments"
    UNUSABLE = "needs_unusable_methods"
    TOLD_ON = "needs_told_on"


class PoliceField(StrEnum):
    REFERRED_ON = "referred_on"
    REFERENCE = "police_reference"
    NOT_REFERRED_REASON = "not_referred_reason"


class StrategyField(StrEnum):
    RESTRICTIONS = "restrictions"
    CALL_MINUTES = "call_minutes"
    METHOD = "contact_method"
    DEDICATED_EMAIL = "dedicated_email"
    BLOCKED = "blocked_channels"
    ADVOCATE_NAME = "advocate_name"
    ADVOCATE_CONTACT = "advocate_contact"
    SPOC = "spoc"
    UNUSABLE = "unusable_methods"
    REASONS = "reasons"  # internal: the case file and the authoriser, never a letter
    PUBLIC_SUMMARY = "public_summary"  # "What we will tell them": printed in the letter
    INCIDENTS = "incidents"
    WARNING_GIVEN = "warning_given"
    NO_WARNING_REASON = "no_warning_reason"
    SHORTCOMINGS = "shortcomings_addressed"
    ADJUSTMENTS = "adjustments"
    CRITERIA = "criteria"
    # a note for each criterion is "criterion_<id>" for each id in dialogs.catalogue.CRITERIA
    REVIEW_DATE = "review_date"
    LETTER_CHANNEL = "letter_channel"
    LETTER_FORMAT = "letter_format"
    POSTAL_ADDRESS = "postal_address"  # the person's, kept on their record
    EMAIL = "person_email"


class LetterSentField(StrEnum):
    METHOD = "sent_method"
    SENT_ON = "sent_on"


class DecisionField(StrEnum):
    REASON = "decision_reason"
    TAKES_EFFECT_ON = "takes_effect_on"


class SharingField(StrEnum):
    AGENCY = "agency"
    WHAT = "what"
    REASON = "sharing_reason"
    EXPLANATION = "explanation"
    CONSENT = "consent"


class DisclosureField(StrEnum):
    DISCLOSED_ON = "disclosed_on"
    NOTE = "disclosure_note"


class ReviewField(StrEnum):
    OUTCOME = "review_outcome"
    REASONS = "review_reasons"
    PUBLIC_SUMMARY = "review_public_summary"
    NEW_REVIEW_DATE = "new_review_date"


class BreachField(StrEnum):
    ABOUT = "breach_about"
    RESTRICTION = "breached_restriction"
    OCCURRED_AT = "breach_occurred_at"
    CHANNEL = "breach_channel"
    WHAT_HAPPENED = "breach_what_happened"


class ContactLogField(StrEnum):
    OCCURRED_AT = "contact_occurred_at"
    CHANNEL = "contact_channel"
    SUMMARY = "contact_summary"
    # the four s7.2 questions, each yes/no; ids from dialogs.catalogue.CONTACT_QUESTIONS
    NEW_INFORMATION = "new_information"
    NEW_COMPLAINT = "new_complaint"
    CRIMINAL = "criminal"
    SAFEGUARDING = "safeguarding"
    # s6: further correspondence after a written warning, read and filed with no action
    READ_NO_ACTION = "read_no_action"


class SpocField(StrEnum):
    STAFF = "spoc_staff"


class MatterField(StrEnum):
    HOW = "matter_how"
    BODY = "matter_body"
    LETTER_SAYS = "matter_letter_says"
    OUTCOME = "matter_outcome"


class FurtherActionField(StrEnum):
    KIND = "further_kind"
    TAKEN_ON = "further_taken_on"
    DETAILS = "further_details"


class DisputeField(StrEnum):
    RECEIVED_ON = "dispute_received_on"
    GROUNDS = "dispute_grounds"


class DisputeOutcomeField(StrEnum):
    OUTCOME = "dispute_outcome"
    REASONS = "dispute_outcome_reasons"
    PUBLIC_SUMMARY = "dispute_outcome_summary"
