"""Views of the process engine: nodes on projects.

* the project page's "Process" tab: the path as a timeline (planned vs actual, late nodes
  marked, the current node highlighted), or how to start a process when there is none;
* a node's page: guidance, completion standard, deliverable templates, every submission
  and its review, delay reasons, and the actions the viewer may take (submit, approve,
  return, skip, give a delay reason, decide on one);
* the review queue and the delays list for managers and reviewers.

Every write goes through :mod:`pathscore.process.services`. A node that is no longer in
the state an action needs (someone else acted first) is answered with HTTP 409 and the
node's current state; an incomplete submission lists every missing item; the forms keep
what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from pathscore.core.choices import Role
from pathscore.core.forms import style_form
from pathscore.core.scoping import scope_for
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedListView,
    apply_validation_error,
)
from pathscore.crm.choices import DocumentKind
from pathscore.crm.models import Project
from pathscore.crm.views.projects import register_project_section
from pathscore.process import selectors, services
from pathscore.process.choices import (
    OPEN_STATES,
    WAIVABLE,
    DelayDecision,
    NodeState,
    SubmissionState,
)
from pathscore.process.forms import (
    FIELD_PREFIX,
    DelayDecisionForm,
    DelayReasonForm,
    NodeSkipForm,
    NodeSubmitForm,
    ReviewApproveForm,
    ReviewReturnForm,
)
from pathscore.process.models import DelayReason, NodeInstance, Submission
from pathscore.process.tables import (
    DelayedNodeTable,
    ReviewQueueTable,
    days_overdue,
    node_url,
)

#: States a manager may skip a node from.
SKIPPABLE_STATES = (NodeState.NOT_STARTED, NodeState.IN_PROGRESS, NodeState.RETURNED)

#: Names of the bundled deliverable templates, by key (see ``process.bundled``).
DELIVERABLE_NAMES = {
    "requirement-report": _("Requirement analysis report template"),
    "followup-record": _("Customer follow-up record template"),
}


# --- Who may do what ---------------------------------------------------------------------


def manages_owner(project: Project, user) -> bool:
    """Whether ``user`` heads a department above (or of) the project owner's."""
    owner = project.owner
    scope = scope_for(user)
    return bool(
        owner.department_id
        and any(owner.department.path.startswith(path) for path in scope.managed_paths)
    )


def can_start_process(project: Project, user) -> bool:
    return project.is_open and (project.owner_id == user.pk or manages_owner(project, user))


def may_review_anything(scope) -> bool:
    return (
        scope.is_manager or scope.has_role(Role.TECHNICAL_SUPPORT) or scope.has_role(Role.HR_ADMIN)
    )


def node_is_late(node: NodeInstance, today) -> bool:
    """Past its due date while open, delivered after it, or approved late."""
    if node.state == NodeState.APPROVED:
        return bool(node.days_late)
    if node.state in (*OPEN_STATES, NodeState.SUBMITTED):
        return days_overdue(node, today) > 0
    return False


# --- The project page's Process tab ------------------------------------------------------


def _project_process(*, project, request):
    user = request.user
    today = timezone.localdate()
    process = selectors.process_for_project(project)
    if process is None:
        can_start = can_start_process(project, user)
        versions = list(selectors.startable_versions()) if can_start else []
        suggested = services.template_for(project) if versions else None
        return {
            "process": None,
            "can_start": can_start,
            "versions": versions,
            "suggested_id": suggested.pk if suggested else None,
        }
    nodes = selectors.timeline_nodes(project, user)
    for node in nodes:
        node.is_current = node.pk == process.current_node_id
        node.late_days = days_overdue(node, today) if node.state != NodeState.SKIPPED else 0
        node.is_overdue = node.state in OPEN_STATES and node.late_days > 0
    finished = sum(1 for node in nodes if node.state in (NodeState.APPROVED, NodeState.SKIPPED))
    scores = [node.score for node in nodes if node.score is not None]
    current = next((node for node in nodes if node.is_current), None)
    return {
        "process": process,
        "nodes": nodes,
        "current": current,
        "current_age": (today - process.current_since).days if process.current_since else None,
        "finished": finished,
        "total_score": sum(scores) if scores else None,
        "overdue_count": sum(1 for node in nodes if node.is_overdue),
        "badge": f"{finished}/{len(nodes)}" if nodes else None,
    }


register_project_section(
    "process",
    _("Process"),
    "process/nodes/_project_process.html",
    _project_process,
    15,
    icon="bi-signpost-split",
)


class ProcessStartView(LoginRequiredMixin, View):
    """Start a project's process with a published template the owner or manager chose."""

    def post(self, request, pk):
        project = get_object_or_404(
            Project.objects.visible_to(request.user).select_related("owner__department"), pk=pk
        )
        if not can_start_process(project, request.user):
            raise PermissionDenied
        wanted = request.POST.get("version", "")
        version = (
            selectors.startable_versions().filter(pk=wanted).first() if wanted.isdigit() else None
        )
        target = f"{project.get_absolute_url()}?tab=process"
        if version is None:
            messages.error(request, gettext("Choose a published process template."))
            return redirect(target)
        services.process_start(project=project, version=version)
        messages.success(
            request,
            gettext("The project now follows %(template)s.") % {"template": version},
        )
        return redirect(target)


# --- A node's page -----------------------------------------------------------------------


def _node_or_404(request, pk) -> NodeInstance:
    return get_object_or_404(selectors.node_for_page(request.user), pk=pk)


def _submission_rows(submission: Submission, specs: list[dict]) -> list[tuple[str, str]]:
    """A submission's field values labelled by the standard, undeclared keys last."""
    data = submission.data or {}
    rows = [(spec.get("label") or spec["name"], data[spec["name"]]) for spec in specs]
    rows = [(label, value) for label, value in rows if value not in (None, "")]
    declared = {spec["name"] for spec in specs}
    rows += [(name, value) for name, value in data.items() if name not in declared]
    return rows


def _submit_initial(submissions: list[Submission], versions) -> dict:
    """A returned node's form starts from the last attempt, so only the fix is typed."""
    if not submissions:
        return {}
    last = submissions[0]
    attachable = {version.pk for version in versions}
    initial = {FIELD_PREFIX + name: value for name, value in (last.data or {}).items()}
    initial["checklist"] = list(last.checklist or [])
    initial["documents"] = [str(v.pk) for v in last.documents.all() if v.pk in attachable]
    return initial


def render_node_page(request, node: NodeInstance, *, bound=None, status=200, alert=""):
    """The node's page; ``bound`` holds a form the user just sent (kept with its errors)."""
    bound = bound or {}
    user = request.user
    today = timezone.localdate()
    project, definition = node.project, node.definition
    submissions = list(selectors.submissions_for_node(node))
    for submission in submissions:
        submission.rows = _submission_rows(submission, definition.fields or [])
    pending = next((s for s in submissions if s.state == SubmissionState.PENDING), None)
    reasons = list(selectors.delay_reasons_for_node(node))

    is_owner = user.pk == project.owner_id
    manages = manages_owner(project, user)
    late = node_is_late(node, today)
    can_submit = is_owner and node.state in OPEN_STATES
    can_review = bool(
        node.state == NodeState.SUBMITTED
        and pending is not None
        and pending.submitted_by_id != user.pk
        and services._is_reviewer(node, user)
    )
    can_skip = manages and node.state in SKIPPABLE_STATES
    open_reason = any(
        r.decision in (DelayDecision.PENDING, DelayDecision.ACCEPTED) for r in reasons
    )
    can_give_reason = is_owner and late and not open_reason
    decidable = [r for r in reasons if r.decision == DelayDecision.PENDING] if manages else []

    forms = {}
    if can_submit:
        versions = list(selectors.attachable_versions(project, user))
        initial = _submit_initial(submissions, versions) if node.state == NodeState.RETURNED else {}
        forms["submit"] = bound.get("submit") or style_form(
            NodeSubmitForm(
                prefix="submit", definition=definition, versions=versions, initial=initial
            )
        )
    if can_review:
        forms["approve"] = bound.get("approve") or style_form(ReviewApproveForm(prefix="approve"))
        forms["return"] = bound.get("return") or style_form(ReviewReturnForm(prefix="return"))
    if can_skip:
        forms["skip"] = bound.get("skip") or style_form(NodeSkipForm(prefix="skip"))
    if can_give_reason:
        forms["delay"] = bound.get("delay") or style_form(DelayReasonForm(prefix="delay"))
    for reason in decidable:
        key = f"decide-{reason.pk}"
        reason.form = bound.get(key) or style_form(DelayDecisionForm(prefix=key, reason=reason))
        reason.waivable = reason.category.attribution in WAIVABLE

    # A refusal of an action this person is not offered (reviewing their own submission)
    # has no form on the page to carry it: say it on top instead.
    refusal = " ".join(
        str(message)
        for key, form in bound.items()
        if key not in forms and not key.startswith("decide-")
        for message in form.non_field_errors()
    )
    explanation = node.score_explanation or {}
    context = {
        "refusal": refusal,
        "node": node,
        "project": project,
        "definition": definition,
        "submissions": submissions,
        "pending": pending,
        "reasons": reasons,
        "decidable": decidable,
        "forms": forms,
        "alert": alert,
        "late": late,
        "late_days": days_overdue(node, today),
        "is_owner": is_owner,
        "score_steps": (explanation.get("result") or {}).get("steps", []),
        "deliverables": [
            {"key": key, "name": DELIVERABLE_NAMES.get(key, key)}
            for key in definition.deliverable_templates or []
        ],
        "document_kinds": _document_kind_labels(definition.required_document_kinds or []),
        "fields_declared": definition.fields or [],
        "any_action": bool(forms or decidable),
    }
    return render(request, "process/nodes/node_detail.html", context, status=status)


def _document_kind_labels(kinds: list[str]) -> list[str]:
    labels = dict(DocumentKind.choices)
    return [str(labels.get(kind, kind)) for kind in kinds]


class NodeDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_node_page(request, _node_or_404(request, pk))


class NodeActionView(LoginRequiredMixin, View):
    """One action on a node, posted from its page. A refusal re-renders the page with
    the form as typed; a node that moved on meanwhile is a 409 naming its state."""

    form_key = ""

    def allowed(self, node: NodeInstance, user) -> bool:
        raise NotImplementedError

    def build_form(self, node: NodeInstance, data):
        raise NotImplementedError

    def perform(self, node: NodeInstance, form) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def refused(self, form, error: ValidationError) -> None:
        apply_validation_error(form, error)

    def get(self, request, pk, **kwargs):
        # Back to the node's page — after the same scoping, so a foreign node is a 404.
        return redirect(node_url(_node_or_404(request, pk)))

    def post(self, request, pk, **kwargs):
        node = _node_or_404(request, pk)
        if not self.allowed(node, request.user):
            raise PermissionDenied
        form = style_form(self.build_form(node, request.POST))
        if form.is_valid():
            try:
                message = self.perform(node, form)
            except ValidationError as error:
                if isinstance(error, services.Conflict) or getattr(error, "code", "") == "conflict":
                    fresh = _node_or_404(request, pk)
                    return render_node_page(
                        request,
                        fresh,
                        bound={self.form_key: form},
                        status=409,
                        alert=" ".join(error.messages),
                    )
                self.refused(form, error)
            else:
                messages.success(request, message)
                return redirect(node_url(node))
        return render_node_page(request, node, bound={self.form_key: form})


class NodeSubmitView(NodeActionView):
    form_key = "submit"

    def allowed(self, node, user):
        return node.project.owner_id == user.pk

    def build_form(self, node, data):
        versions = selectors.attachable_versions(node.project, self.request.user)
        return NodeSubmitForm(data, prefix="submit", definition=node.definition, versions=versions)

    def perform(self, node, form):
        services.node_submit(node=node, user=self.request.user, **form.service_arguments())
        return gettext("Submitted for review.")

    def refused(self, form, error):
        super().refused(form, error)
        form.incomplete = True
        form.mark_missing()


class NodeApproveView(NodeActionView):
    form_key = "approve"

    def allowed(self, node, user):
        return services._is_reviewer(node, user)

    def build_form(self, node, data):
        return ReviewApproveForm(data, prefix="approve")

    def perform(self, node, form):
        services.review_approve(
            node=node,
            reviewer=self.request.user,
            quality_score=form.cleaned_data["quality_score"],
            comment=form.cleaned_data.get("comment", ""),
        )
        node.refresh_from_db(fields=["score"])
        return gettext("Approved. The node scores %(score)s.") % {"score": node.score}


class NodeReturnView(NodeActionView):
    form_key = "return"

    def allowed(self, node, user):
        return services._is_reviewer(node, user)

    def build_form(self, node, data):
        return ReviewReturnForm(data, prefix="return")

    def perform(self, node, form):
        services.review_return(
            node=node, reviewer=self.request.user, comment=form.cleaned_data["comment"]
        )
        return gettext("Returned to %(owner)s.") % {"owner": node.project.owner.name}


class NodeSkipView(NodeActionView):
    form_key = "skip"

    def allowed(self, node, user):
        return manages_owner(node.project, user)

    def build_form(self, node, data):
        return NodeSkipForm(data, prefix="skip")

    def perform(self, node, form):
        services.node_skip(node=node, manager=self.request.user, reason=form.cleaned_data["reason"])
        return gettext("The node was skipped.")


class DelayReasonGiveView(NodeActionView):
    form_key = "delay"

    def allowed(self, node, user):
        return node.project.owner_id == user.pk

    def build_form(self, node, data):
        return DelayReasonForm(data, prefix="delay")

    def perform(self, node, form):
        services.delay_reason_give(
            node=node,
            user=self.request.user,
            category=form.cleaned_data["category"],
            text=form.cleaned_data["text"],
        )
        return gettext("The delay reason was sent to your manager.")


class DelayReasonDecideView(NodeActionView):
    """The manager's decision on one of the node's delay reasons."""

    def dispatch(self, request, *args, **kwargs):
        self.form_key = f"decide-{kwargs.get('reason_pk')}"
        return super().dispatch(request, *args, **kwargs)

    def allowed(self, node, user):
        return manages_owner(node.project, user)

    def get_reason(self, node) -> DelayReason:
        return get_object_or_404(
            DelayReason.objects.visible_to(self.request.user).select_related("category"),
            pk=self.kwargs["reason_pk"],
            node=node,
        )

    def build_form(self, node, data):
        self.reason = self.get_reason(node)
        return DelayDecisionForm(data, prefix=self.form_key, reason=self.reason)

    def perform(self, node, form):
        arguments = form.service_arguments()
        services.delay_reason_decide(reason=self.reason, manager=self.request.user, **arguments)
        if not arguments["accept"]:
            return gettext("The reason was not accepted.")
        if arguments["waived_share"]:
            return gettext("The reason was accepted; %(share)s%% of the deduction is waived.") % {
                "share": int(arguments["waived_share"] * 100)
            }
        return gettext("The reason was accepted.")

    def refused(self, form, error):
        # The service names the share "waived_share"; the form shows it as a percentage.
        if hasattr(error, "error_dict") and "waived_share" in error.error_dict:
            target = "waived_percent" if "waived_percent" in form.fields else None
            for item in error.error_dict.pop("waived_share"):
                form.add_error(target, item)
            if not error.error_dict:
                return
        super().refused(form, error)


# --- Review queue and delays -------------------------------------------------------------


class ReviewQueueView(PermissionRequiredMixin, ScopedListView):
    """Submissions awaiting the viewer's review, oldest first."""

    model = Submission
    table_class = ReviewQueueTable
    title = _("Awaiting my review")
    export_name = "reviews"

    def allowed(self, scope):
        return may_review_anything(scope)

    def scoped_queryset(self):
        return selectors.review_queue(self.request.user)


class DelayListView(PermissionRequiredMixin, ScopedListView):
    """Overdue nodes of the viewer's team and the state of their delay reasons."""

    model = NodeInstance
    table_class = DelayedNodeTable
    title = _("Delays")
    export_name = "delays"

    def allowed(self, scope):
        return scope.is_manager or scope.sees_all_records

    def scoped_queryset(self):
        return selectors.delayed_nodes(self.request.user, timezone.localdate())


urlpatterns = [
    path("projects/<int:pk>/start/", ProcessStartView.as_view(), name="process-start"),
    path("nodes/<int:pk>/", NodeDetailView.as_view(), name="node-detail"),
    path("nodes/<int:pk>/submit/", NodeSubmitView.as_view(), name="node-submit"),
    path("nodes/<int:pk>/approve/", NodeApproveView.as_view(), name="node-approve"),
    path("nodes/<int:pk>/return/", NodeReturnView.as_view(), name="node-return"),
    path("nodes/<int:pk>/skip/", NodeSkipView.as_view(), name="node-skip"),
    path("nodes/<int:pk>/delay-reason/", DelayReasonGiveView.as_view(), name="delay-reason-give"),
    path(
        "nodes/<int:pk>/delay-reasons/<int:reason_pk>/decide/",
        DelayReasonDecideView.as_view(),
        name="delay-reason-decide",
    ),
    path("reviews/", ReviewQueueView.as_view(), name="review-queue"),
    path("delays/", DelayListView.as_view(), name="delays"),
]
