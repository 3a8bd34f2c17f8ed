"""The portfolio database's models (SQLAlchemy 2, typed)."""
from .base import Base, UTCDateTime, utcnow
from .line import (
    BindingCode, ConsoleAudit, ConsoleToken, LineBinding, OutboxMessage, ReminderLedger, RichMenu, WebhookEvent,
)
from .preferences import MUTABLE_KINDS, STATUS_CHANGE, ReminderMute, ReminderSnooze
from .portfolio import Objection, Outcome, OutcomeEvent, Performance, ReceiptBatch, ReceiptLine, Window
from .school import Course, CourseProxy, SchoolClass, Student, Teacher, TeacherAbsence, TeacherDuty, Term

__all__ = [
    "Base", "UTCDateTime", "utcnow",
    "Term", "SchoolClass", "Student", "Teacher", "TeacherDuty", "Course", "CourseProxy",
    "Outcome", "OutcomeEvent", "Performance", "ReceiptBatch", "ReceiptLine", "Objection", "Window",
    "LineBinding", "BindingCode", "OutboxMessage", "ReminderLedger", "RichMenu", "TeacherAbsence",
    "ReminderMute", "ReminderSnooze", "MUTABLE_KINDS", "STATUS_CHANGE", "ConsoleAudit", "ConsoleToken", "WebhookEvent",
]
