import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.org.models import Department, User


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.none(), method="in_department", label=_("Department")
    )
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="role_grants__role", label=_("Role"), distinct=True
    )
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["q", "department", "role", "is_active"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            self.filters["department"].queryset = Department.objects.visible_to(request.user)

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(username__icontains=value)
            | Q(employee_no__icontains=value)
            | Q(mobile__icontains=value)
            | Q(title__icontains=value)
        )

    def in_department(self, queryset, name, value):
        # A department filter covers its whole subtree, as a manager would expect.
        return queryset.filter(department__path__startswith=value.path)


class DepartmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Department
        fields = ["q", "kind", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
