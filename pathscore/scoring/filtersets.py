"""Filtersets of the evaluation: one section per part, each appended by its author."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pathscore.core.filtersets import DepartmentSubtreeFilter, ScopedFilterSet
from pathscore.org.models import Department, User
from pathscore.scoring.choices import RatingSource, ScorecardStatus
from pathscore.scoring.models import (
    Commendation,
    CustomerRating,
    QualityRating,
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
