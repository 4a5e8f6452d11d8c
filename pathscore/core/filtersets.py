import django_filters
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import SecurityEventKind
from pathscore.core.models import SecurityEvent


class SecurityEventFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SecurityEventKind.choices, label=_("Event"))
    username = django_filters.CharFilter(lookup_expr="icontains", label=_("User name"))
    since = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From")
    )
    until = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label=_("To"))

    class Meta:
        model = SecurityEvent
        fields = ["kind", "username", "since", "until"]
