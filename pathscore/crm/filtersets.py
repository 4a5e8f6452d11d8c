"""One FilterSet per list: the HTML list, its export and the API filter the same way."""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pathscore.core.filtersets import DepartmentSubtreeFilter, ScopedFilterSet
from pathscore.core.models import Option
from pathscore.crm import options
from pathscore.crm.choices import DecisionRole, DocumentKind, ProjectStatus
from pathscore.crm.models import Contact, Customer, Document, FollowUp, Project
from pathscore.org.models import Department, User


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _options(kind):
    return Option.objects.filter(kind=kind).order_by("sort_order", "pk")


class CustomerFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    customer_type = django_filters.ModelChoiceFilter(
        queryset=_options(options.CUSTOMER_TYPE), label=_("Customer type")
    )
    region = django_filters.CharFilter(lookup_expr="icontains", label=_("Region"))
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Account owner"))
    department = DepartmentSubtreeFilter(queryset=Department.objects.all())

    class Meta:
        model = Customer
        fields = ["q", "customer_type", "region", "owner", "department"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(credit_code__icontains=value) | Q(address__icontains=value)
        )


class ContactFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.all(), label=_("Customer")
    )
    decision_role = django_filters.ChoiceFilter(
        choices=DecisionRole.choices, label=_("Role in the decision")
    )

    class Meta:
        model = Contact
        fields = ["q", "customer", "decision_role"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(mobile__icontains=value) | Q(title__icontains=value)
        )


class ProjectFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        choices=ProjectStatus.choices, label=_("Status"), widget=forms.SelectMultiple
    )
    category = django_filters.ModelChoiceFilter(
        queryset=_options(options.PROJECT_CATEGORY), label=_("Category")
    )
    customer_type = django_filters.ModelChoiceFilter(
        field_name="customer__customer_type",
        queryset=_options(options.CUSTOMER_TYPE),
        label=_("Customer type"),
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.all(), label=_("Customer")
    )
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Owner"))
    department = DepartmentSubtreeFilter(queryset=Department.objects.all())
    expected_from = django_filters.DateFilter(
        field_name="expected_sign_date", lookup_expr="gte", label=_("Expected signing from")
    )
    expected_to = django_filters.DateFilter(
        field_name="expected_sign_date", lookup_expr="lte", label=_("Expected signing to")
    )
    external_code = django_filters.CharFilter(label=_("External code"))

    class Meta:
        model = Project
        fields = ["q", "status", "category", "customer_type", "customer", "owner", "department"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(customer__name__icontains=value))


class FollowUpFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    mode = django_filters.ModelChoiceFilter(
        queryset=_options(options.FOLLOWUP_MODE), label=_("Mode")
    )
    customer = django_filters.ModelChoiceFilter(
        queryset=Customer.objects.all(), label=_("Customer")
    )
    project = django_filters.ModelChoiceFilter(queryset=Project.objects.all(), label=_("Project"))
    author = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Recorded by"))
    department = DepartmentSubtreeFilter(queryset=Department.objects.all(), person_field="author")
    customer_type = django_filters.ModelChoiceFilter(
        field_name="customer__customer_type",
        queryset=_options(options.CUSTOMER_TYPE),
        label=_("Customer type"),
    )
    since = django_filters.DateFilter(method="occurred_since", label=_("From"))
    until = django_filters.DateFilter(method="occurred_until", label=_("To"))

    class Meta:
        model = FollowUp
        fields = ["q", "mode", "customer", "project", "author", "department", "since", "until"]

    # Local days as a range of stored timestamps: the time index serves it, where a
    # ``__date`` lookup converts every row (a Python function per row on SQLite).
    def occurred_since(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_local_midnight(value))

    def occurred_until(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_local_midnight(value + datetime.timedelta(days=1)))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(content__icontains=value)
            | Q(next_action__icontains=value)
            | Q(customer__name__icontains=value)
        )

    def is_valid(self):
        valid = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        if valid and data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.form.add_error("until", _("The end date is before the start date."))
            return False
        return valid


class DocumentFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, label=_("Kind"))
    project = django_filters.ModelChoiceFilter(queryset=Project.objects.all(), label=_("Project"))

    class Meta:
        model = Document
        fields = ["q", "kind", "project"]
