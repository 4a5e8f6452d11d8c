"""Forms of the process engine, one section per area."""

from decimal import Decimal

from django import forms  # noqa: F401
from django.utils.translation import gettext_lazy as _

from pathscore.process.choices import WAIVABLE, FieldType
from pathscore.process.models import DelayCategory

# --- Nodes ---------------------------------------------------------------------------------

#: Prefix of the completion standard's fields in the submit form ("field_power_load").
FIELD_PREFIX = "field_"


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _standard_field(spec: dict) -> forms.Field:
    """A form field for one declared field of a completion standard.

    Every field is optional in the form: the service checks the submission against the
    standard and names every missing item at once, rather than the form stopping at the
    first gaps and hiding the rest.
    """
    label = spec.get("label") or spec["name"]
    kind = spec.get("type", FieldType.TEXT)
    if kind == FieldType.NUMBER:
        widget = forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    elif kind == FieldType.DATE:
        widget = _DateInput()
    elif kind == FieldType.CHOICE:
        choices = [("", "—")] + [(c, c) for c in spec.get("choices", [])]
        return forms.ChoiceField(label=label, choices=choices, required=False)
    else:
        widget = forms.Textarea(attrs={"rows": 2})
    return forms.CharField(label=label, required=False, widget=widget, max_length=2000)


class NodeSubmitForm(forms.Form):
    """The owner's delivery of a node: the standard's fields, its checklist, attachments
    (versions of this project's documents) and a note."""

    note = forms.CharField(
        label=_("Note to the reviewer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, definition, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.specs = list(definition.fields or [])
        fields = {}
        for spec in self.specs:
            fields[FIELD_PREFIX + spec["name"]] = _standard_field(spec)
        if definition.checklist:
            fields["checklist"] = forms.MultipleChoiceField(
                label=_("Checklist"),
                required=False,
                choices=[(item, item) for item in definition.checklist],
                widget=forms.CheckboxSelectMultiple,
            )
        self.versions = {version.pk: version for version in versions}
        groups: dict[int, tuple[str, list]] = {}
        for version in self.versions.values():
            document = version.document
            title = f"{document.title} · {document.get_kind_display()}"
            label = f"{version.label} · {version.original_name}"
            groups.setdefault(document.pk, (title, []))[1].append((str(version.pk), label))
        fields["documents"] = forms.MultipleChoiceField(
            label=_("Attachments"),
            required=False,
            choices=list(groups.values()),
            widget=forms.CheckboxSelectMultiple,
        )
        # The standard's fields first, in their declared order, then the rest.
        self.fields = {**fields, "note": self.fields["note"]}

    def standard_fields(self):
        """Bound fields of the standard, each with its declaration (for the template)."""
        for spec in self.specs:
            yield self[FIELD_PREFIX + spec["name"]], spec

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "data": {spec["name"]: data.get(FIELD_PREFIX + spec["name"]) for spec in self.specs},
            "checklist": data.get("checklist", []),
            "documents": [self.versions[int(pk)] for pk in data.get("documents", [])],
            "note": data.get("note", ""),
        }

    def mark_missing(self) -> None:
        """After the service refused an incomplete submission, flag the empty required
        fields and unticked checklist items so the owner sees where to look."""
        for spec in self.specs:
            name = FIELD_PREFIX + spec["name"]
            if spec.get("required") and not (self.data.get(self.add_prefix(name)) or "").strip():
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
        ticked = set(self.data.getlist(self.add_prefix("checklist")))
        self.missing_items = [
            item for item in self.definition.checklist or [] if item not in ticked
        ]

    missing_items: list[str] = []


class ReviewApproveForm(forms.Form):
    quality_score = forms.DecimalField(
        label=_("Quality score (0–100)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(
            attrs={"step": "1", "min": "0", "max": "100", "inputmode": "decimal"}
        ),
        error_messages={"required": _("Give a quality score between 0 and 100.")},
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("Why is it returned?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the submission is returned.")},
    )


class NodeSkipForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this node skipped?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the node is skipped.")},
    )


class _CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} · {obj.get_attribution_display()}"


class DelayReasonForm(forms.Form):
    category = _CategoryChoiceField(
        label=_("Category"),
        queryset=DelayCategory.objects.filter(is_active=True),
        error_messages={"required": _("Choose a category.")},
    )
    text = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the customer has not provided complete load data."),
        error_messages={"required": _("Describe the reason.")},
    )


class DelayDecisionForm(forms.Form):
    """The manager's decision on a delay reason; a customer or external reason may waive
    all or part of the deduction."""

    ACCEPT = "accept"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ACCEPT, _("Accept")), (REJECT, _("Do not accept"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Accept the reason or not.")},
    )
    waived_percent = forms.IntegerField(
        label=_("Share of the deduction waived (%)"),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(
            attrs={"step": "5", "min": "0", "max": "100", "inputmode": "numeric"}
        ),
        help_text=_("100 waives the whole deduction; 0 keeps it."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, reason, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason = reason
        if reason.category.attribution not in WAIVABLE:
            del self.fields["waived_percent"]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        accept = data["decision"] == self.ACCEPT
        # Not accepting a reason waives nothing, whatever was typed in the share.
        percent = (data.get("waived_percent") or 0) if accept else 0
        return {
            "accept": accept,
            "waived_share": Decimal(percent) / Decimal(100),
            "note": data.get("note", ""),
        }
