"""Views of the process engine: configuration.

* process templates: the list with each template's versions, a template's page (its
  published version, its draft, its version history, the stall thresholds learned for its
  nodes), and the editor for system and HR admins — template limits, a new draft copied
  from the published version, a form editor for the draft's nodes (fields, checklist items,
  documents, deliverables, due rule, score, reviewer, deduction, thresholds), publishing
  with a note;
* migrating running projects to the published version: choose, preview, apply;
* downloading the bundled deliverable templates;
* the stalled projects list.

Everyone signed in reads published templates; drafts are the editors' alone (a draft is
"not found" for anybody else). Every write goes through :mod:`pathscore.process.services`
or :mod:`pathscore.process.migration`.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pathscore.core.forms import style_form
from pathscore.core.history import history_entries
from pathscore.core.scoping import scope_for
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    apply_validation_error,
)
from pathscore.crm.choices import DocumentKind, ProjectStatus
from pathscore.process import deliverables, migration, services, stalls
from pathscore.process.choices import DeductionKind, DueRule, FieldType, VersionStatus
from pathscore.process.forms import MigrationSelectForm, NodeEditor, PublishForm, TemplateForm
from pathscore.process.models import (
    NodeDefinition,
    ProcessTemplate,
    ProjectProcess,
    StallThreshold,
    TemplateVersion,
)
from pathscore.process.tables import ProcessTemplateTable, StalledProjectTable

#: At most this many projects are offered for migration at once; a filter narrows them.
MIGRATION_CHOICE_LIMIT = 200


def can_edit_templates(user) -> bool:
    """System admins and HR admins edit process templates."""
    return scope_for(user).manages_org


class TemplateEditorMixin(PermissionRequiredMixin):
    """Only system admins and HR admins change templates (403 for anybody else)."""

    def allowed(self, scope):
        return scope.manages_org


def _versions_for(user):
    """Versions ``user`` may read: drafts only for the editors."""
    versions = TemplateVersion.objects.visible_to(user)
    if not can_edit_templates(user):
        versions = versions.exclude(status=VersionStatus.DRAFT)
    return versions


def _running(processes):
    """Open projects' processes (not finished, project active or paused)."""
    return processes.filter(
        completed_on__isnull=True,
        project__status__in=[ProjectStatus.ACTIVE, ProjectStatus.PAUSED],
    )


def _running_count(user, **match):
    """A subquery counting the running projects ``user`` may see, matched by ``match``."""
    counted = (
        _running(ProjectProcess.objects.visible_to(user))
        .filter(**match)
        .order_by()
        .values("version__template")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted[:1]), 0)


# --- Describing nodes ------------------------------------------------------------------------


def describe_due(definition: NodeDefinition) -> str:
    if definition.due_rule == DueRule.FIXED_DATE:
        return _("On %(date)s") % {
            "date": definition.due_date.isoformat() if definition.due_date else "—"
        }
    if definition.due_rule == DueRule.AFTER_START:
        return _("%(days)d days after the project starts") % {"days": definition.due_days}
    return _("%(days)d days after the previous node is approved") % {"days": definition.due_days}


def describe_deduction(definition: NodeDefinition) -> str:
    if definition.deduction_kind == DeductionKind.BANDS:
        bands = "; ".join(
            _("from day %(day)s: −%(points)s") % {"day": day, "points": points}
            for day, points in definition.deduction_bands or []
        )
        return _("Bands: %(bands)s") % {"bands": bands or "—"}
    return _("%(points)s per day late, at most %(cap)s") % {
        "points": definition.deduction_per_day.normalize(),
        "cap": definition.deduction_cap.normalize(),
    }


def _annotate_nodes(nodes) -> list[NodeDefinition]:
    """Attach the texts and lists a node summary shows."""
    kinds = dict(DocumentKind.choices)
    types = dict(FieldType.choices)
    nodes = list(nodes)
    for node in nodes:
        node.field_specs = [
            {**spec, "type_label": types.get(spec.get("type"), spec.get("type"))}
            for spec in node.fields or []
        ]
        node.due_text = describe_due(node)
        node.deduction_text = describe_deduction(node)
        node.document_labels = [kinds.get(k, k) for k in node.required_document_kinds or []]
        node.deliverable_list = [
            item
            for key in node.deliverable_templates or []
            if (item := deliverables.get_deliverable(key)) is not None
        ]
        node.reminder_text = ", ".join(str(d) for d in node.reminder_days or []) or "—"
    return nodes


# --- Templates ---------------------------------------------------------------------------------


class TemplateListView(ScopedListView):
    model = ProcessTemplate
    table_class = ProcessTemplateTable
    title = gettext_lazy("Process templates")
    export_name = "process-templates"
    create_label = gettext_lazy("New template")
    paginate_by = 50

    def scoped_queryset(self):
        user = self.request.user
        templates = super().scoped_queryset()
        if not can_edit_templates(user):
            published = TemplateVersion.objects.filter(
                template=OuterRef("pk"), status=VersionStatus.PUBLISHED
            )
            templates = templates.filter(Exists(published))
        return (
            templates.annotate(running=_running_count(user, version__template=OuterRef("pk")))
            .prefetch_related(
                "customer_types",
                "categories",
                Prefetch(
                    "versions",
                    queryset=_versions_for(user).order_by("-number"),
                    to_attr="shown_versions",
                ),
            )
            .order_by("name", "pk")
        )

    def get_create_url(self):
        if can_edit_templates(self.request.user):
            return reverse("process:template-create")
        return None


def _template_or_404(request, pk) -> ProcessTemplate:
    templates = ProcessTemplate.objects.visible_to(request.user)
    if not can_edit_templates(request.user):
        templates = templates.filter(versions__status=VersionStatus.PUBLISHED)
    return get_object_or_404(templates.distinct(), pk=pk)


def _learned_thresholds(codes) -> dict[str, list[StallThreshold]]:
    learned: dict[str, list[StallThreshold]] = {}
    rows = StallThreshold.objects.filter(node_code__in=list(codes)).select_related("customer_type")
    for row in rows.order_by("node_code", "customer_type__sort_order"):
        learned.setdefault(row.node_code, []).append(row)
    return learned


class TemplateDetailView(ScopedDetailView):
    model = ProcessTemplate
    template_name = "process/templates/template_detail.html"
    context_object_name = "template"

    def get_object(self, queryset=None):
        return _template_or_404(self.request, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        template, user = self.object, self.request.user
        versions = list(
            _versions_for(user)
            .filter(template=template)
            .select_related("published_by")
            .annotate(running=_running_count(user, version=OuterRef("pk")))
            .annotate(node_count=Count("nodes"))
            .order_by("-number")
        )
        published = next((v for v in versions if v.status == VersionStatus.PUBLISHED), None)
        draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
        nodes = _annotate_nodes(published.nodes.order_by("order")) if published else []
        learned = _learned_thresholds(n.code for n in nodes)
        for node in nodes:
            node.learned = learned.get(node.code, [])
        older_running = sum(
            v.running for v in versions if published and v.number < published.number
        )
        context.update(
            {
                "versions": versions,
                "published": published,
                "draft": draft,
                "nodes": nodes,
                "can_edit": can_edit_templates(user),
                "can_migrate": migration.can_migrate(user) and published is not None,
                "older_running": older_running,
                "customer_types": list(template.customer_types.all()),
                "categories": list(template.categories.all()),
                "history": history_entries(template, limit=20),
                "min_samples": stalls.MIN_SAMPLES,
            }
        )
        return context


class TemplateCreateView(TemplateEditorMixin, View):
    def get(self, request):
        return self.show(TemplateForm())

    def show(self, form, status=200):
        return render(
            self.request,
            "process/templates/template_form.html",
            {"form": style_form(form), "title": _("New process template")},
            status=status,
        )

    def post(self, request):
        form = TemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    version = services.template_create(
                        code=data["code"],
                        name=data["name"],
                        description=data["description"],
                        actor=request.user,
                    )
                    services.template_update(
                        template=version.template,
                        actor=request.user,
                        customer_types=data["customer_types"],
                        categories=data["categories"],
                    )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The template was created. Add its nodes."))
                return redirect("process:version-detail", pk=version.pk)
        return self.show(form)


class TemplateUpdateView(TemplateEditorMixin, View):
    def dispatch_template(self, pk):
        return get_object_or_404(ProcessTemplate.objects.visible_to(self.request.user), pk=pk)

    def show(self, template, form):
        return render(
            self.request,
            "process/templates/template_form.html",
            {
                "form": style_form(form),
                "template": template,
                "title": _("Edit %(name)s") % {"name": template.name},
            },
        )

    def get(self, request, pk):
        template = self.dispatch_template(pk)
        return self.show(template, TemplateForm(template=template))

    def post(self, request, pk):
        template = self.dispatch_template(pk)
        form = TemplateForm(request.POST, template=template)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.template_update(
                    template=ProcessTemplate.objects.get(pk=template.pk),
                    actor=request.user,
                    name=data["name"],
                    description=data["description"],
                    is_active=data["is_active"],
                    customer_types=data["customer_types"],
                    categories=data["categories"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("process:template-detail", pk=template.pk)
        return self.show(template, form)


class NewDraftView(TemplateEditorMixin, View):
    def post(self, request, pk):
        template = get_object_or_404(ProcessTemplate.objects.visible_to(request.user), pk=pk)
        had_draft = template.versions.filter(status=VersionStatus.DRAFT).exists()
        draft = services.version_new_draft(template=template)
        if had_draft:
            messages.info(request, _("This template already has a draft: here it is."))
        else:
            messages.success(
                request,
                _("Draft v%(number)d created from the published version.")
                % {"number": draft.number},
            )
        return redirect("process:version-detail", pk=draft.pk)


# --- Versions and their nodes --------------------------------------------------------------


def _version_or_404(request, pk) -> TemplateVersion:
    return get_object_or_404(
        _versions_for(request.user).select_related("template", "published_by"), pk=pk
    )


def render_version(request, version: TemplateVersion, *, publish_form=None, status=200):
    editing = version.status == VersionStatus.DRAFT and can_edit_templates(request.user)
    nodes = _annotate_nodes(version.nodes.order_by("order"))
    published = (
        version.template.versions.filter(status=VersionStatus.PUBLISHED).first()
        if version.status != VersionStatus.PUBLISHED
        else version
    )
    return render(
        request,
        "process/templates/version_detail.html",
        {
            "version": version,
            "template": version.template,
            "nodes": nodes,
            "editing": editing,
            "published": published,
            "publish_form": style_form(publish_form or PublishForm()),
            "title": f"{version.template.name} v{version.number}",
        },
        status=status,
    )


class VersionDetailView(LoginRequiredMixin, View):
    """A version's nodes; for a draft and an editor, the draft editor."""

    def get(self, request, pk):
        return render_version(request, _version_or_404(request, pk))


def _draft_or_redirect(request, version: TemplateVersion):
    if version.status != VersionStatus.DRAFT:
        messages.error(request, _("Only a draft version can be edited; create a new draft first."))
        return redirect("process:template-detail", pk=version.template_id)
    return None


class VersionPublishView(TemplateEditorMixin, View):
    def post(self, request, pk):
        version = _version_or_404(request, pk)
        refused = _draft_or_redirect(request, version)
        if refused:
            return refused
        form = PublishForm(request.POST)
        if form.is_valid():
            try:
                services.version_publish(
                    version=version, actor=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "v%(number)d is published: new projects follow it. Running projects "
                        "stay on their version until you migrate them."
                    )
                    % {"number": version.number},
                )
                return redirect("process:template-detail", pk=version.template_id)
        return render_version(request, version, publish_form=form, status=400)


class VersionDiscardView(TemplateEditorMixin, View):
    def post(self, request, pk):
        version = _version_or_404(request, pk)
        refused = _draft_or_redirect(request, version)
        if refused:
            return refused
        services.version_discard(version=version, actor=request.user)
        messages.success(request, _("The draft was discarded."))
        return redirect("process:template-detail", pk=version.template_id)


class NodeEditView(TemplateEditorMixin, View):
    """Add a node to a draft (``version`` given) or edit one (``pk`` given)."""

    def load(self, request, *, pk=None, version=None):
        if pk is not None:
            definition = get_object_or_404(
                NodeDefinition.objects.visible_to(request.user).select_related("version__template"),
                pk=pk,
            )
            return definition.version, definition
        return _version_or_404(request, version), None

    def show(self, editor: NodeEditor, status=200):
        editor.style()
        version = editor.version
        return render(
            self.request,
            "process/templates/node_form.html",
            {
                "editor": editor,
                "form": editor.node,
                "version": version,
                "template": version.template,
                "definition": editor.definition,
                "errors": editor.error_items() if editor.node.is_bound else [],
                "title": editor.definition.name if editor.definition else _("New node"),
            },
            status=status,
        )

    def get(self, request, pk=None, version=None):
        version, definition = self.load(request, pk=pk, version=version)
        refused = _draft_or_redirect(request, version)
        if refused:
            return refused
        return self.show(NodeEditor(version=version, definition=definition))

    def post(self, request, pk=None, version=None):
        version, definition = self.load(request, pk=pk, version=version)
        refused = _draft_or_redirect(request, version)
        if refused:
            return refused
        editor = NodeEditor(request.POST, version=version, definition=definition)
        if editor.is_valid():
            try:
                if definition is None:
                    saved = services.node_add(
                        version=version, order=editor.position, **editor.service_data()
                    )
                    message = _("Node “%(name)s” added.")
                else:
                    saved = services.node_update(definition=definition, **editor.service_data())
                    message = _("Node “%(name)s” saved.")
            except ValidationError as error:
                editor.add_service_error(error)
            else:
                messages.success(request, message % {"name": saved.name})
                url = reverse("process:version-detail", args=[version.pk])
                return redirect(f"{url}#node-{saved.pk}")
        return self.show(editor, status=400)


def _definition_or_404(request, pk) -> NodeDefinition:
    return get_object_or_404(
        NodeDefinition.objects.visible_to(request.user).select_related("version"), pk=pk
    )


class NodeMoveView(TemplateEditorMixin, View):
    def post(self, request, pk):
        definition = _definition_or_404(request, pk)
        refused = _draft_or_redirect(request, definition.version)
        if refused:
            return refused
        direction = -1 if request.POST.get("direction") == "up" else 1
        services.node_move(definition=definition, direction=direction)
        url = reverse("process:version-detail", args=[definition.version_id])
        return redirect(f"{url}#node-{definition.pk}")


class NodeRemoveView(TemplateEditorMixin, View):
    def post(self, request, pk):
        definition = _definition_or_404(request, pk)
        refused = _draft_or_redirect(request, definition.version)
        if refused:
            return refused
        services.node_remove(definition=definition)
        messages.success(request, _("Node “%(name)s” removed.") % {"name": definition.name})
        return redirect("process:version-detail", pk=definition.version_id)


# --- Migrating running projects ----------------------------------------------------------------


class TemplateMigrateView(LoginRequiredMixin, View):
    """Choose projects on an older version, preview the plan, apply it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not migration.can_migrate(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def setup_template(self, pk):
        self.template = _template_or_404(self.request, pk)
        self.published = self.template.versions.filter(status=VersionStatus.PUBLISHED).first()
        if self.published is None:
            raise Http404
        self.versions = (
            TemplateVersion.objects.filter(template=self.template, number__lt=self.published.number)
            .annotate(running=_running_count(self.request.user, version=OuterRef("pk")))
            .order_by("number")
        )

    def candidates(self, data):
        processes = _running(ProjectProcess.objects.visible_to(self.request.user)).filter(
            version__template=self.template, version__number__lt=self.published.number
        )
        version = data.get("from_version") or ""
        if version.isdigit():
            processes = processes.filter(version_id=version)
        q = (data.get("q") or "").strip()
        if q:
            processes = processes.filter(
                Q(project__name__icontains=q) | Q(project__customer__name__icontains=q)
            )
        customer_type = data.get("customer_type") or ""
        if customer_type.isdigit():
            processes = processes.filter(project__customer__customer_type_id=customer_type)
        return processes.select_related(
            "version",
            "project__customer__customer_type",
            "project__owner",
            "current_node__definition",
        ).order_by("project__name", "pk")

    def form(self, data):
        default = next((v for v in self.versions if v.running), None) or self.versions.first()
        values = data.copy()
        if not values.get("from_version") and default is not None:
            values["from_version"] = str(default.pk)
        candidates = self.candidates(values)
        form = MigrationSelectForm(values, versions=self.versions, candidates=candidates)
        return form, candidates

    def show(self, form, candidates, *, plan=None, status=200):
        shown = list(candidates[: MIGRATION_CHOICE_LIMIT + 1])
        chosen = set(form.data.getlist("projects"))
        return render(
            self.request,
            "process/templates/migrate.html",
            {
                "template": self.template,
                "published": self.published,
                "versions": self.versions,
                "form": form,
                "candidates": shown[:MIGRATION_CHOICE_LIMIT],
                "truncated": len(shown) > MIGRATION_CHOICE_LIMIT,
                "limit": MIGRATION_CHOICE_LIMIT,
                "chosen": chosen,
                "plan": plan,
                "actions": migration.Action,
                "title": _("Migrate projects to v%(number)d") % {"number": self.published.number},
            },
            status=status,
        )

    def get(self, request, pk):
        self.setup_template(pk)
        form, candidates = self.form(request.GET)
        form.is_valid()  # shows the filter's state; nothing is chosen yet
        return self.show(form, candidates)

    def post(self, request, pk):
        self.setup_template(pk)
        form, candidates = self.form(request.POST)
        if not form.is_valid():
            return self.show(form, candidates, status=400)
        chosen = form.cleaned_data["projects"]
        if not chosen:
            form.add_error("projects", _("Choose at least one project."))
            return self.show(form, candidates, status=400)
        from_version = form.cleaned_data["from_version"]
        project_ids = [process.project_id for process in chosen]
        if request.POST.get("action") == "apply":
            try:
                result = migration.apply_migration(
                    from_version=from_version,
                    to_version=self.published,
                    projects=project_ids,
                    actor=request.user,
                    expected_digest=request.POST.get("digest") or None,
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("%(count)d project(s) moved to v%(number)d.")
                    % {"count": len(result.migrated), "number": self.published.number},
                )
                if result.blocked:
                    messages.warning(
                        request,
                        _("%(count)d project(s) were left on their version: %(names)s.")
                        % {
                            "count": len(result.blocked),
                            "names": "、".join(p.project.name for p in result.blocked),
                        },
                    )
                return redirect("process:template-detail", pk=self.template.pk)
        plan = migration.plan_migration(
            from_version=from_version, to_version=self.published, projects=project_ids
        )
        return self.show(form, candidates, plan=plan)


# --- Deliverable templates ---------------------------------------------------------------------


class DeliverableDownloadView(LoginRequiredMixin, View):
    """A bundled deliverable template as an .xlsx attachment."""

    def get(self, request, key):
        deliverable = deliverables.get_deliverable(key)
        if deliverable is None:
            raise Http404
        response = FileResponse(
            io.BytesIO(deliverables.render_xlsx(deliverable)),
            as_attachment=True,
            filename=deliverable.filename,
            content_type=deliverables.XLSX_CONTENT_TYPE,
        )
        response["Cache-Control"] = "private, no-store"
        return response


# --- Stalled projects --------------------------------------------------------------------------


class StalledProjectListView(ScopedListView):
    """Projects whose current node has lasted longer than its threshold or than 75% of past
    projects of the same customer type at that node."""

    model = ProjectProcess
    table_class = StalledProjectTable
    title = gettext_lazy("Stalled projects")
    export_name = "stalled-projects"

    def scoped_queryset(self):
        return stalls.stalled_projects(self.request.user, timezone.localdate())


urlpatterns = [
    path("templates/", TemplateListView.as_view(), name="template-list"),
    path("templates/new/", TemplateCreateView.as_view(), name="template-create"),
    path("templates/<int:pk>/", TemplateDetailView.as_view(), name="template-detail"),
    path("templates/<int:pk>/edit/", TemplateUpdateView.as_view(), name="template-update"),
    path("templates/<int:pk>/new-draft/", NewDraftView.as_view(), name="version-new-draft"),
    path("templates/<int:pk>/migrate/", TemplateMigrateView.as_view(), name="template-migrate"),
    path("versions/<int:pk>/", VersionDetailView.as_view(), name="version-detail"),
    path("versions/<int:pk>/publish/", VersionPublishView.as_view(), name="version-publish"),
    path("versions/<int:pk>/discard/", VersionDiscardView.as_view(), name="version-discard"),
    path("versions/<int:version>/nodes/new/", NodeEditView.as_view(), name="definition-create"),
    path("definitions/<int:pk>/edit/", NodeEditView.as_view(), name="definition-update"),
    path("definitions/<int:pk>/move/", NodeMoveView.as_view(), name="definition-move"),
    path("definitions/<int:pk>/remove/", NodeRemoveView.as_view(), name="definition-remove"),
    path(
        "deliverables/<slug:key>/",
        DeliverableDownloadView.as_view(),
        name="deliverable-download",
    ),
    path("stalled/", StalledProjectListView.as_view(), name="stalled-projects"),
]
