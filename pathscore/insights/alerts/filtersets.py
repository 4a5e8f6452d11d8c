"""Filters of the alert and intervention lists (the same FilterSet serves the export)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.filtersets import DepartmentSubtreeFilter, ScopedFilterSet
from pathscore.core.models import Option
from pathscore.insights.choices import AlertKind, AlertState
from pathscore.insights.models import Alert, Intervention
from pathscore.insights.options import INTERVENTION_KIND
from pathscore.org.models import Department, User


def _salespeople():
    return User.objects.filter(role_grants__role=Role.SALESPERSON).distinct().order_by("name", "pk")


def _departments():
    return Department.objects.filter(is_active=True).order_by("path")


class AlertFilterSet(ScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, label=_("Kind"))
    state = django_filters.ChoiceFilter(choices=AlertState.choices, label=_("State"))
    person = django_filters.ModelChoiceFilter(queryset=_salespeople(), label=_("Salesperson"))
    department = DepartmentSubtreeFilter(queryset=_departments(), person_field="person")

    class Meta:
        model = Alert
        fields = ["kind", "state", "person", "department"]


class InterventionFilterSet(ScopedFilterSet):
    kind = django_filters.ModelChoiceFilter(
        queryset=Option.objects.filter(kind=INTERVENTION_KIND).order_by("sort_order", "pk"),
        label=_("What was done"),
    )
    alert_kind = django_filters.ChoiceFilter(
        field_name="alert__kind", choices=AlertKind.choices, label=_("Alert")
    )
    person = django_filters.ModelChoiceFilter(
        field_name="alert__person", queryset=_salespeople(), label=_("Salesperson")
    )
    department = DepartmentSubtreeFilter(queryset=_departments(), person_field="alert__person")
    recorded_by = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("name", "pk"), label=_("Recorded by")
    )
    since = django_filters.DateFilter(field_name="done_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="done_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Intervention
        fields = ["kind", "alert_kind", "person", "department", "recorded_by", "since", "until"]
