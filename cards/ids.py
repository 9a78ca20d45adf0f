"""Every interaction id the bot puts on a surface: one enum for templates and handlers."""

from __future__ import annotations

from enum import StrEnum


class FormName(StrEnum):
    """Slack callback_id / Teams Action.Execute verb of each form."""

    INCIDENT = "incident"
    WARNING = "warning"
    POLICE_REFERRAL = "police_referral"


class ActionId(StrEnum):
    """Buttons and other interactive elements outside forms."""

    ACKNOWLEDGE = "incident_acknowledge"
    RECORD_WARNING = "incident_warning"
    RECORD_POLICE = "incident_police"
    WELFARE_OK = "welfare_ok"
    WELFARE_TALK = "welfare_talk"
    WELFARE_SUPPORT = "welfare_support"
    PRIVACY_STEPS = "welfare_privacy"
    NEW_INCIDENT = "home_incident"
    NEW_CHECKIN = "home_checkin"


class IncidentField(StrEnum):
    PERSON = "person"
    NEW_PERSON = "new_person_name"
    OCCURRED_AT = "occurred_at"
    CHANNEL = "channel"
    BEHAVIOURS = "behaviours"
    WHAT_HAPPENED = "what_happened"
    IMPACT = "impact"
    ACTIONS = "actions_taken"
    VIOLENCE = "violence"
    NEEDS = "known_needs"
    # the five s4 questions are "s4_<id>" for each id in dialogs.catalogue.SELF_CHECK


class WarningField(StrEnum):
    KIND = "warning_kind"
    GIVEN_ON = "given_on"
    BEHAVIOUR = "behaviour_to_change"


class PoliceField(StrEnum):
    REFERRED_ON = "referred_on"
    REFERENCE = "police_reference"
