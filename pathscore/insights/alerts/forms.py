"""Forms of the alert pages: record an intervention, resolve an alert, edit thresholds.

They check shape only; the services decide (and name the field when they refuse)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pathscore.core.models import Option
from pathscore.insights.alerts import thresholds
from pathscore.insights.options import INTERVENTION_KIND
from pathscore.insights.services import NOTE_MAX_LENGTH


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class InterventionForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=_("What you did"),
        queryset=Option.objects.none(),
        error_messages={"required": _("Choose what you did.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you did and what came of it, e.g. went through the proposal with him."),
        error_messages={"required": _("Write a note: what did you do, and what came of it?")},
    )
    done_on = forms.DateField(
        label=_("Done on"),
        widget=_DateInput(),
        error_messages={"required": _("Give the date you did it.")},
    )
    look_again_on = forms.DateField(
        label=_("Look again on"),
        required=False,
        widget=_DateInput(),
        help_text=_("You get a reminder that day, and the alert shows on your home page."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"done_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = Option.objects.filter(
            kind=INTERVENTION_KIND, is_active=True
        ).order_by("sort_order", "pk")


class ResolveForm(forms.Form):
    resolution_note = forms.CharField(
        label=_("How it was resolved"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say how the alert was resolved.")},
    )


class ThresholdForm(forms.Form):
    """One number per alert threshold, with its meaning as the help text."""

    def __init__(self, *args, values: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for definition in thresholds.DEFINITIONS:
            self.fields[definition.code] = forms.DecimalField(
                label=definition.label,
                help_text=definition.help_text,
                min_value=definition.minimum,
                max_value=definition.maximum,
                # Whole numbers are the service's check, so "60.0" is not refused here.
                decimal_places=1,
                initial=thresholds.plain(values[definition.code]),
            )
            self.fields[definition.code].unit = definition.unit

    def groups(self):
        """The fields by alert kind, for the page's sections."""
        from pathscore.insights.choices import AlertKind

        groups = []
        for kind in AlertKind:
            fields = [
                self[definition.code]
                for definition in thresholds.DEFINITIONS
                if definition.kind == kind
            ]
            groups.append({"kind": kind, "label": kind.label, "fields": fields})
        return groups
