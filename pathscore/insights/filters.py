"""The dashboard's filters: a period and a slice of the company, all carried in the URL.

``DashboardFilterForm`` reads the query string; a valid form becomes a :class:`Slice`, the
one object every selector, drill-down and report takes. The period is this month, this
quarter or a from–to range; the slice narrows by department (its whole subtree),
salesperson, customer type, project category and current node. Department and salesperson
choices are only those the viewer may see, so an out-of-scope department or person is an
unknown value like any other: the page says why it shows nothing instead of failing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from urllib.parse import urlencode

from django import forms
from django.db.models import Min, Q
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.models import Option
from pathscore.core.scoping import scope_for, subtree_q
from pathscore.crm import options
from pathscore.org.models import Department, User
from pathscore.process.models import NodeDefinition

PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"
PERIOD_RANGE = "range"

#: A range longer than this is refused: a weekly heat map of years helps nobody.
MAX_RANGE_DAYS = 731


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def quarter_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = today.replace(month=first_month, day=1)
    following = (start + dt.timedelta(days=95)).replace(day=1)
    return start, following - dt.timedelta(days=1)


@dataclass(frozen=True)
class Slice:
    """What a dashboard or drill-down shows: whose records (``viewer``), which dates and
    which part of the company. Dates are local days, both ends included."""

    viewer: object
    start: dt.date
    end: dt.date
    today: dt.date
    department: Department | None = None
    customer_type: Option | None = None
    category: Option | None = None
    salesperson: User | None = None
    #: The code of a node (matched across template versions): projects currently there.
    node: str | None = None
    node_name: str = field(default="", compare=False)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Slice:
        """The period of the same length just before this one, same slice."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

    @cached_property
    def team_ids(self) -> list[int] | None:
        """The viewer's team when they see only part of the company (a manager): their
        own id and those of everyone in the department subtrees they head, whatever the
        role and whether or not the person still works here. None for HR and executives,
        who see the company. One query, asked once per slice: a list of ids lets each
        database drive its reads from the person's index (PostgreSQL does not from a
        subquery here)."""
        scope = scope_for(self.viewer)
        if scope.is_anonymous or scope.sees_all_records:
            return None
        people = User.objects.filter(
            Q(pk=scope.user_id) | subtree_q("department__path", scope.managed_paths)
        )
        return sorted(people.values_list("pk", flat=True))

    def person_q(self, person: str, path: str | None = None) -> Q:
        """The department and salesperson as a condition on the person in ``person``
        (``owner``, ``author``, or an annotation such as a node's ``doer``, whose
        department path is then the annotation ``path``)."""
        q = Q()
        if self.department is not None:
            path = path or f"{person}__department__path"
            q &= Q(**{f"{path}__startswith": self.department.path})
        if self.salesperson is not None:
            q &= Q(**{person: self.salesperson.pk})
        return q

    def record_q(self, prefix: str = "") -> Q:
        """Customer type, project category and current node as a condition on projects
        reached through ``prefix`` (``project__``)."""
        q = Q()
        if self.customer_type is not None:
            q &= Q(**{f"{prefix}customer__customer_type": self.customer_type})
        if self.category is not None:
            q &= Q(**{f"{prefix}category": self.category})
        if self.node:
            q &= Q(**{f"{prefix}process__current_node__definition__code": self.node})
        return q

    def project_q(self, prefix: str = "") -> Q:
        """The slice as a condition on projects, reached through ``prefix`` (``project__``):
        the department and salesperson are the project owner's."""
        return self.person_q(f"{prefix}owner") & self.record_q(prefix)

    def params(self) -> dict[str, str]:
        """The slice as query parameters with explicit dates, so a drill-down link shows
        the same records tomorrow as today."""
        params = {
            "period": PERIOD_RANGE,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }
        if self.department is not None:
            params["department"] = str(self.department.pk)
        if self.customer_type is not None:
            params["customer_type"] = str(self.customer_type.pk)
        if self.category is not None:
            params["category"] = str(self.category.pk)
        if self.salesperson is not None:
            params["salesperson"] = str(self.salesperson.pk)
        if self.node:
            params["node"] = self.node
        return params

    @cached_property
    def _base_query(self) -> tuple[frozenset[str], str]:
        params = self.params()
        return frozenset(params), urlencode(params)

    def query(self, **extra) -> str:
        """``params()`` plus ``extra`` as a query string (``None`` values left out)."""
        extra = {k: v for k, v in extra.items() if v is not None}
        keys, base = self._base_query
        if not extra:
            return base
        if keys.isdisjoint(extra):
            # A chart builds one link per cell (a thousand people × thirteen weeks on the
            # company's heat map): encode the slice once, only the cell's own parameters each time.
            return f"{base}&{urlencode(extra)}"
        return urlencode({**self.params(), **extra})


def _options(kind: str):
    return Option.objects.filter(kind=kind).order_by("sort_order", "pk")


def departments_for(viewer):
    """Departments the viewer may filter by: the company for HR and executives, the
    managed subtrees (and their own team) for a manager."""
    scope = scope_for(viewer)
    departments = Department.objects.filter(is_active=True).order_by("path")
    if scope.sees_all_records:
        return departments
    return departments.filter(pk__in=Department.objects.visible_to(viewer).values("pk"))


def salespeople_for(viewer):
    """Salespeople the viewer may filter by (those who left included: their records stay
    in past periods), by name."""
    return (
        User.objects.visible_to(viewer)
        .filter(role_grants__role=Role.SALESPERSON)
        .order_by("-is_active", "name", "pk")
        # A menu of names (a thousand for an executive): only what the menu and a chosen
        # person's filter read (the id and the name), half the cost of whole users.
        .only("pk", "name", "username", "is_active")
    )


def node_choices() -> list[tuple[str, str]]:
    """Every node code of every template version, by its place in the process: a project
    on a retired version still has a current node to filter by. One query."""
    rows = (
        NodeDefinition.objects.order_by()
        .values("code")
        .annotate(name=Min("name"), position=Min("order"))
        .order_by("position", "code")
    )
    return [(row["code"], row["name"]) for row in rows]


class _NameChoices(ModelChoiceIterator):
    """The salesperson menu as (id, name) rows: an executive's thousand names built as
    user objects cost more than the rest of the filter form."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, username in self.queryset.values_list("pk", "name", "username"):
            yield (pk, name or username)  # what a user's str() says


class SalespersonField(forms.ModelChoiceField):
    """A choice of salesperson whose menu is read as names (the chosen one is still
    looked up, and checked, as a user)."""

    iterator = _NameChoices


class DashboardFilterForm(forms.Form):
    """The period and the slice, read from the query string (GET)."""

    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            (PERIOD_MONTH, _("This month")),
            (PERIOD_QUARTER, _("This quarter")),
            (PERIOD_RANGE, _("From – to")),
        ],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    customer_type = forms.ModelChoiceField(
        label=_("Customer type"),
        queryset=_options(options.CUSTOMER_TYPE),
        required=False,
        empty_label=_("All"),
    )
    category = forms.ModelChoiceField(
        label=_("Project category"),
        queryset=_options(options.PROJECT_CATEGORY),
        required=False,
        empty_label=_("All"),
    )
    salesperson = SalespersonField(
        label=_("Salesperson"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    node = forms.ChoiceField(label=_("Current node"), required=False)

    def __init__(self, data=None, *, viewer, today: dt.date | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.viewer = viewer
        self.today = today or timezone.localdate()
        self.fields["department"].queryset = departments_for(viewer)
        self.fields["salesperson"].queryset = salespeople_for(viewer)
        self.node_names = dict(node_choices())
        self.fields["node"].choices = [("", _("All")), *self.node_names.items()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        period = cleaned.get("period") or (PERIOD_RANGE if start or end else PERIOD_MONTH)
        if period == PERIOD_QUARTER:
            start, end = quarter_bounds(self.today)
        elif period == PERIOD_MONTH:
            start, end = month_bounds(self.today)
        else:
            month_start, _month_end = month_bounds(self.today)
            start = start or month_start
            end = end or self.today
            if start > end:
                self.add_error(
                    "start",
                    _("The start date %(start)s is after the end date %(end)s.")
                    % {"start": start.isoformat(), "end": end.isoformat()},
                )
                return cleaned
            if (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error(
                    "end",
                    _("A range may cover at most %(days)s days.") % {"days": MAX_RANGE_DAYS},
                )
                return cleaned
        cleaned.update(period=period, start=start, end=end)
        return cleaned

    def to_slice(self) -> Slice:
        data = self.cleaned_data
        return Slice(
            viewer=self.viewer,
            start=data["start"],
            end=data["end"],
            today=self.today,
            department=data.get("department"),
            customer_type=data.get("customer_type"),
            category=data.get("category"),
            salesperson=data.get("salesperson"),
            node=data.get("node") or None,
            node_name=self.node_names.get(data.get("node"), ""),
        )

    def problems(self) -> list[str]:
        """Every error as "field: message", for the explanation above an empty result."""
        found = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            for message in errors:
                found.append(f"{label}: {message}" if label else str(message))
        return found
