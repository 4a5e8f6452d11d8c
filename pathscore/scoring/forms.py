"""Forms of the evaluation: one section per part, each appended by its author."""


# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------

from decimal import Decimal as _Decimal  # noqa: E402

from django import forms as _forms  # noqa: E402
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pathscore.core.choices import Role as _Role  # noqa: E402
from pathscore.org.models import Department as _Department  # noqa: E402
from pathscore.org.models import User as _User  # noqa: E402
from pathscore.scoring import indicators as _indicators  # noqa: E402
from pathscore.scoring.choices import Dimension as _Dimension  # noqa: E402
from pathscore.scoring.choices import Direction as _Direction  # noqa: E402
from pathscore.scoring.choices import RatingSource as _RatingSource  # noqa: E402
from pathscore.scoring.choices import RuleKind as _RuleKind  # noqa: E402


def indicator_choices(blank=True):
    choices = [("", "---------")] if blank else []
    for dimension in _Dimension:
        group = [
            (indicator.code, str(indicator.name))
            for indicator in _indicators.catalogue()
            if indicator.dimension == dimension.value
        ]
        if group:
            choices.append((str(dimension.label), group))
    return choices


class ScorecardHeaderForm(_forms.Form):
    name = _forms.CharField(label=_("Name"), max_length=100)
    department = _forms.ModelChoiceField(
        label=_("Department"), queryset=_Department.objects.none(), required=False
    )
    role = _forms.ChoiceField(
        label=_("Role"), choices=[("", "---------"), *_Role.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _Department.objects.order_by("path")
        self.fields["department"].help_text = _(
            "A department's scorecard applies before a role's: choose a department or a role."
        )


class ScorecardCreateForm(ScorecardHeaderForm):
    code = _forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; it stays the same across versions."),
    )
    field_order = ["code", "name", "department", "role"]


class DimensionWeightsForm(_forms.Form):
    """One weight per dimension (they total 100)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for dimension in _Dimension:
            self.fields[dimension.value] = _forms.DecimalField(
                label=dimension.label,
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
                max_digits=5,
            )

    def weights(self) -> dict:
        return {
            code: value
            for code, value in self.cleaned_data.items()
            if value is not None and (value != 0 or code in self.initial)
        }


def _parse_bands(text: str) -> list[list[str]]:
    """Band rows typed as "threshold points" per line (comma, colon or spaces between)."""
    rows = []
    for line in (text or "").splitlines():
        parts = line.replace(",", " ").replace(":", " ").replace("，", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise _forms.ValidationError(
                _("Write each band as a threshold and its points, e.g. “5 60”.")
            )
        rows.append(parts)
    return rows


def bands_text(bands) -> str:
    return "\n".join(f"{threshold} {points}" for threshold, points in bands or [])


class ScorecardItemForm(_forms.Form):
    indicator = _forms.ChoiceField(label=_("Indicator"), choices=())
    dimension = _forms.ChoiceField(
        label=_("Dimension"),
        choices=[("", _("The indicator's")), *_Dimension.choices],
        required=False,
    )
    weight = _forms.DecimalField(
        label=_("Weight"), min_value=0, max_value=100, decimal_places=2, max_digits=5
    )
    rule_kind = _forms.ChoiceField(label=_("Rule"), choices=_RuleKind.choices)
    direction = _forms.ChoiceField(label=_("Direction"), choices=_Direction.choices)
    target = _forms.DecimalField(label=_("Target"), required=False, max_digits=14, decimal_places=4)
    floor = _forms.DecimalField(
        label=_("Floor (0 points)"), required=False, max_digits=14, decimal_places=4
    )
    zero_at = _forms.DecimalField(
        label=_("0 points at (lower is better)"), required=False, max_digits=14, decimal_places=4
    )
    full_at = _forms.DecimalField(
        label=_("Full marks at × team average"),
        required=False,
        max_digits=6,
        decimal_places=2,
    )
    bands = _forms.CharField(
        label=_("Bands (threshold points, one per line)"),
        required=False,
        widget=_forms.Textarea(attrs={"rows": 3, "placeholder": "0 0\n1 60\n3 100"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = indicator_choices()

    def clean_bands(self):
        return _parse_bands(self.cleaned_data.get("bands", ""))

    def item(self) -> dict:
        data = self.cleaned_data
        params = {}
        for name in ("target", "floor", "zero_at", "full_at"):
            if data.get(name) is not None:
                params[name] = str(data[name].normalize() if data[name] != 0 else _Decimal(0))
        if data.get("bands"):
            params["bands"] = data["bands"]
        return {
            "indicator": data["indicator"],
            "dimension": data.get("dimension") or "",
            "weight": data["weight"],
            "rule_kind": data["rule_kind"],
            "direction": data["direction"],
            "params": params,
        }

    @staticmethod
    def initial_for(item) -> dict:
        params = item.params or {}
        return {
            "indicator": item.indicator,
            "dimension": item.dimension,
            "weight": item.weight,
            "rule_kind": item.rule_kind,
            "direction": item.direction,
            "target": params.get("target"),
            "floor": params.get("floor"),
            "zero_at": params.get("zero_at"),
            "full_at": params.get("full_at"),
            "bands": bands_text(params.get("bands")),
        }


ScorecardItemFormSet = _forms.formset_factory(
    ScorecardItemForm, extra=0, can_delete=True, max_num=60
)


class ScorecardPublishForm(_forms.Form):
    note = _forms.CharField(
        label=_("What changed"), max_length=300, required=False, widget=_forms.TextInput()
    )


def _people_managed_by(user):
    """The people ``user`` may rate, commend or require at training."""
    from pathscore.core.scoping import scope_for, subtree_q

    scope = scope_for(user)
    people = _User.objects.filter(is_active=True).select_related("department")
    if scope.has_role(_Role.HR_ADMIN):
        return people.order_by("name")
    return (
        people.filter(subtree_q("department__path", scope.managed_paths))
        .exclude(pk=user.pk)
        .order_by("name")
    )


class CustomerRatingForm(_forms.Form):
    person = _forms.ModelChoiceField(label=_("Salesperson"), queryset=_User.objects.none())
    customer = _forms.ModelChoiceField(label=_("Customer"), queryset=_User.objects.none())
    project = _forms.ModelChoiceField(
        label=_("Project"), queryset=_User.objects.none(), required=False
    )
    rated_on = _forms.DateField(label=_("Rated on"), widget=_forms.DateInput())
    source = _forms.ChoiceField(label=_("Source"), choices=_RatingSource.choices)
    domain_knowledge = _forms.TypedChoiceField(
        label=_("Power-domain knowledge (1–5)"),
        coerce=int,
        choices=[("", "---------")] + [(n, n) for n in range(1, 6)],
    )
    communication = _forms.TypedChoiceField(
        label=_("Communication (1–5)"),
        coerce=int,
        choices=[("", "---------")] + [(n, n) for n in range(1, 6)],
    )
    comment = _forms.CharField(
        label=_("What the customer said"), required=False, widget=_forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        from pathscore.crm.models import Customer, Project

        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people_managed_by(user)
        self.fields["customer"].queryset = Customer.objects.visible_to(user).order_by("name")
        self.fields["project"].queryset = (
            Project.objects.visible_to(user).select_related("customer").order_by("name")
        )


class QualityRatingForm(_forms.Form):
    score = _forms.IntegerField(label=_("Quality score (0–100)"), min_value=0, max_value=100)
    rated_on = _forms.DateField(label=_("Rated on"), widget=_forms.DateInput())
    comment = _forms.CharField(
        label=_("Comment"), required=False, widget=_forms.Textarea(attrs={"rows": 3})
    )


class TrainingCourseForm(_forms.Form):
    code = _forms.SlugField(label=_("Code"), max_length=40)
    name = _forms.CharField(label=_("Name"), max_length=100)
    description = _forms.CharField(
        label=_("Description"), required=False, widget=_forms.Textarea(attrs={"rows": 3})
    )
    indicators = _forms.MultipleChoiceField(
        label=_("Helps with indicators"),
        required=False,
        choices=(),
        widget=_forms.CheckboxSelectMultiple,
    )
    is_active = _forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = [
            (indicator.code, str(indicator.name)) for indicator in _indicators.catalogue()
        ]
        if editing:
            self.fields["code"].disabled = True


class TrainingSessionForm(_forms.Form):
    course = _forms.ModelChoiceField(label=_("Course"), queryset=_User.objects.none())
    held_on = _forms.DateField(label=_("Held on"), widget=_forms.DateInput())
    location = _forms.CharField(label=_("Location"), max_length=100, required=False)
    required = _forms.ModelMultipleChoiceField(
        label=_("Required attendees"),
        queryset=_User.objects.none(),
        required=False,
        widget=_forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        from pathscore.scoring.models import TrainingCourse

        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = TrainingCourse.objects.filter(is_active=True)
        self.fields["required"].queryset = _people_managed_by(user)


class CommendationForm(_forms.Form):
    person = _forms.ModelChoiceField(label=_("Person"), queryset=_User.objects.none())
    title = _forms.CharField(label=_("Title"), max_length=100)
    text = _forms.CharField(
        label=_("What for"), required=False, widget=_forms.Textarea(attrs={"rows": 3})
    )
    given_on = _forms.DateField(label=_("Given on"), widget=_forms.DateInput())
    period = _forms.ModelChoiceField(
        label=_("Period"), queryset=_User.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        from pathscore.scoring.models import Period

        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people_managed_by(user)
        self.fields["period"].queryset = Period.objects.all()


# --- Appraisal periods and the responses to a result -----------------------------------------

from pathscore.scoring.choices import PeriodKind as _PeriodKind  # noqa: E402

_BOUND_HELP = _("Adjustments may change a score by at most this many points in all, up or down.")


class PeriodForm(_forms.Form):
    """A new appraisal period: for a month or a quarter any day inside it (its first and
    last days follow); for a custom range its first and last days."""

    kind = _forms.ChoiceField(
        label=_("Kind"), choices=_PeriodKind.choices, initial=_PeriodKind.QUARTER
    )
    starts_on = _forms.DateField(
        label=pgettext_lazy("appraisal period", "Day"),
        widget=_forms.DateInput(),
        help_text=_("Any day in the month or quarter; for a custom range, its first day."),
    )
    ends_on = _forms.DateField(
        label=pgettext_lazy("appraisal period", "Last day"),
        required=False,
        widget=_forms.DateInput(attrs={"data-show-if": "kind=custom"}),
        help_text=_("Only for a custom range."),
    )
    name = _forms.CharField(
        label=_("Name"),
        max_length=60,
        required=False,
        help_text=_("Leave it empty for the usual name, such as 2026 Q3 or 2026-07."),
    )
    adjustment_bound = _forms.DecimalField(
        label=_("Adjustment bound (points)"),
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        initial=_Decimal("10"),
        help_text=_BOUND_HELP,
    )
    appeal_days = _forms.IntegerField(
        label=_("Days to appeal after closing"), min_value=0, max_value=365, initial=7
    )


class PeriodEditForm(_forms.Form):
    """An open period's name, bound and appeal days (and the last day of a custom range)."""

    name = _forms.CharField(label=_("Name"), max_length=60)
    ends_on = _forms.DateField(
        label=pgettext_lazy("appraisal period", "Last day"), widget=_forms.DateInput()
    )
    adjustment_bound = PeriodForm.base_fields["adjustment_bound"]
    appeal_days = PeriodForm.base_fields["appeal_days"]

    def __init__(self, *args, period, **kwargs):
        super().__init__(*args, **kwargs)
        if period.kind != _PeriodKind.CUSTOM:
            # A month or a quarter always ends on its last day.
            self.fields["ends_on"].disabled = True
            self.fields["ends_on"].help_text = _("A month or a quarter ends on its last day.")


class NewVersionForm(_forms.Form):
    reason = _forms.CharField(
        label=_("Reason for the new version"),
        max_length=300,
        widget=_forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for the new version.")},
    )


class AppealForm(_forms.Form):
    reason = _forms.CharField(
        label=_("Why do you appeal?"),
        widget=_forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say why you appeal.")},
        help_text=_("Name the indicators and records you believe are wrong, and why."),
    )


class AdjustmentForm(_forms.Form):
    """Change the total by ± points, or override one indicator's automatic points."""

    TOTAL, INDICATOR = "total", "indicator"

    target = _forms.ChoiceField(
        label=_("What to adjust"),
        choices=[
            (TOTAL, _("The total: add or take away points")),
            (INDICATOR, _("One indicator: replace its points")),
        ],
        initial=TOTAL,
    )
    indicator = _forms.ChoiceField(
        label=_("Indicator"),
        required=False,
        choices=(),
        widget=_forms.Select(attrs={"data-show-if": "target=indicator"}),
    )
    points = _forms.DecimalField(
        label=_("Points"),
        max_digits=6,
        decimal_places=2,
        help_text=_(
            "For the total: the change, such as 3 or -2.5. For an indicator: its new points, 0–100."
        ),
    )
    reason = _forms.CharField(
        label=_("Reason"),
        widget=_forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give a reason for the adjustment.")},
    )

    def __init__(self, *args, indicators, **kwargs):
        """``indicators``: ``(code, label)`` pairs of the result's items."""
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", "---------"), *indicators]

    def clean(self):
        data = super().clean()
        if data.get("target") == self.INDICATOR:
            if not data.get("indicator"):
                self.add_error("indicator", _("Choose the indicator whose points you replace."))
        else:
            data["indicator"] = ""
        return data


class AppealResolutionForm(_forms.Form):
    UPHOLD, REJECT = "uphold", "reject"

    decision = _forms.ChoiceField(
        label=pgettext_lazy("appeal", "Decision"),
        choices=[
            ("", "---------"),
            (UPHOLD, _("Uphold the appeal")),
            (REJECT, _("Reject the appeal")),
        ],
        error_messages={"required": _("Uphold or reject the appeal.")},
    )
    points = _forms.DecimalField(
        label=_("Adjustment (± points)"),
        required=False,
        max_digits=6,
        decimal_places=2,
        widget=_forms.NumberInput(attrs={"data-show-if": "decision=uphold", "step": "0.01"}),
        help_text=_("Optional, when you uphold: the change to the total, within the bound."),
    )
    resolution = _forms.CharField(
        label=_("Resolution"),
        widget=_forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the appeal was resolved.")},
        help_text=_("The person reads this with the outcome."),
    )
