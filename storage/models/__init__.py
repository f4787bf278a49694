"""All tables; importing this package registers every model on `Base.metadata`."""

from storage.models.base import Base, UTCDateTime, utcnow
from storage.models.conversation import AuditEntry, Draft
from storage.models.delivery import DeliveredCard, InboundEvent, OutboxMessage, Reminder
from storage.models.field import DailyReport, FieldCheckin, Review
from storage.models.front_desk import WalkIn
from storage.models.org import Client, Contact, Identity, LinkCode, Person
from storage.models.reception import ApprovalStep, ChecklistItem, Reception
from storage.models.service import AssessmentMark, Complaint, Satisfaction
from storage.models.visit import PlanEntry, Visit, VisitPlan

__all__ = [
    "ApprovalStep",
    "AssessmentMark",
    "AuditEntry",
    "Base",
    "ChecklistItem",
    "Client",
    "Complaint",
    "Contact",
    "DailyReport",
    "DeliveredCard",
    "Draft",
    "FieldCheckin",
    "Identity",
    "InboundEvent",
    "LinkCode",
    "OutboxMessage",
    "Person",
    "PlanEntry",
    "Reception",
    "Reminder",
    "Review",
    "Satisfaction",
    "UTCDateTime",
    "Visit",
    "VisitPlan",
    "WalkIn",
    "utcnow",
]
