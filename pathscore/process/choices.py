from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class DueRule(models.TextChoices):
    AFTER_PREVIOUS = "after_previous", _("Days after the previous node is approved")
    AFTER_START = "after_start", _("Days after the project starts")
    FIXED_DATE = "fixed_date", _("A fixed date")


class DeductionKind(models.TextChoices):
    PER_DAY = "per_day", _("Points per day late, capped")
    BANDS = "bands", _("Bands by days late")


class ReviewerRole(models.TextChoices):
    MANAGER = "manager", _("The owner's manager")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    HR_ADMIN = "hr_admin", _("HR admin")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class NodeState(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")
    SKIPPED = "skipped", _("Skipped")


#: States in which the owner still has to deliver (the node can become overdue).
OPEN_STATES = (NodeState.IN_PROGRESS, NodeState.RETURNED)
#: States after which a node is finished.
DONE_STATES = (NodeState.APPROVED, NodeState.SKIPPED)


class SubmissionState(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Attribution(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    INTERNAL = "internal", _("Internal (technical team)")
    SALESPERSON = "salesperson", _("Salesperson")
    EXTERNAL = "external", _("External (policy)")


#: Attributions whose delays a manager may waive.
WAIVABLE = (Attribution.CUSTOMER, Attribution.EXTERNAL)


class DelayDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting the manager")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Not accepted")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DONE = "done", _("Done")


class TriggerEvent(models.TextChoices):
    NODE_SUBMITTED = "node_submitted", _("Node submitted")
    NODE_APPROVED = "node_approved", _("Node approved")
    NODE_RETURNED = "node_returned", _("Node returned")
    DOCUMENT_FEEDBACK = "document_feedback", _("Customer feedback recorded on a document version")
    CUSTOMER_NEED = "customer_need", _("A follow-up records a customer need")


class RuleAction(models.TextChoices):
    CREATE_TASK = "create_task", _("Create a hand-off task")
    NOTIFY = "notify", _("Notify")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION = "escalation", _("Escalated to the manager")
    DELAY_REASON_MISSING = "delay_reason_missing", _("No delay reason given")
    STALLED = "stalled", _("Stalled")
    TASK_DUE = "task_due", _("Task due soon")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
