"""Views of the process engine: hand-off tasks and their response clocks; the automation
rules that create them and the delay categories owners choose from.

* the task list (the viewer's own team first, filters, overdue marked, export), a task's
  page with its response clock (created → acknowledged → done), and the acknowledge and
  complete buttons for the assigned team;
* the project page's "Tasks" tab: the project's tasks and a form to hand work off;
* response times per team and task kind, and how fast salespeople relay customer feedback;
* for system and HR admins: automation rules and delay categories.

Every write goes through :mod:`pathscore.process.services`. A task someone else moved on
meanwhile is answered with HTTP 409 naming its state.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, FormView, TemplateView, UpdateView

from pathscore.core.choices import Role
from pathscore.core.forms import style_form
from pathscore.core.history import history_entries
from pathscore.core.views import PermissionRequiredMixin, ScopedListView, ServiceFormMixin
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import Project
from pathscore.crm.views.projects import register_project_section
from pathscore.org.models import Department
from pathscore.process import selectors, services
from pathscore.process.choices import TaskState
from pathscore.process.filtersets import TaskFilterSet
from pathscore.process.forms import (
    AutomationRuleForm,
    DelayCategoryForm,
    TaskCompleteForm,
    TaskForm,
    team_members,
)
from pathscore.process.models import AutomationRule, DelayCategory, HandoffTask
from pathscore.process.tables import (
    AutomationRuleTable,
    DelayCategoryTable,
    TaskTable,
    format_duration,
    task_is_overdue,
    task_url,
)

#: How many days ahead a new task is due unless the owner picks another date.
DEFAULT_DUE_DAYS = 5


def _clock(task: HandoffTask, now=None) -> list[dict]:
    """The response clock: created → acknowledged → done, each step with how long after
    creation it came (or, for the step being waited on, how long it has been waiting)."""
    now = now or timezone.now()
    steps = [
        {
            "key": "created",
            "label": _("Created"),
            "at": task.created_at,
            "by": task.created_by,
            "elapsed": None,
            "reached": True,
        }
    ]
    waiting_from = task.created_at
    for key, label, at, by in (
        ("acknowledged", _("Acknowledged"), task.acknowledged_at, task.acknowledged_by),
        ("done", _("Done"), task.done_at, task.done_by),
    ):
        if at is not None:
            steps.append(
                {
                    "key": key,
                    "label": label,
                    "at": at,
                    "by": by,
                    "elapsed": format_duration(at - task.created_at),
                    "reached": True,
                }
            )
            waiting_from = at
        else:
            steps.append(
                {
                    "key": key,
                    "label": label,
                    "at": None,
                    "by": None,
                    "elapsed": None,
                    "reached": False,
                    "waiting": format_duration(now - waiting_from)
                    if steps[-1]["reached"]
                    else None,
                }
            )
    return steps


def _relay(task: HandoffTask) -> str | None:
    """How long after the customer's feedback the task existed."""
    if task.feedback_at is None:
        return None
    return format_duration(task.created_at - task.feedback_at)


def _safe_next(request, fallback: str) -> str:
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


# --- The task list and response times ------------------------------------------------------


class TaskListView(ScopedListView):
    """Every task the viewer may see, their own team's first; overdue ones marked."""

    model = HandoffTask
    table_class = TaskTable
    filterset_class = TaskFilterSet
    template_name = "process/tasks/task_list.html"
    title = _("Hand-off tasks")
    export_name = "hand-off-tasks"

    def scoped_queryset(self):
        return selectors.tasks_for_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        wanted = self.request.GET.get("project", "")
        if wanted.isdigit():
            context["for_project"] = (
                Project.objects.visible_to(self.request.user).filter(pk=wanted).first()
            )
        return context


class ResponseTimesView(LoginRequiredMixin, TemplateView):
    """The response clock per team and task kind, and the feedback relay time per
    salesperson, over the tasks the viewer may see."""

    template_name = "process/tasks/response_times.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tasks = HandoffTask.objects.visible_to(self.request.user)
        teams = selectors.response_times(tasks, today=timezone.localdate())
        for row in [*teams, *(kind for team in teams for kind in team["kinds"])]:
            row["to_acknowledge"] = format_duration(row["avg_to_acknowledge"])
            row["to_done"] = format_duration(row["avg_to_done"])
        relays = selectors.relay_times(tasks)
        for row in relays:
            row["average"] = format_duration(row["avg_relay"])
            row["longest"] = format_duration(row["max_relay"])
        context.update(title=_("Response times"), teams=teams, relays=relays)
        return context


# --- A task's page and its actions ---------------------------------------------------------


def render_task_page(request, task: HandoffTask, *, status=200, alert="", complete_form=None):
    user = request.user
    is_member = services.task_member(task, user)
    project_visible = Project.objects.visible_to(user).filter(pk=task.project_id).exists()
    context = {
        "task": task,
        "title": task.title,
        "clock": _clock(task),
        "relay": _relay(task),
        "is_overdue": task_is_overdue(task),
        "can_acknowledge": is_member and task.state == TaskState.OPEN,
        "can_complete": is_member and task.state != TaskState.DONE,
        "complete_form": style_form(complete_form or TaskCompleteForm()),
        "project_visible": project_visible,
        "history": history_entries(task),
        "alert": alert,
    }
    return render(request, "process/tasks/task_detail.html", context, status=status)


class TaskDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        task = get_object_or_404(selectors.task_for_page(request.user), pk=pk)
        return render_task_page(request, task)


class _InvalidForm(Exception):
    """A posted action form did not validate: the page is shown again with it."""

    def __init__(self, form):
        super().__init__("invalid form")
        self.form = form


class TaskActionView(LoginRequiredMixin, View):
    """Acknowledge or complete a task: only its assignee or the assigned team (403 for
    anyone else who can see it; 404 for those who cannot)."""

    def perform(self, task: HandoffTask, request) -> str:
        raise NotImplementedError

    def post(self, request, pk):
        task = get_object_or_404(selectors.task_for_page(request.user), pk=pk)
        if not services.task_member(task, request.user):
            raise PermissionDenied
        try:
            message = self.perform(task, request)
        except ValidationError as error:
            if getattr(error, "code", "") != "conflict":
                raise
            fresh = get_object_or_404(selectors.task_for_page(request.user), pk=pk)
            return render_task_page(request, fresh, status=409, alert=" ".join(error.messages))
        except _InvalidForm as invalid:
            return render_task_page(request, task, status=400, complete_form=invalid.form)
        messages.success(request, message)
        return redirect(_safe_next(request, task_url(task)))


class TaskAcknowledgeView(TaskActionView):
    def perform(self, task, request):
        services.task_acknowledge(task=task, user=request.user)
        return gettext("You took the task: the team's response time is recorded.")


class TaskCompleteView(TaskActionView):
    def perform(self, task, request):
        form = TaskCompleteForm(request.POST)
        if not form.is_valid():
            raise _InvalidForm(form)
        services.task_complete(task=task, user=request.user, result=form.cleaned_data["result"])
        return gettext("The task is done.")


# --- Handing work off from a project -------------------------------------------------------


def _default_team():
    """The team most tasks go to: the (first) department of the technical support staff."""
    return (
        Department.objects.filter(
            is_active=True,
            members__is_active=True,
            members__role_grants__role=Role.TECHNICAL_SUPPORT,
        )
        .order_by("path")
        .first()
    )


def _task_form(project, data=None):
    team = _default_team()
    form = TaskForm(
        data,
        project=project,
        people_url=reverse("process:task-people"),
        initial_team=team,
        initial={
            "assignee_department": team,
            "due_date": timezone.localdate() + dt.timedelta(days=DEFAULT_DUE_DAYS),
        },
    )
    return style_form(form)


def _project_tasks(*, project, request):
    """The Tasks tab of the project page: the project's tasks and the hand-off form."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    tasks = list(selectors.tasks_for_project(project, user))
    for task in tasks:
        task.is_overdue = task_is_overdue(task, today)
        task.to_acknowledge = (
            format_duration(task.acknowledged_at - task.created_at)
            if task.acknowledged_at
            else None
        )
        task.to_done = format_duration(task.done_at - task.created_at) if task.done_at else None
        task.waiting = (
            format_duration(now - task.created_at) if task.state == TaskState.OPEN else None
        )
    can_create = project.status == ProjectStatus.ACTIVE and services.may_hand_off(project, user)
    open_count = sum(1 for task in tasks if task.state != TaskState.DONE)
    return {
        "tasks": tasks,
        "task_form": _task_form(project) if can_create else None,
        "open_count": open_count,
        "badge": open_count or None,
    }


register_project_section(
    "tasks",
    pgettext_lazy("hand-off", "Tasks"),
    "process/tasks/_project_tasks.html",
    _project_tasks,
    45,
    icon="bi-people-fill",
)


class TaskCreateView(ServiceFormMixin, LoginRequiredMixin, FormView):
    """Hand work to another team from a project (its owner or the owner's manager)."""

    template_name = "process/tasks/task_form.html"
    success_message = _("The task was handed to the team.")

    @cached_property
    def project(self) -> Project:
        return get_object_or_404(
            Project.objects.visible_to(self.request.user).select_related(
                "customer", "owner__department"
            ),
            pk=self.kwargs["project_pk"],
        )

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.may_hand_off(self.project, request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return _task_form(
            self.project, self.request.POST if self.request.method == "POST" else None
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "project": self.project}

    def perform(self, form):
        return services.task_create(
            project=self.project, created_by=self.request.user, **form.service_arguments()
        )

    def get_success_url(self):
        return f"{self.project.get_absolute_url()}?tab=tasks"


#: Who picks a person of a team: those who hand work off, and the admins writing rules.
PEOPLE_PICKER_ROLES = frozenset(
    {Role.SALESPERSON, Role.SALES_MANAGER, Role.HR_ADMIN, Role.SYSTEM_ADMIN}
)


class TaskPeopleView(PermissionRequiredMixin, View):
    """The <option>s of a team's active people, swapped into a person menu by htmx when
    the team changes."""

    def allowed(self, scope):
        return bool(scope.roles & PEOPLE_PICKER_ROLES) or scope.is_manager

    def get(self, request):
        team = request.GET.get("assignee_department", "")
        people = team_members(int(team)) if team.isdigit() else []
        return render(request, "process/tasks/_people_options.html", {"people": people})


# --- Administration: automation rules and delay categories ---------------------------------


class ProcessAdminMixin(PermissionRequiredMixin):
    """System admins and HR admins configure automation and delay categories."""

    def allowed(self, scope):
        return scope.manages_org


class RuleListView(ProcessAdminMixin, ScopedListView):
    model = AutomationRule
    table_class = AutomationRuleTable
    template_name = "process/rules/admin_list.html"
    title = _("Automation rules")
    export_name = "automation-rules"
    create_label = _("New rule")
    paginate_by = 100
    admin_tab = "rules"

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .select_related("task_kind", "assignee_department", "assignee")
            .order_by("-is_active", "event", "name")
        )

    def get_create_url(self):
        return reverse("process:rule-create")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.model is AutomationRule:
            names = dict(selectors.published_node_codes())
            for rule in context["object_list"]:
                rule.node_name = names.get(rule.node_code, "")
        return {
            **context,
            "admin_tab": self.admin_tab,
            "intro": _(
                "When an event happens, a rule creates a hand-off task for a team (due in "
                "so many days) or notifies someone. Each rule answers each event once."
            ),
        }


class RuleFormMixin(ProcessAdminMixin, ServiceFormMixin):
    model = AutomationRule
    form_class = AutomationRuleForm
    template_name = "process/rules/rule_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "people_url": reverse("process:task-people")}

    def get_success_url(self):
        return reverse("process:rule-list")


class RuleCreateView(RuleFormMixin, CreateView):
    success_message = _("The rule was added.")

    def perform(self, form):
        return services.rule_create(actor=self.request.user, **form.service_arguments())


class RuleUpdateView(RuleFormMixin, UpdateView):
    success_message = _("Changes saved.")

    def perform(self, form):
        # The form copied the typed values onto its instance; the service works on the
        # stored row so the history records the real before → after.
        rule = AutomationRule.objects.get(pk=self.object.pk)
        return services.rule_update(rule=rule, actor=self.request.user, **form.service_arguments())


class RuleActiveView(ProcessAdminMixin, View):
    """Switch a rule off or on again."""

    def post(self, request, pk):
        rule = get_object_or_404(AutomationRule.objects.visible_to(request.user), pk=pk)
        active = request.POST.get("active") == "1"
        services.rule_set_active(rule=rule, actor=request.user, active=active)
        if active:
            messages.success(request, gettext("The rule “%(rule)s” is on again.") % {"rule": rule})
        else:
            messages.success(
                request,
                gettext("The rule “%(rule)s” is off: it no longer reacts to events.")
                % {"rule": rule},
            )
        return redirect(reverse("process:rule-update", args=[rule.pk]))


class DelayCategoryListView(RuleListView):
    model = DelayCategory
    table_class = DelayCategoryTable
    title = _("Delay categories")
    export_name = "delay-categories"
    create_label = _("New category")
    admin_tab = "delay-categories"

    def scoped_queryset(self):
        return DelayCategory.objects.visible_to(self.request.user).order_by(
            "-is_active", "sort_order", "pk"
        )

    def get_create_url(self):
        return reverse("process:delay-category-create")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "intro": _(
                "Owners pick a category when they explain why a node is late. A manager may "
                "waive deductions for customer and external reasons; internal and "
                "salesperson reasons count in full."
            ),
        }


class DelayCategoryFormMixin(ProcessAdminMixin, ServiceFormMixin):
    model = DelayCategory
    form_class = DelayCategoryForm
    template_name = "process/rules/category_form.html"

    def get_success_url(self):
        return reverse("process:delay-category-list")


class DelayCategoryCreateView(DelayCategoryFormMixin, CreateView):
    success_message = _("The category was added.")

    def perform(self, form):
        return services.delay_category_create(actor=self.request.user, **form.service_arguments())


class DelayCategoryUpdateView(DelayCategoryFormMixin, UpdateView):
    success_message = _("Changes saved.")

    def perform(self, form):
        category = DelayCategory.objects.get(pk=self.object.pk)
        return services.delay_category_update(
            category=category, actor=self.request.user, **form.service_arguments()
        )


urlpatterns = [
    path("tasks/", TaskListView.as_view(), name="task-list"),
    path("tasks/response-times/", ResponseTimesView.as_view(), name="task-response-times"),
    path("tasks/people/", TaskPeopleView.as_view(), name="task-people"),
    path("tasks/<int:pk>/", TaskDetailView.as_view(), name="task-detail"),
    path("tasks/<int:pk>/acknowledge/", TaskAcknowledgeView.as_view(), name="task-acknowledge"),
    path("tasks/<int:pk>/complete/", TaskCompleteView.as_view(), name="task-complete"),
    path("projects/<int:project_pk>/tasks/new/", TaskCreateView.as_view(), name="task-create"),
    path("rules/", RuleListView.as_view(), name="rule-list"),
    path("rules/new/", RuleCreateView.as_view(), name="rule-create"),
    path("rules/<int:pk>/edit/", RuleUpdateView.as_view(), name="rule-update"),
    path("rules/<int:pk>/active/", RuleActiveView.as_view(), name="rule-active"),
    path("delay-categories/", DelayCategoryListView.as_view(), name="delay-category-list"),
    path(
        "delay-categories/new/",
        DelayCategoryCreateView.as_view(),
        name="delay-category-create",
    ),
    path(
        "delay-categories/<int:pk>/edit/",
        DelayCategoryUpdateView.as_view(),
        name="delay-category-update",
    ),
]
