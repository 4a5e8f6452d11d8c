"""Forms of the process engine, one section per area."""

import re
from decimal import Decimal

from django import forms  # noqa: F401
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pathscore.core.forms import style_form
from pathscore.core.models import Option
from pathscore.crm.choices import DocumentKind
from pathscore.org.models import Department, User
from pathscore.process.bundled import TASK_KIND
from pathscore.process.choices import WAIVABLE, DeductionKind, DueRule, FieldType, ReviewerRole
from pathscore.process.deliverables import deliverable_choices
from pathscore.process.models import (
    AutomationRule,
    DelayCategory,
    ProcessTemplate,
    ProjectProcess,
    TemplateVersion,
)

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

    def document_groups(self):
        """The attachable versions as (document, [checkbox…]) groups, for the template."""
        by_value = {str(w.data["value"]): w for w in self["documents"].subwidgets}
        for title, options in self.fields["documents"].choices:
            yield title, [by_value[value] for value, _label in options]

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


# --- Template editor -----------------------------------------------------------------------

#: A declared field's name: the stable key its value is stored under in every submission.
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: Separators an admin may use between the choices of a choice field.
CHOICE_SEPARATORS = re.compile(r"[,，、;；\n]+")


class TemplateForm(forms.Form):
    """A template's name, description and limits (customer types, project categories)."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; fixed once the template exists."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    customer_types = forms.ModelMultipleChoiceField(
        label=_("Only for customer types"),
        queryset=Option.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any customer type."),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Only for project categories"),
        queryset=Option.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any category."),
    )
    is_active = forms.BooleanField(
        label=_("Active (offered to new projects)"), required=False, initial=True
    )

    def __init__(self, *args, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.fields["customer_types"].queryset = Option.objects.filter(
            kind="customer_type", is_active=True
        )
        self.fields["categories"].queryset = Option.objects.filter(
            kind="project_category", is_active=True
        )
        if template is None:
            del self.fields["is_active"]
        else:
            del self.fields["code"]
            self.initial.update(
                {
                    "name": template.name,
                    "description": template.description,
                    "is_active": template.is_active,
                    "customer_types": list(template.customer_types.all()),
                    "categories": list(template.categories.all()),
                }
            )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if ProcessTemplate.objects.filter(code=code).exists():
            raise forms.ValidationError(_("Another template already uses this code."))
        return code


def _parse_days(text: str) -> list[int]:
    parts = [p for p in CHOICE_SEPARATORS.split(text or "") if p.strip()]
    days = []
    for part in parts:
        part = part.strip()
        if not part.isdigit() or not 0 <= int(part) <= 60:
            raise forms.ValidationError(
                _("Give whole numbers of days between 0 and 60, separated by commas, e.g. 3, 1.")
            )
        days.append(int(part))
    return sorted(set(days), reverse=True)


class NodeDefinitionForm(forms.Form):
    """A node's identity, due rule, score, reviewer, delay deduction and thresholds; its
    fields, checklist and bands are edited in the formsets beside it (see NodeEditor)."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "Letters, digits and hyphens. Projects moved to a new version keep their progress "
            "on a node with the same code."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    guidance = forms.CharField(
        label=_("Guidance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the owner should do and deliver at this node."),
    )
    position = forms.ChoiceField(label=_("Position"), required=False)
    due_rule = forms.ChoiceField(label=_("Due"), choices=DueRule.choices)
    due_days = forms.IntegerField(label=_("Days"), min_value=0, max_value=730, initial=14)
    due_date = forms.DateField(label=_("Fixed due date"), required=False, widget=_DateInput())
    base_score = forms.DecimalField(
        label=_("Base score"),
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=6,
        decimal_places=2,
        initial=Decimal("10"),
    )
    reviewer_role = forms.ChoiceField(label=_("Reviewer"), choices=ReviewerRole.choices)
    deduction_kind = forms.ChoiceField(label=_("Delay deduction"), choices=DeductionKind.choices)
    deduction_per_day = forms.DecimalField(
        label=_("Points per day late"),
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=6,
        decimal_places=2,
        initial=Decimal("1"),
        required=False,
    )
    deduction_cap = forms.DecimalField(
        label=_("At most"),
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=6,
        decimal_places=2,
        initial=Decimal("5"),
        required=False,
    )
    stall_days = forms.IntegerField(
        label=_("Stalled after (days at the node)"), min_value=1, max_value=3650, initial=30
    )
    reminder_days = forms.CharField(
        label=_("Remind days before the due date"),
        required=False,
        initial="3, 1",
        max_length=60,
        help_text=_("Separated by commas, e.g. 3, 1. Empty: no reminder before the due date."),
    )
    escalate_after_days = forms.IntegerField(
        label=_("Escalate to the manager after (days overdue)"),
        min_value=0,
        max_value=365,
        initial=3,
    )
    required_document_kinds = forms.MultipleChoiceField(
        label=_("Required documents"),
        choices=DocumentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deliverable_templates = forms.MultipleChoiceField(
        label=_("Deliverable templates offered for download"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, version, definition=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        self.definition = definition
        self.fields["deliverable_templates"].choices = deliverable_choices()
        if definition is None:
            self.fields["position"].choices = [("", _("At the end"))] + [
                (str(node.pk), _("Before %(node)s") % {"node": node.name})
                for node in version.nodes.order_by("order")
            ]
        else:
            del self.fields["position"]
            self.initial.update(
                {
                    name: getattr(definition, name)
                    for name in (
                        "code",
                        "name",
                        "guidance",
                        "due_rule",
                        "due_days",
                        "due_date",
                        "base_score",
                        "reviewer_role",
                        "deduction_kind",
                        "deduction_per_day",
                        "deduction_cap",
                        "stall_days",
                        "escalate_after_days",
                        "required_document_kinds",
                        "deliverable_templates",
                    )
                }
            )
            self.initial["reminder_days"] = ", ".join(
                str(day) for day in definition.reminder_days or []
            )

    def clean_code(self):
        code = self.cleaned_data["code"]
        others = self.version.nodes.filter(code=code)
        if self.definition is not None:
            others = others.exclude(pk=self.definition.pk)
        if others.exists():
            raise forms.ValidationError(
                _("Another node of this version already uses the code %(code)s.") % {"code": code}
            )
        return code

    def clean_reminder_days(self):
        return _parse_days(self.cleaned_data.get("reminder_days", ""))

    def clean_position(self):
        value = self.cleaned_data.get("position")
        if not value:
            return None
        node = self.version.nodes.filter(pk=value).first()
        return node.order if node else None

    def clean(self):
        data = super().clean()
        if data.get("due_rule") == DueRule.FIXED_DATE and not data.get("due_date"):
            self.add_error("due_date", _("A fixed due rule needs the date."))
        if data.get("deduction_kind") == DeductionKind.PER_DAY:
            for name in ("deduction_per_day", "deduction_cap"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give the points (0 for none)."))
        return data


class FieldRowForm(forms.Form):
    """One required field of the completion standard."""

    name = forms.CharField(
        label=_("Name"),
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "power_load", "autocapitalize": "off"}),
    )
    label = forms.CharField(label=_("Label"), max_length=60)
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices, initial=FieldType.TEXT)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Yes, No")}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not FIELD_NAME_RE.match(name):
            raise forms.ValidationError(
                _("Start with a letter; use only letters, digits and _ (e.g. power_load).")
            )
        return name

    def clean(self):
        data = super().clean()
        choices = [c.strip() for c in CHOICE_SEPARATORS.split(data.get("choices") or "")]
        choices = list(dict.fromkeys(c for c in choices if c))
        if data.get("type") == FieldType.CHOICE and not choices:
            self.add_error("choices", _("A choice field needs its choices."))
        data["choices"] = choices if data.get("type") == FieldType.CHOICE else []
        return data

    def spec(self) -> dict:
        data = self.cleaned_data
        spec = {
            "name": data["name"],
            "label": data["label"].strip(),
            "type": data["type"],
            "required": bool(data.get("required")),
        }
        if data["choices"]:
            spec["choices"] = data["choices"]
        return spec


class ChecklistRowForm(forms.Form):
    item = forms.CharField(label=_("Checklist item"), max_length=200)


class BandRowForm(forms.Form):
    """One band of a banded delay deduction: from this many days late, this many points."""

    from_day = forms.IntegerField(label=_("From day late"), min_value=1, max_value=3650)
    points = forms.DecimalField(
        label=_("Points deducted"),
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=6,
        decimal_places=2,
    )


class _RowFormSet(forms.BaseFormSet):
    """Rows of one part of a node; ``unique_field`` must differ between kept rows."""

    unique_field = ""
    duplicate_message = ""

    def kept_forms(self):
        return [
            form
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            value = form.cleaned_data.get(self.unique_field)
            if value in seen:
                form.add_error(self.unique_field, self.duplicate_message % {"value": value})
            seen.add(value)


class FieldRowFormSet(_RowFormSet):
    unique_field = "name"
    duplicate_message = _("The name %(value)s is used twice.")


class ChecklistRowFormSet(_RowFormSet):
    unique_field = "item"
    duplicate_message = _("“%(value)s” is listed twice.")


class BandRowFormSet(_RowFormSet):
    unique_field = "from_day"
    duplicate_message = _("Two bands start at day %(value)s.")


FieldRows = forms.formset_factory(
    FieldRowForm, formset=FieldRowFormSet, extra=1, can_delete=True, max_num=40
)
ChecklistRows = forms.formset_factory(
    ChecklistRowForm, formset=ChecklistRowFormSet, extra=1, can_delete=True, max_num=40
)
BandRows = forms.formset_factory(
    BandRowForm, formset=BandRowFormSet, extra=1, can_delete=True, max_num=20
)


class NodeEditor:
    """The node form and its three row sets, validated and saved together: nothing is
    saved unless every part is valid, and every error names the node, the part, the row
    and the field."""

    def __init__(self, data=None, *, version, definition=None):
        self.version = version
        self.definition = definition
        self.node = NodeDefinitionForm(data, version=version, definition=definition)
        fields = definition.fields if definition else []
        checklist = definition.checklist if definition else []
        bands = definition.deduction_bands if definition else []
        self.fields = FieldRows(
            data,
            prefix="fields",
            initial=[
                {
                    "name": spec.get("name", ""),
                    "label": spec.get("label", ""),
                    "type": spec.get("type", FieldType.TEXT),
                    "required": bool(spec.get("required")),
                    "choices": "、".join(spec.get("choices", [])),
                }
                for spec in fields
            ],
        )
        self.checklist = ChecklistRows(
            data, prefix="checklist", initial=[{"item": item} for item in checklist]
        )
        self.bands = BandRows(
            data,
            prefix="bands",
            initial=[{"from_day": day, "points": Decimal(str(points))} for day, points in bands],
        )
        self.extra_errors: list[str] = []

    def style(self) -> None:
        """Bootstrap classes on every part (after validation, so errors are marked)."""
        for part in (self.node, *self.fields, *self.checklist, *self.bands):
            style_form(part)
        self.empty_rows = {
            formset.prefix: style_form(formset.empty_form) for _label, formset in self.parts
        }

    @property
    def parts(self):
        return (
            (_("Required fields"), self.fields),
            (_("Checklist"), self.checklist),
            (_("Deduction bands"), self.bands),
        )

    def uses_bands(self) -> bool:
        """Bands count only for a banded deduction; otherwise their rows are ignored."""
        return self.node.is_bound and self.node.data.get("deduction_kind") == DeductionKind.BANDS

    def is_valid(self) -> bool:
        valid = self.node.is_valid()
        for _label, formset in self.parts:
            if formset is not self.bands or self.uses_bands():
                valid = formset.is_valid() and valid
        if self.uses_bands() and self.bands.is_valid() and not self.bands.kept_forms():
            self.extra_errors.append(_("Banded deductions need at least one band."))
            valid = False
        return valid

    def node_label(self) -> str:
        name = (self.node.data.get("name") or "").strip() if self.node.is_bound else ""
        name = name or (self.definition.name if self.definition else "")
        return _("Node “%(name)s”") % {"name": name} if name else _("New node")

    def error_items(self) -> list[tuple[str, str]]:
        """(anchor id, message) of every problem, each naming the node and the field."""
        node = self.node_label()
        items = [("", f"{node}: {message}") for message in self.node.non_field_errors()]
        items += [("", f"{node}: {message}") for message in self.extra_errors]
        for field in self.node:
            for message in field.errors:
                items.append((field.id_for_label, f"{node} · {field.label}: {message}"))
        for label, formset in self.parts:
            if formset is self.bands and not self.uses_bands():
                continue
            for message in formset.non_form_errors():
                items.append(("", f"{node} · {label}: {message}"))
            for number, form in enumerate(formset.forms, start=1):
                for message in form.non_field_errors():
                    items.append(("", f"{node} · {label} {number}: {message}"))
                for field in form:
                    for message in field.errors:
                        items.append(
                            (
                                field.id_for_label,
                                f"{node} · {label} {number} · {field.label}: {message}",
                            )
                        )
        return items

    def add_service_error(self, error) -> None:
        for message in getattr(error, "messages", [str(error)]):
            self.extra_errors.append(f"{self.node_label()}: {message}")

    def service_data(self) -> dict:
        """The node as ``services.node_add``/``node_update`` take it (NODE_FIELDS)."""
        data = dict(self.node.cleaned_data)
        data.pop("position", None)
        per_day = data["deduction_kind"] == DeductionKind.PER_DAY
        data["deduction_per_day"] = data.get("deduction_per_day") or Decimal("0")
        data["deduction_cap"] = data.get("deduction_cap") or Decimal("0")
        if data["due_rule"] != DueRule.FIXED_DATE:
            data["due_date"] = None
        data["fields"] = [form.spec() for form in self.fields.kept_forms()]
        data["checklist"] = [
            form.cleaned_data["item"].strip() for form in self.checklist.kept_forms()
        ]
        bands = sorted(
            (form.cleaned_data["from_day"], form.cleaned_data["points"])
            for form in self.bands.kept_forms()
        )
        data["deduction_bands"] = [] if per_day else [[day, str(points)] for day, points in bands]
        return data

    @property
    def position(self):
        return self.node.cleaned_data.get("position") if self.node.is_valid() else None


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("What changed?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what changed in this version.")},
    )


class MigrationSelectForm(forms.Form):
    """Projects on an older version of a template to move to its published version."""

    from_version = forms.ModelChoiceField(
        label=_("From version"), queryset=TemplateVersion.objects.none(), empty_label=None
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    customer_type = forms.ModelChoiceField(
        label=_("Customer type"), queryset=Option.objects.none(), required=False
    )
    projects = forms.ModelMultipleChoiceField(
        label=_("Projects"),
        queryset=ProjectProcess.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, versions, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_version"].queryset = versions
        self.fields["from_version"].label_from_instance = lambda v: (
            _("v%(number)d · %(status)s") % {"number": v.number, "status": v.get_status_display()}
        )
        self.fields["customer_type"].queryset = Option.objects.filter(kind="customer_type")
        self.fields["projects"].queryset = candidates
        style_form(self)


# --- Hand-off tasks, automation rules, delay categories ------------------------------------


class _TaskDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PersonChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("The whole team"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.title}" if obj.title else obj.name


def team_members(department_id):
    """Active people of one team, for the optional "person" of a task or a rule."""
    if not department_id:
        return User.objects.none()
    return User.objects.filter(department_id=department_id, is_active=True).order_by("name")


def _team_widget(people_url: str):
    # Choosing a team reloads the person menu with that team's members (htmx, no script).
    return forms.Select(
        attrs={
            "hx-get": people_url,
            "hx-target": "#id_assignee",
            "hx-swap": "innerHTML",
            "hx-trigger": "change",
        }
    )


class _TeamAndPersonMixin:
    """A team (any active department) and, optionally, a person of that team."""

    def setup_team_and_person(self, people_url: str, initial_team=None) -> None:
        self.fields["assignee_department"].queryset = Department.objects.filter(
            is_active=True
        ).order_by("path")
        self.fields["assignee_department"].widget = _team_widget(people_url)
        self.fields["assignee_department"].widget.choices = self.fields[
            "assignee_department"
        ].choices
        team = self.data.get(self.add_prefix("assignee_department")) if self.is_bound else None
        if not self.is_bound:
            team = self.initial.get("assignee_department") or initial_team
        team_id = getattr(team, "pk", team)
        self.fields["assignee"].queryset = (
            team_members(team_id) if str(team_id or "").isdigit() else team_members(None)
        )


def _task_kinds(current_id=None):
    active = Q(is_active=True) | Q(pk=current_id) if current_id else Q(is_active=True)
    return Option.objects.filter(active, kind=TASK_KIND).order_by("sort_order", "pk")


class TaskForm(_TeamAndPersonMixin, forms.Form):
    """A hand-off task created by hand from a project's Tasks tab."""

    kind = forms.ModelChoiceField(
        label=_("Kind"),
        queryset=None,
        error_messages={"required": _("Choose the kind of work.")},
    )
    assignee_department = forms.ModelChoiceField(
        label=_("Team"), queryset=None, error_messages={"required": _("Choose the team.")}
    )
    assignee = PersonChoiceField(
        label=_("Person (optional)"),
        queryset=None,
        required=False,
        help_text=_("Leave empty to hand the task to the whole team."),
    )
    due_date = forms.DateField(
        label=_("Due"),
        widget=_TaskDateInput(),
        error_messages={"required": _("Give the due date.")},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        required=False,
        help_text=_("Leave empty to use the kind and the project's name."),
    )
    description = forms.CharField(
        label=_("What is needed"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, project, people_url, initial_team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["kind"].queryset = _task_kinds()
        self.setup_team_and_person(people_url, initial_team)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        title = (data.get("title") or "").strip() or f"{data['kind']}：{self.project.name}"
        return {
            "kind": data["kind"],
            "assignee_department": data["assignee_department"],
            "assignee": data.get("assignee"),
            "due_date": data["due_date"],
            "title": title,
            "description": data.get("description", ""),
        }


class TaskCompleteForm(forms.Form):
    result = forms.CharField(
        label=_("Result"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was delivered, e.g. the revised proposal V3 was uploaded."),
    )


class AutomationRuleForm(_TeamAndPersonMixin, forms.ModelForm):
    """An automation rule: on an event, create a hand-off task for a team, or notify."""

    node_code = forms.ChoiceField(
        label=_("Node"),
        required=False,
        help_text=_("For node events: only this node. Leave empty for every node."),
    )
    document_kind = forms.ChoiceField(
        label=_("Document kind"),
        required=False,
        help_text=_("For customer feedback: only on this kind of document."),
    )

    class Meta:
        model = AutomationRule
        fields = [
            "name",
            "event",
            "node_code",
            "document_kind",
            "action",
            "task_kind",
            "assignee_department",
            "assignee",
            "due_days",
            "notify_owner_manager",
        ]

    def __init__(self, *args, people_url, **kwargs):
        from pathscore.process.selectors import published_node_codes

        super().__init__(*args, **kwargs)
        codes = published_node_codes()
        current = self.instance.node_code
        if current and current not in dict(codes):
            codes.append((current, current))
        self.fields["node_code"].choices = [("", _("Any node"))] + [
            (code, f"{name} ({code})") for code, name in codes
        ]
        self.fields["document_kind"].choices = [("", _("Any document"))] + list(
            DocumentKind.choices
        )
        self.fields["event"].label = _("Event")
        self.fields["action"].label = _("Action")
        self.fields["task_kind"].queryset = _task_kinds(self.instance.task_kind_id)
        self.fields["assignee_department"].required = False
        self.fields["assignee"] = PersonChoiceField(
            label=_("Person (optional)"),
            queryset=self.fields["assignee"].queryset,
            required=False,
            help_text=_("Leave empty to hand the task to the whole team."),
        )
        self.fields["due_days"].min_value = 0
        self.fields["due_days"].widget.attrs.update(min="0", max="365", inputmode="numeric")
        self.setup_team_and_person(people_url, self.instance.assignee_department_id)

    def service_arguments(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class DelayCategoryForm(forms.ModelForm):
    class Meta:
        model = DelayCategory
        fields = ["name", "name_en", "attribution", "sort_order", "is_active"]
        help_texts = {
            "attribution": _(
                "Who the delay is down to. A manager may waive deductions for customer and "
                "external reasons only."
            ),
            "sort_order": _("Lower numbers come first in the owner's list."),
        }

    def service_arguments(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}
