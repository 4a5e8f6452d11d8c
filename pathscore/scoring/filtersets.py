"""Filtersets of the evaluation: one section per part, each appended by its author."""

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pathscore.core.filtersets import DepartmentSubtreeFilter, ScopedFilterSet
from pathscore.org.models import Department, User
from pathscore.scoring.choices import (
    AppealState,
    PeriodKind,
    PeriodState,
    RatingSource,
    ScorecardStatus,
)
from pathscore.scoring.models import (
    Appeal,
    Commendation,
    CustomerRating,
    Period,
    QualityRating,
    Result,
    Scorecard,
    TrainingCourse,
    TrainingSession,
)

# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------


class ScorecardFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=ScorecardStatus.choices, label=_("Status"))

    class Meta:
        model = Scorecard
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class _PersonRecordFilterSet(ScopedFilterSet):
    person = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Person"))
    department = DepartmentSubtreeFilter(queryset=Department.objects.all(), person_field="person")


class CustomerRatingFilterSet(_PersonRecordFilterSet):
    source = django_filters.ChoiceFilter(choices=RatingSource.choices, label=_("Source"))
    since = django_filters.DateFilter(field_name="rated_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="rated_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = CustomerRating
        fields = ["person", "department", "source", "since", "until"]


class QualityRatingFilterSet(_PersonRecordFilterSet):
    since = django_filters.DateFilter(field_name="rated_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="rated_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = QualityRating
        fields = ["person", "department", "since", "until"]


class TrainingSessionFilterSet(ScopedFilterSet):
    course = django_filters.ModelChoiceFilter(
        queryset=TrainingCourse.objects.all(), label=_("Course")
    )
    since = django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = TrainingSession
        fields = ["course", "since", "until"]


class CommendationFilterSet(_PersonRecordFilterSet):
    since = django_filters.DateFilter(field_name="given_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="given_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = Commendation
        fields = ["person", "department", "since", "until"]


# --- Periods, results and appeals ------------------------------------------------------------


class PeriodFilterSet(ScopedFilterSet):
    state = django_filters.ChoiceFilter(choices=PeriodState.choices, label=_("State"))
    kind = django_filters.ChoiceFilter(choices=PeriodKind.choices, label=_("Kind"))

    class Meta:
        model = Period
        fields = ["state", "kind"]


class ResultFilterSet(ScopedFilterSet):
    period = django_filters.ModelChoiceFilter(queryset=Period.objects.all(), label=_("Period"))
    person = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Person"))
    #: The team the person belonged to when the period closed, with its subtree.
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), method="in_department", label=_("Department")
    )
    version = django_filters.NumberFilter(label=_("Version"))
    current = django_filters.BooleanFilter(method="current_version", label=_("Current version"))

    class Meta:
        model = Result
        fields = ["period", "person", "department", "version", "current"]

    def in_department(self, queryset, name, value):
        return queryset.filter(department__path__startswith=value.path)

    def current_version(self, queryset, name, value):
        current = Q(version=F("period__version"))
        return queryset.filter(current) if value else queryset.exclude(current)


class AppealFilterSet(ScopedFilterSet):
    state = django_filters.ChoiceFilter(choices=AppealState.choices, label=_("State"))
    period = django_filters.ModelChoiceFilter(
        field_name="result__period", queryset=Period.objects.all(), label=_("Period")
    )
    person = django_filters.ModelChoiceFilter(
        field_name="result__person", queryset=User.objects.all(), label=_("Person")
    )

    class Meta:
        model = Appeal
        fields = ["state", "period", "person"]
