from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    TECHNICAL_EVALUATOR = "technical_evaluator", _("Technical evaluator")
    PROCUREMENT = "procurement", _("Procurement")
    FINANCE = "finance", _("Finance")
    USER_DEPARTMENT = "user_department", _("User department")
    OTHER = "other", _("Other")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("project status", "Active")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    PAUSED = "paused", _("Paused")


class DocumentKind(models.TextChoices):
    REQUIREMENT_REPORT = "requirement_report", _("Requirement analysis report")
    PROPOSAL = "proposal", _("Proposal")
    TECHNICAL_PROPOSAL = "technical_proposal", _("Technical proposal")
    QUOTATION = "quotation", _("Quotation")
    CONTRACT_DRAFT = "contract_draft", _("Contract draft")
    OTHER = "other", _("Other")


#: Kinds whose versions count as proposal revisions.
PROPOSAL_KINDS = (DocumentKind.PROPOSAL, DocumentKind.TECHNICAL_PROPOSAL)


class TermTopic(models.TextChoices):
    PRICE = "price", _("Price")
    PAYMENT = "payment", _("Payment schedule")
    WARRANTY = "warranty", _("Warranty")
    DELIVERY = "delivery", _("Delivery")
    PENALTIES = "penalties", _("Penalties")
    ACCEPTANCE = "acceptance", _("Acceptance")
    OTHER = "other", _("Other")


class TermState(models.TextChoices):
    OPEN = "open", _("Open")
    DISPUTED = "disputed", _("Disputed")
    AGREED = "agreed", _("Agreed")


class MilestoneKind(models.TextChoices):
    INTERNAL_REVIEW = "internal_review", _("Our contract review")
    CUSTOMER_LEGAL_REVIEW = "customer_legal_review", _("Customer legal review")
    AWAITING_SIGNATURE = "awaiting_signature", _("Review passed, awaiting signature")
    SIGNED = "signed", _("Signed")
