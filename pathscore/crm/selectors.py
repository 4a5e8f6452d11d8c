"""Reads of the records: every queryset starts from ``visible_to`` and loads what its page
shows in a fixed number of queries, however many rows there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.core.localtime import day_start
from pathscore.core.models import Option
from pathscore.crm import options
from pathscore.crm.choices import PROPOSAL_KINDS, MilestoneKind, ProjectStatus, TermState
from pathscore.crm.models import (
    Contact,
    ContractTerm,
    Customer,
    CustomerNeed,
    Document,
    DocumentVersion,
    FollowUp,
    Project,
)
from pathscore.org.models import Department, RoleGrant, User

# --- Follow-ups ----------------------------------------------------------------------------

#: A next action planned within this many days (today included) is "due soon".
DUE_SOON_DAYS = 3

URGENCY_OVERDUE = "overdue"
URGENCY_SOON = "soon"
URGENCY_LATER = "later"


def _with_related(queryset):
    """Follow-ups with everything a list, a timeline or an export shows about them."""
    return queryset.select_related("author", "mode", "customer", "project").prefetch_related(
        Prefetch("participants", queryset=User.objects.order_by("name")),
        Prefetch("contacts", queryset=Contact.objects.order_by("name")),
        Prefetch("needs", queryset=CustomerNeed.objects.order_by("pk")),
    )


def followups_for_list(viewer):
    """The follow-ups ``viewer`` may see, ready for the list and its export."""
    return _with_related(FollowUp.objects.visible_to(viewer))


def followup_for_detail(viewer):
    """The queryset a follow-up's page looks its object up in."""
    return _with_related(FollowUp.objects.visible_to(viewer)).select_related(
        "project__owner", "customer__customer_type"
    )


def followups_for_project(project: Project, viewer):
    """A project's timeline: the follow-ups on it that ``viewer`` may see, newest first."""
    return _with_related(FollowUp.objects.visible_to(viewer).filter(project=project)).order_by(
        "-occurred_at", "-pk"
    )


def followups_for_customer(customer: Customer, viewer):
    """A customer's timeline, its projects' follow-ups included, newest first."""
    return _with_related(FollowUp.objects.visible_to(viewer).filter(customer=customer)).order_by(
        "-occurred_at", "-pk"
    )


def next_actions_for(user, *, today=None):
    """Open next actions that are ``user``'s to do: of follow-ups they recorded, or on
    projects they own. Soonest first; ``urgency`` says overdue, soon (within
    :data:`DUE_SOON_DAYS` days) or later."""
    today = today or timezone.localdate()
    return (
        FollowUp.objects.visible_to(user)
        .with_next_action_open()
        .filter(Q(author=user) | Q(project__owner=user))
        .select_related("customer", "project", "mode", "author")
        .annotate(
            urgency=Case(
                When(next_action_date__lt=today, then=Value(URGENCY_OVERDUE)),
                When(
                    next_action_date__lte=today + timedelta(days=DUE_SOON_DAYS),
                    then=Value(URGENCY_SOON),
                ),
                default=Value(URGENCY_LATER),
                output_field=CharField(),
            )
        )
        .order_by("next_action_date", "occurred_at", "pk")
    )


def needs_for_followup(followup: FollowUp):
    return followup.needs.select_related("handled_by").order_by("pk")


# --- The follow-up form --------------------------------------------------------------------


def followup_modes(*, keep=None):
    """The active follow-up modes in the admins' order (plus ``keep``, an entry's own
    mode retired since it was recorded)."""
    condition = Q(kind=options.FOLLOWUP_MODE, is_active=True)
    if keep is not None:
        condition |= Q(kind=options.FOLLOWUP_MODE, pk=keep)
    return Option.objects.filter(condition).order_by("sort_order", "pk")


def last_used_project(user) -> Project | None:
    """The open project of ``user``'s most recent follow-up, if they may still see it."""
    latest = (
        FollowUp.objects.filter(author=user, project__isnull=False)
        .filter(project__in=Project.objects.visible_to(user).filter(status=ProjectStatus.ACTIVE))
        .order_by("-created_at", "-pk")
        .values_list("project_id", flat=True)
        .first()
    )
    if latest is None:
        return None
    return Project.objects.select_related("customer").get(pk=latest)


def recent_projects_for(user, *, limit: int = 5):
    """Active projects ``user`` may see, those they followed up most recently first, then
    their newest ones: the quick choices offered before anything is typed."""
    mine = FollowUp.objects.filter(author=user, project=OuterRef("pk"))
    return (
        Project.objects.visible_to(user)
        .filter(status=ProjectStatus.ACTIVE)
        .filter(Q(owner=user) | Exists(mine))
        .annotate(last_followup=Max("followups__occurred_at", filter=Q(followups__author=user)))
        .select_related("customer")
        .order_by(F("last_followup").desc(nulls_last=True), "-created_at", "-pk")[:limit]
    )


def search_targets(user, query: str, *, limit: int = 8):
    """Projects and customers ``user`` may see whose names contain ``query``."""
    query = (query or "").strip()
    if not query:
        return [], []
    projects = list(
        Project.objects.visible_to(user)
        .filter(Q(name__icontains=query) | Q(customer__name__icontains=query))
        .select_related("customer")
        .order_by(
            Case(When(status=ProjectStatus.ACTIVE, then=Value(0)), default=Value(1)),
            "-created_at",
            "-pk",
        )[:limit]
    )
    customers = list(
        Customer.objects.visible_to(user)
        .filter(name__icontains=query)
        .order_by("name", "pk")[:limit]
    )
    return projects, customers


def participant_choices(user):
    """Colleagues who can take part on our side: the active people ``user`` may see, plus
    the technical support staff (they join visits and technical exchanges)."""
    technical = RoleGrant.objects.filter(role=Role.TECHNICAL_SUPPORT).values("user_id")
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=User.objects.visible_to(user).values("pk")) | Q(pk__in=technical))
        .exclude(pk=user.pk)
        .select_related("department")
        .order_by("department__path", "name")
    )


def contact_choices(user, customer: Customer | None, *, keep=()):
    """Active contacts of ``customer`` that ``user`` may see (none without a customer),
    plus ``keep``: contacts already on the entry being edited."""
    if customer is None:
        return Contact.objects.none()
    return (
        Contact.objects.visible_to(user)
        .filter(customer=customer)
        .filter(Q(is_active=True) | Q(pk__in=list(keep)))
        .order_by("name", "pk")
    )


# --- Documents and proposal revisions ------------------------------------------------------


def _latest_version():
    return DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")


def documents_for_list(viewer):
    """Documents ``viewer`` may see, with their project, customer and latest upload, in
    one query (the latest uploader's name comes from a subquery)."""
    return (
        Document.objects.visible_to(viewer)
        .select_related("project__customer")
        .annotate(
            last_uploaded_at=Max("versions__uploaded_at"),
            last_uploaded_by=Subquery(_latest_version().values("uploaded_by__name")[:1]),
        )
        .order_by(F("last_uploaded_at").desc(nulls_last=True), "-pk")
    )


def documents_for_project(project: Project, viewer):
    """A project's documents with every version (newest first) loaded in one more query."""
    versions = DocumentVersion.objects.select_related("uploaded_by", "feedback_recorded_by")
    return (
        Document.objects.visible_to(viewer)
        .filter(project=project)
        .annotate(last_uploaded_at=Max("versions__uploaded_at"))
        .prefetch_related(
            Prefetch("versions", queryset=versions.order_by("-number"), to_attr="version_list")
        )
        .order_by("kind", "title", "pk")
    )


def document_for_detail(viewer):
    """The queryset a document's page looks its object up in."""
    return Document.objects.visible_to(viewer).select_related(
        "project__customer", "project__owner", "created_by"
    )


def versions_for_document(document: Document, viewer):
    """The versions of ``document`` that ``viewer`` may see, V1 last."""
    return (
        DocumentVersion.objects.visible_to(viewer)
        .filter(document=document)
        .select_related("uploaded_by", "feedback_recorded_by")
        .order_by("-number")
    )


def proposal_revisions():
    """Versions that count as proposal revisions: every version after V1 of a document
    whose kind is a proposal (:data:`~pathscore.crm.choices.PROPOSAL_KINDS`)."""
    return DocumentVersion.objects.filter(number__gt=1, document__kind__in=PROPOSAL_KINDS)


def revision_count_for_project(project: Project) -> int:
    """How many proposal revisions the project has had, whoever uploaded them."""
    return proposal_revisions().filter(document__project=project).count()


def revision_counts_by_uploader(
    people, since: date | None = None, until: date | None = None
) -> dict[int, int]:
    """Proposal revisions per person, ``{user_id: count}``, zeros included.

    ``people`` is a queryset of users or a department (everyone in its subtree). Each
    revision is credited to the person who uploaded it, not to the project's owner
    (credit follows the doer). ``since`` and ``until`` are days in the company's zone,
    both included. One query: the count is a correlated subquery per person.
    """
    if isinstance(people, Department):
        people = User.objects.filter(department__path__startswith=people.path)
    revisions = proposal_revisions().filter(uploaded_by=OuterRef("pk"))
    if since is not None:
        revisions = revisions.filter(uploaded_at__gte=day_start(since))
    if until is not None:
        revisions = revisions.filter(uploaded_at__lt=day_start(until + timedelta(days=1)))
    counted = revisions.order_by().values("uploaded_by").annotate(n=Count("pk")).values("n")
    rows = (
        people.order_by()
        .annotate(proposal_revisions=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
        .values_list("pk", "proposal_revisions")
    )
    return dict(rows)


# --- Contract negotiation ------------------------------------------------------------------


@dataclass
class MilestoneRow:
    kind: str
    label: str
    milestone: object | None


@dataclass
class ContractSummary:
    terms: list
    agreed: int
    total: int
    milestones: list[MilestoneRow]


def contract_for_project(project: Project) -> ContractSummary:
    """A project's terms (with who last changed them), how many are agreed, and each
    milestone in the order they happen, reached or not. Three queries."""
    terms = list(
        ContractTerm.objects.filter(project=project)
        .select_related("updated_by")
        .order_by("topic", "pk")
    )
    counts = ContractTerm.objects.filter(project=project).aggregate(
        total=Count("pk"), agreed=Count("pk", filter=Q(state=TermState.AGREED))
    )
    reached = {m.kind: m for m in project.milestones.select_related("recorded_by")}
    rows = [MilestoneRow(kind.value, kind.label, reached.get(kind.value)) for kind in MilestoneKind]
    return ContractSummary(
        terms=terms, agreed=counts["agreed"], total=counts["total"], milestones=rows
    )
