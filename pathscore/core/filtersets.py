import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from pathscore.core.choices import SecurityEventKind
from pathscore.core.models import SecurityEvent


class SecurityEventFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SecurityEventKind.choices, label=_("Event"))
    username = django_filters.CharFilter(method="filter_person", label=_("User name"))
    since = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From")
    )
    until = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("To")
    )

    class Meta:
        model = SecurityEvent
        fields = ["kind", "username", "since", "until"]

    def filter_person(self, queryset, name, value):
        # The account an event is about, or the person who acted (an export, a refusal,
        # a settings change), by user name or by name.
        return queryset.filter(
            Q(username__icontains=value)
            | Q(actor__username__icontains=value)
            | Q(actor__name__icontains=value)
        )


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose object choices (people, departments, customers…) are narrowed to
    what the requesting user may see, so a filter dropdown never leaks another team."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        for declared in self.filters.values():
            queryset = getattr(declared, "queryset", None)
            if queryset is not None and hasattr(queryset, "visible_to"):
                declared.queryset = queryset.filter(
                    pk__in=queryset.model.objects.visible_to(user).values("pk")
                )


@extend_schema_field(OpenApiTypes.INT)
class DepartmentSubtreeFilter(django_filters.ModelChoiceFilter):
    """A department filter covering the department's whole subtree, through the person
    field given (``owner``, ``author``…)."""

    def __init__(self, *args, person_field="owner", **kwargs):
        self.person_field = person_field
        kwargs.setdefault("label", _("Department"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.person_field}__department__path__startswith": value.path})
