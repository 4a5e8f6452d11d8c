"""Views of the records: projects, and the project page every other part plugs into.

The project page is the project's home: a header (status, owner, customer, amounts, dates,
actions) and a row of tabs. Tabs are registered, not hard-coded, so follow-ups, documents
and the contract add theirs from their own modules::

    register_project_section(
        "documents", _("Documents"), "crm/projects/_documents.html", documents_context, 40
    )

where ``documents_context(*, project, request)`` returns the template's context (or
``None`` to leave the tab out). ``?tab=documents`` opens the page on that tab.
"""

from __future__ import annotations

from functools import cached_property

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, FormView, UpdateView

from pathscore.core.history import history_entries
from pathscore.core.scoping import scope_for
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    ServiceFormMixin,
)
from pathscore.crm import selectors, services
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.filtersets import ProjectFilterSet
from pathscore.crm.forms import ProjectForm, ProjectHandoverForm, ProjectStatusForm
from pathscore.crm.models import Project, ProjectHandover
from pathscore.crm.tables import ProjectTable, format_cny
from pathscore.crm.views.common import (
    CustomerFromQueryMixin,
    RecordWriterRequiredMixin,
    Section,
    SectionedDetailMixin,
    can_assign_owner,
    can_hand_over,
    can_write_records,
)

#: How many follow-ups the project's timeline shows; the follow-up list has them all.
TIMELINE_LIMIT = 50

#: The tabs of the project page, in ``order``; see :func:`register_project_section`.
PROJECT_SECTIONS: list[Section] = []


def register_project_section(key, label, template, context_fn, order=100, icon=""):
    """Add a tab to the project page (registering a key again replaces that tab).

    ``context_fn(*, project, request)`` returns the context ``template`` is rendered with
    (``project`` and ``request`` are always in it), or ``None`` to hide the tab.
    """
    section = Section(
        key=key, label=label, template=template, context_fn=context_fn, order=order, icon=icon
    )
    PROJECT_SECTIONS[:] = [s for s in PROJECT_SECTIONS if s.key != key]
    PROJECT_SECTIONS.append(section)
    PROJECT_SECTIONS.sort(key=lambda s: (s.order, s.key))
    return section


def projects_for_list(viewer):
    """Projects ``viewer`` may see, with what the list shows loaded in the same query."""
    return Project.objects.visible_to(viewer).select_related("customer", "owner", "category")


def _project_overview(*, project, request):
    return {
        "contacts": project.customer.contacts.filter(is_active=True).order_by(
            "decision_role", "name"
        ),
    }


def _project_followups(*, project, request):
    followups = selectors.followups_for_project(project, request.user)
    count = followups.count()
    return {"followups": followups[:TIMELINE_LIMIT], "badge": count or None, "on_project": True}


def _project_history(*, project, request):
    handovers = ProjectHandover.objects.filter(project=project).select_related(
        "from_owner", "to_owner", "handed_over_by"
    )
    return {"history": history_entries(project), "handovers": handovers}


register_project_section(
    "overview",
    _("Overview"),
    "crm/projects/_overview.html",
    _project_overview,
    10,
    icon="bi-info-circle",
)
register_project_section(
    "followups",
    _("Follow-ups"),
    "crm/includes/followup_timeline.html",
    _project_followups,
    20,
    icon="bi-chat-left-text",
)
register_project_section(
    "history",
    _("History"),
    "crm/projects/_history.html",
    _project_history,
    90,
    icon="bi-clock-history",
)


class ProjectListView(ScopedListView):
    model = Project
    table_class = ProjectTable
    filterset_class = ProjectFilterSet
    title = _("Projects")
    export_name = "projects"
    create_label = _("New project")

    def scoped_queryset(self):
        return projects_for_list(self.request.user)

    def get_create_url(self):
        if can_write_records(scope_for(self.request.user)):
            return reverse("crm:project-create")
        return None


def _status_targets(project):
    """The statuses a project can move to from where it is, in the order offered."""
    order = [ProjectStatus.WON, ProjectStatus.LOST, ProjectStatus.PAUSED, ProjectStatus.ACTIVE]
    return [status for status in order if status != project.status]


class ProjectDetailView(SectionedDetailMixin, ScopedDetailView):
    model = Project
    template_name = "crm/projects/project_detail.html"
    context_object_name = "project"

    def get_sections(self):
        # Read at request time: other apps register their tabs after this module loads.
        return PROJECT_SECTIONS

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .select_related("customer__customer_type", "owner__department", "category")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = scope_for(self.request.user)
        project = self.object
        context.update(
            can_write=can_write_records(scope),
            can_hand_over=can_hand_over(scope),
            status_targets=_status_targets(project),
            estimated_amount=format_cny(project.estimated_amount),
            signed_amount=format_cny(project.signed_amount),
        )
        return context


class ProjectFormMixin(RecordWriterRequiredMixin, ServiceFormMixin):
    model = Project
    form_class = ProjectForm
    template_name = "crm/projects/project_form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "viewer": self.request.user,
            "can_assign": can_assign_owner(scope_for(self.request.user)),
        }

    def get_success_url(self):
        return self.object.get_absolute_url()


class ProjectCreateView(CustomerFromQueryMixin, ProjectFormMixin, CreateView):
    success_message = _("The project was created.")

    def perform(self, form):
        data = form.cleaned_data
        return services.project_create(
            actor=self.request.user,
            customer=data["customer"],
            name=data["name"],
            category=data["category"],
            owner=data.get("owner"),
            estimated_amount=data.get("estimated_amount"),
            expected_sign_date=data.get("expected_sign_date"),
            started_on=data.get("started_on"),
            description=data.get("description", ""),
        )


class ProjectUpdateView(ProjectFormMixin, UpdateView):
    success_message = _("Changes saved.")

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user)

    def perform(self, form):
        # The form copied the typed values onto its instance; the service works on the
        # stored row so history records the real before → after.
        project = Project.objects.get(pk=self.object.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            return project
        return services.project_update(
            project=project,
            actor=self.request.user,
            expected_revision=form.cleaned_data.get("revision"),
            **changes,
        )


class ProjectActionMixin(ServiceFormMixin):
    """A form about one project the user may see (anything else is a 404)."""

    template_name = ""

    @cached_property
    def project(self) -> Project:
        return get_object_or_404(
            Project.objects.visible_to(self.request.user).select_related("customer", "owner"),
            pk=self.kwargs["pk"],
        )

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            # Another team's project is not found, before any question of role.
            self.project  # noqa: B018
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "project": self.project}

    def get_success_url(self):
        return self.project.get_absolute_url()


class ProjectStatusView(ProjectActionMixin, RecordWriterRequiredMixin, FormView):
    """Mark a project won, lost, paused or active again: ``?to=won`` picks the form."""

    form_class = ProjectStatusForm
    template_name = "crm/projects/project_status_form.html"

    @cached_property
    def target(self) -> str:
        wanted = self.request.POST.get("status") or self.request.GET.get("to", "")
        if wanted not in ProjectStatus.values:
            raise Http404
        return wanted

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.target == self.project.status:
            # A second tap on "save", or a stale page: nothing to change.
            messages.info(
                request,
                gettext("The project is already %(status)s.")
                % {"status": self.project.get_status_display()},
            )
            return redirect(self.project.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "target": self.target}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["target"] = ProjectStatus(self.target)
        return context

    def perform(self, form):
        data = form.cleaned_data
        project = services.project_set_status(
            project=self.project,
            actor=self.request.user,
            status=data["status"],
            reason=data.get("reason", ""),
            signed_amount=data.get("signed_amount"),
            signed_on=data.get("signed_on"),
        )
        self.success_message = gettext("The project is now %(status)s.") % {
            "status": project.get_status_display()
        }
        return project


class ProjectHandoverView(ProjectActionMixin, PermissionRequiredMixin, FormView):
    """A manager hands a project over to someone they manage; the page lists earlier ones."""

    form_class = ProjectHandoverForm
    template_name = "crm/projects/project_handover_form.html"

    def allowed(self, scope):
        return can_hand_over(scope)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "viewer": self.request.user, "project": self.project}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["handovers"] = ProjectHandover.objects.filter(project=self.project).select_related(
            "from_owner", "to_owner", "handed_over_by"
        )
        return context

    def perform(self, form):
        data = form.cleaned_data
        handover = services.project_hand_over(
            project=self.project,
            actor=self.request.user,
            new_owner=data["new_owner"],
            reason=data["reason"],
        )
        self.success_message = gettext("The project was handed over to %(name)s.") % {
            "name": handover.to_owner.name
        }
        return handover.project


urlpatterns = [
    path("projects/", ProjectListView.as_view(), name="project-list"),
    path("projects/new/", ProjectCreateView.as_view(), name="project-create"),
    path("projects/<int:pk>/", ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:pk>/edit/", ProjectUpdateView.as_view(), name="project-update"),
    path("projects/<int:pk>/status/", ProjectStatusView.as_view(), name="project-status"),
    path("projects/<int:pk>/handover/", ProjectHandoverView.as_view(), name="project-handover"),
]
