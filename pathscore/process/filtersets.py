"""FilterSets of the process engine, one section per area: the HTML list, its export and the
API filter the same way."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from pathscore.core.filtersets import ScopedFilterSet
from pathscore.core.models import Option
from pathscore.crm.models import Project
from pathscore.org.models import Department
from pathscore.process.bundled import TASK_KIND
from pathscore.process.choices import OPEN_STATES, NodeState, TaskState
from pathscore.process.models import HandoffTask, NodeInstance

# --- Hand-off tasks ------------------------------------------------------------------------

#: The state filter's "open or acknowledged" choice.
UNFINISHED = "unfinished"


class TaskFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.ChoiceFilter(
        choices=[(UNFINISHED, _("Not done")), *TaskState.choices],
        method="filter_state",
        label=_("State"),
    )
    kind = django_filters.ModelChoiceFilter(
        queryset=Option.objects.filter(kind=TASK_KIND).order_by("sort_order", "pk"),
        label=_("Kind"),
    )
    team = django_filters.ModelChoiceFilter(
        field_name="assignee_department",
        queryset=Department.objects.filter(is_active=True).order_by("path"),
        label=_("Team"),
    )
    #: Set by links from a project's Tasks tab (and by API clients); not shown as a menu.
    project = django_filters.ModelChoiceFilter(
        queryset=Project.objects.all(), label=_("Project"), widget=forms.HiddenInput
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"))

    class Meta:
        model = HandoffTask
        fields = ["q", "state", "kind", "team", "project", "overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any team may receive tasks: the names of the organisation's teams are no secret,
        # and a manager filters by the technical team they do not manage.
        self.filters["team"].queryset = Department.objects.filter(is_active=True).order_by("path")

    def filter_state(self, queryset, name, value):
        if value == UNFINISHED:
            return queryset.exclude(state=TaskState.DONE)
        return queryset.filter(state=value)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(project__name__icontains=value)
            | Q(project__customer__name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(due_date__lt=timezone.localdate()) & ~Q(state=TaskState.DONE)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


# --- Nodes ---------------------------------------------------------------------------------


class NodeInstanceFilterSet(django_filters.FilterSet):
    """Node instances by project, state and whether they are overdue (open and past due)."""

    # A project's id: a whole number (the schema says so, and the API refuses others).
    project = extend_schema_field(OpenApiTypes.INT)(
        django_filters.NumberFilter(field_name="project_id", label=_("Project"))
    )
    state = django_filters.MultipleChoiceFilter(choices=NodeState.choices, label=_("State"))
    code = django_filters.CharFilter(field_name="definition__code", label=_("Node code"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"))

    class Meta:
        model = NodeInstance
        fields = ["project", "state", "code", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(state__in=OPEN_STATES, planned_due__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
