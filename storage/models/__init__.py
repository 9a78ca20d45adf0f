"""All ORM models; importing this module registers every table on Base.metadata."""

from storage.models.base import Base, UTCDateTime, utcnow
from storage.models.case import CaseRefCounter, Incident, Letter, Person, PoliceReferral, Warning
from storage.models.identity import StaffIdentity
from storage.models.ops import AuditEvent, AuditHead, OutboxMessage, ScheduledJob
from storage.models.records import Attachment, SubjectAccessRequest
from storage.models.seen import SeenInteraction
from storage.models.staff import StaffMember, StaffRole, TeamsConversationRef
from storage.models.strategy import (
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    FurtherAction,
    Matter,
    Restriction,
    Review,
    SharingRequest,
)
from storage.models.welfare import WelfareCheckIn

__all__ = [
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Authorisation",
    "Base",
    "Breach",
    "CaseRefCounter",
    "ContactLog",
    "ContactStrategy",
    "Disclosure",
    "Dispute",
    "FurtherAction",
    "Incident",
    "Letter",
    "Matter",
    "OutboxMessage",
    "Person",
    "PoliceReferral",
    "Restriction",
    "Review",
    "ScheduledJob",
    "SeenInteraction",
    "SharingRequest",
    "StaffIdentity",
    "StaffMember",
    "StaffRole",
    "SubjectAccessRequest",
    "TeamsConversationRef",
    "UTCDateTime",
    "Warning",
    "WelfareCheckIn",
    "utcnow",
]
