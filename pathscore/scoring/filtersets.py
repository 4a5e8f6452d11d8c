"""Filtersets of the evaluation: one section per part, each appended by its author."""


# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------

import django_filters as _django_filters  # noqa: E402
from django.db.models import Q as _Q  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from pathscore.core.filtersets import DepartmentSubtreeFilter as _DepartmentSubtreeFilter  # noqa: E402
from pathscore.core.filtersets import ScopedFilterSet as _ScopedFilterSet  # noqa: E402
from pathscore.org.models import Department as _Department  # noqa: E402
from pathscore.org.models import User as _User  # noqa: E402
from pathscore.scoring.choices import RatingSource as _RatingSource  # noqa: E402
from pathscore.scoring.choices import ScorecardStatus as _ScorecardStatus  # noqa: E402
from pathscore.scoring.models import Commendation as _Commendation  # noqa: E402
from pathscore.scoring.models import CustomerRating as _CustomerRating  # noqa: E402
from pathscore.scoring.models import QualityRating as _QualityRating  # noqa: E402
from pathscore.scoring.models import Scorecard as _Scorecard  # noqa: E402
from pathscore.scoring.models import TrainingCourse as _TrainingCourse  # noqa: E402
from pathscore.scoring.models import TrainingSession as _TrainingSession  # noqa: E402


class ScorecardFilterSet(_ScopedFilterSet):
    q = _django_filters.CharFilter(method="search", label=_("Search"))
    status = _django_filters.ChoiceFilter(choices=_ScorecardStatus.choices, label=_("Status"))

    class Meta:
        model = _Scorecard
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(_Q(name__icontains=value) | _Q(code__icontains=value))


class _PersonRecordFilterSet(_ScopedFilterSet):
    person = _django_filters.ModelChoiceFilter(queryset=_User.objects.all(), label=_("Person"))
    department = _DepartmentSubtreeFilter(queryset=_Department.objects.all(), person_field="person")


class CustomerRatingFilterSet(_PersonRecordFilterSet):
    source = _django_filters.ChoiceFilter(choices=_RatingSource.choices, label=_("Source"))
    since = _django_filters.DateFilter(field_name="rated_on", lookup_expr="gte", label=_("From"))
    until = _django_filters.DateFilter(field_name="rated_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = _CustomerRating
        fields = ["person", "department", "source", "since", "until"]


class QualityRatingFilterSet(_PersonRecordFilterSet):
    since = _django_filters.DateFilter(field_name="rated_on", lookup_expr="gte", label=_("From"))
    until = _django_filters.DateFilter(field_name="rated_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = _QualityRating
        fields = ["person", "department", "since", "until"]


class TrainingSessionFilterSet(_ScopedFilterSet):
    course = _django_filters.ModelChoiceFilter(
        queryset=_TrainingCourse.objects.all(), label=_("Course")
    )
    since = _django_filters.DateFilter(field_name="held_on", lookup_expr="gte", label=_("From"))
    until = _django_filters.DateFilter(field_name="held_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = _TrainingSession
        fields = ["course", "since", "until"]


class CommendationFilterSet(_PersonRecordFilterSet):
    since = _django_filters.DateFilter(field_name="given_on", lookup_expr="gte", label=_("From"))
    until = _django_filters.DateFilter(field_name="given_on", lookup_expr="lte", label=_("To"))

    class Meta:
        model = _Commendation
        fields = ["person", "department", "since", "until"]
