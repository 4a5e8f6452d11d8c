"""The reports' filters: the shared slice form, plus what one report needs of its own.

The evaluation is about people in an appraisal period, so its form chooses the period and
narrows by department and salesperson only. The node list behind a report's figure adds
the figure's own narrowing (which nodes, whose, which kind, which delay reason or team)
to the shared filters.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pathscore.insights.filters import DashboardFilterForm, departments_for, salespeople_for
from pathscore.insights.reports.selectors import NO_REASON, default_appraisal_period
from pathscore.org.models import Department, User
from pathscore.process.models import DelayCategory
from pathscore.scoring.models import Period


class EvaluationFilterForm(forms.Form):
    """An appraisal period (by default the latest closed one, else the open one), a
    department subtree and a salesperson."""

    appraisal = forms.ModelChoiceField(
        label=_("Appraisal period"), queryset=Period.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    salesperson = forms.ModelChoiceField(
        label=_("Salesperson"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )

    problems = DashboardFilterForm.problems

    def __init__(self, data=None, *, viewer, **kwargs):
        if data is not None and not data.get("appraisal"):
            # Shown as chosen, so the page says which period it reports.
            default = default_appraisal_period()
            if default is not None:
                data = data.copy()
                data["appraisal"] = str(default.pk)
        super().__init__(data, **kwargs)
        self.viewer = viewer
        self.fields["appraisal"].queryset = Period.objects.order_by("-ends_on", "-pk")
        self.fields["department"].queryset = departments_for(viewer)
        self.fields["salesperson"].queryset = salespeople_for(viewer)

    def clean(self):
        cleaned = super().clean()
        if "appraisal" not in self.errors and cleaned.get("appraisal") is None:
            cleaned["appraisal"] = default_appraisal_period()
            if cleaned["appraisal"] is None:
                self.add_error(
                    "appraisal", _("There is no appraisal period yet: HR creates one first.")
                )
        return cleaned


class ReportNodeFilterForm(DashboardFilterForm):
    """The nodes behind one figure of the node completion or the delay report."""

    SETS = [
        ("due", _("Nodes due in the period")),
        ("completed", _("Completed nodes")),
        ("on_time", _("Nodes completed on time")),
        ("late", _("Nodes completed late")),
        ("overdue", _("Open nodes past their due date")),
        ("delayed", _("Delayed nodes")),
    ]

    set = forms.ChoiceField(label=_("Nodes"), choices=SETS, required=False)
    doer = forms.ModelChoiceField(
        label=_("Credited to"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    code = forms.ChoiceField(label=_("Node"), required=False)
    reason = forms.ChoiceField(label=_("Delay reason"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Department.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["doer"].queryset = User.objects.visible_to(viewer)
        self.fields["code"].choices = [("", _("All")), *self.node_names.items()]
        self.fields["reason"].choices = [
            ("", _("All")),
            *((str(category.pk), str(category)) for category in DelayCategory.objects.all()),
            (NO_REASON, _("No reason given yet")),
        ]
        self.fields["team"].queryset = departments_for(viewer)
