"""Forms of the records, one section per sub-domain."""

from decimal import Decimal

from django import forms  # noqa: F401
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.forms import RevisionField
from pathscore.core.models import Option
from pathscore.core.scoping import scope_for, subtree_q
from pathscore.crm import options
from pathscore.crm.choices import DocumentKind, MilestoneKind, ProjectStatus, TermState, TermTopic
from pathscore.crm.models import Contact, Customer, Project
from pathscore.org.models import RoleGrant, User

# --- Documents -----------------------------------------------------------------------------

#: What the file picker offers; the server still checks every file by its content.
DOCUMENT_ACCEPT = (
    ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.png,.jpg,.jpeg,.gif,.webp,application/pdf,image/*"
)


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _document_file_field(**kwargs) -> forms.FileField:
    limit = settings.UPLOAD_MAX_BYTES
    field = forms.FileField(
        label=_("File"),
        help_text=_("PDF, Word, Excel, PowerPoint or an image, at most %(limit)s.")
        % {"limit": filesizeformat(limit)},
        **kwargs,
    )
    # documents.js refuses a file that is too big before the browser sends it.
    field.widget.attrs.update(
        {
            "accept": DOCUMENT_ACCEPT,
            "data-max-bytes": str(limit),
            "data-too-big": _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": "{size}", "limit": filesizeformat(limit)},
        }
    )
    return field


class DocumentUploadForm(forms.Form):
    """A new document on a project, with its first version (V1)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=150)
    change_note = forms.CharField(
        label=_("Change note"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"] = _document_file_field()
        self.order_fields(["kind", "title", "file", "change_note"])


class VersionUploadForm(forms.Form):
    """The next version of a document (V2, V3, …): the file and what changed."""

    change_note = forms.CharField(
        label=_("Change note"),
        max_length=300,
        help_text=_("What changed since the previous version, e.g. the price was lowered."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"] = _document_file_field()
        self.order_fields(["file", "change_note"])


class VersionFeedbackForm(forms.Form):
    """The customer's feedback on one version, and the day they gave it."""

    feedback = forms.CharField(
        label=_("Customer feedback"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("What the customer said, e.g. the cost is too high."),
            }
        ),
    )
    feedback_on = forms.DateField(
        label=_("Feedback given on"), initial=timezone.localdate, widget=_DateInput()
    )


# --- Contract negotiation ------------------------------------------------------------------


def _track_revision(form, instance) -> None:
    """Send an edited record's revision along hidden; a new record has none yet."""
    if instance is not None and instance.pk:
        form.fields["revision"].initial = instance.revision
    else:
        del form.fields["revision"]


class ContractTermForm(forms.Form):
    """A contract term and where the negotiation on it stands. ``instance`` is the term
    being edited, if any."""

    topic = forms.ChoiceField(label=_("Topic"), choices=TermTopic.choices)
    description = forms.CharField(label=_("Term"), max_length=300)
    state = forms.ChoiceField(label=_("State"), choices=TermState.choices, initial=TermState.OPEN)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    revision = RevisionField()

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        _track_revision(self, instance)


class MilestoneForm(forms.Form):
    """The day a contract milestone was reached; "signed" also needs the signed amount."""

    kind = forms.ChoiceField(label=_("Milestone"), choices=MilestoneKind.choices)
    reached_on = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=_DateInput())
    signed_amount = forms.DecimalField(
        label=_("Signed amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Needed when the contract is signed: the project is then won."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


# --- Customers, contacts, projects ---------------------------------------------------------

#: Roles whose holders own customers and projects.
SALES_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER)


def assignable_owners(viewer, *, also=None):
    """People ``viewer`` may make the owner of a record: themselves and the active sales
    staff of the departments they head (all active sales staff, for company-wide roles).
    ``also`` adds one more person by primary key (a record's current owner)."""
    scope = scope_for(viewer)
    sales = Q(
        is_active=True,
        pk__in=RoleGrant.objects.filter(role__in=SALES_ROLES).values("user_id"),
    )
    if scope.sees_all_records:
        condition = sales
    elif scope.is_manager:
        condition = sales & subtree_q("department__path", scope.managed_paths)
    else:
        condition = Q(pk__in=[])
    condition |= Q(pk=viewer.pk)
    if also:
        condition |= Q(pk=also)
    return (
        User.objects.filter(condition)
        .select_related("department")
        .order_by("department__path", "name")
    )


class PersonChoiceField(forms.ModelChoiceField):
    """A person shown with their department, so two people with one name stay apart."""

    def label_from_instance(self, obj):
        if obj.department_id:
            return f"{obj.name}（{obj.department.name}）"
        return obj.name


def _active_options(kind, current_id=None):
    """Active entries of an option list, plus the record's current one if it was retired."""
    condition = Q(is_active=True)
    if current_id:
        condition |= Q(pk=current_id)
    return Option.objects.filter(condition, kind=kind).order_by("sort_order", "pk")


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _amount_widget():
    return forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"})


class CustomerForm(forms.ModelForm):
    """A customer's fields; the owner only for people who assign records (managers, HR)."""

    class Meta:
        model = Customer
        fields = [
            "name",
            "customer_type",
            "credit_code",
            "region",
            "address",
            "latitude",
            "longitude",
            "owner",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        }

    revision = RevisionField()

    def __init__(self, *args, viewer, can_assign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _track_revision(self, self.instance)
        self.fields["customer_type"].queryset = _active_options(
            options.CUSTOMER_TYPE, self.instance.customer_type_id
        )
        self.fields["credit_code"].widget.attrs.update(
            autocapitalize="characters", spellcheck="false", autocomplete="off"
        )
        self.fields["latitude"].validators += [MinValueValidator(-90), MaxValueValidator(90)]
        self.fields["longitude"].validators += [MinValueValidator(-180), MaxValueValidator(180)]
        self.fields["latitude"].help_text = _("Decimal degrees, e.g. 31.230416.")
        self.fields["longitude"].help_text = _("Decimal degrees, e.g. 121.473701.")
        if can_assign:
            self.fields["owner"] = PersonChoiceField(
                label=self.fields["owner"].label,
                queryset=assignable_owners(viewer, also=self.instance.owner_id),
                initial=None if self.instance.pk else viewer.pk,
            )
        else:
            del self.fields["owner"]

    def clean_credit_code(self):
        code = (self.cleaned_data.get("credit_code") or "").strip().upper()
        return code or None

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            if missing not in self.errors:
                self.add_error(missing, _("Enter both the latitude and the longitude."))
        return data

    def validate_unique(self):
        # The service checks the credit code itself, so a duplicate gets the message that
        # links to (or names the department of) the customer already holding it.
        pass


class ContactForm(forms.ModelForm):
    """A person at a customer the viewer can see."""

    class Meta:
        model = Contact
        fields = [
            "customer",
            "name",
            "title",
            "decision_role",
            "mobile",
            "phone",
            "email",
            "notes",
            "is_active",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "mobile": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    revision = RevisionField()

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        _track_revision(self, self.instance)
        self.fields["customer"].queryset = Customer.objects.visible_to(viewer).order_by("name")
        phone_check = RegexValidator(
            r"^\+?[0-9][0-9 \-]{4,19}$",
            _("Enter a phone number: digits, spaces, + and - only."),
        )
        self.fields["mobile"].validators.append(phone_check)
        self.fields["phone"].validators.append(phone_check)
        if not self.instance.pk:
            del self.fields["is_active"]


class ProjectForm(forms.ModelForm):
    """A project's descriptive fields. On creation a manager may name another owner; later
    the owner changes only by a hand-over, and the status by its own form."""

    started_on = forms.DateField(
        label=_("Started on"),
        required=False,
        widget=_date_widget(),
        help_text=_("Leave empty for today."),
    )

    field_order = [
        "customer",
        "name",
        "category",
        "estimated_amount",
        "expected_sign_date",
        "started_on",
        "owner",
        "description",
    ]

    class Meta:
        model = Project
        fields = [
            "customer",
            "name",
            "category",
            "estimated_amount",
            "expected_sign_date",
            "owner",
            "description",
        ]
        widgets = {
            "expected_sign_date": _date_widget(),
            "estimated_amount": _amount_widget(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    revision = RevisionField()

    def __init__(self, *args, viewer, can_assign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        _track_revision(self, self.instance)
        self.fields["customer"].queryset = Customer.objects.visible_to(viewer).order_by("name")
        self.fields["category"].queryset = _active_options(
            options.PROJECT_CATEGORY, self.instance.category_id
        )
        if self.instance.pk:
            del self.fields["owner"]
            del self.fields["started_on"]
        elif can_assign:
            self.fields["owner"] = PersonChoiceField(
                label=self.fields["owner"].label,
                queryset=assignable_owners(viewer),
                initial=viewer.pk,
            )
        else:
            del self.fields["owner"]
        if "started_on" in self.fields:
            self.fields["started_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class ProjectStatusForm(forms.Form):
    """Move a project to ``target``: won needs the signed amount and date, lost and paused
    need a reason, reactivating takes an optional note."""

    status = forms.ChoiceField(choices=ProjectStatus.choices, widget=forms.HiddenInput)

    def __init__(self, *args, target: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].initial = target
        if target == ProjectStatus.WON:
            self.fields["signed_amount"] = forms.DecimalField(
                label=_("Signed amount (CNY)"),
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0.01"),
                widget=_amount_widget(),
                error_messages={"required": _("Enter the signed amount.")},
            )
            self.fields["signed_on"] = forms.DateField(
                label=_("Signed on"),
                widget=_date_widget(),
                initial=timezone.localdate,
                error_messages={"required": _("Enter the signing date.")},
            )
        elif target in (ProjectStatus.LOST, ProjectStatus.PAUSED):
            self.fields["reason"] = forms.CharField(
                label=_("Reason"),
                max_length=300,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("Say why the project was lost or paused.")},
            )
        else:
            self.fields["reason"] = forms.CharField(
                label=_("Note"),
                max_length=300,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class ProjectHandoverForm(forms.Form):
    """A manager hands a project to someone they manage, saying why."""

    new_owner = PersonChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the project is handed over.")},
    )

    def __init__(self, *args, viewer, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = assignable_owners(viewer).exclude(pk=project.owner_id)


# --- Follow-ups ----------------------------------------------------------------------------


def parse_followup_target(user, value):
    """Resolve a picker value (``project:12`` or ``customer:7``) to what ``user`` may see.

    Returns ``(project, customer)``, both None for an empty value, or raises
    ``forms.ValidationError`` for anything else (a foreign record is simply not found).
    """
    from pathscore.crm.models import Customer, Project

    value = (value or "").strip()
    if not value:
        return None, None
    kind, _sep, pk = value.partition(":")
    if pk.isdigit():
        if kind == "project":
            project = (
                Project.objects.visible_to(user).select_related("customer").filter(pk=pk).first()
            )
            if project is not None:
                return project, project.customer
        elif kind == "customer":
            customer = Customer.objects.visible_to(user).filter(pk=pk).first()
            if customer is not None:
                return None, customer
    raise forms.ValidationError(
        _("Select a valid choice. That choice is not one of the available choices."),
        code="invalid_choice",
    )


def followup_target_value(project=None, customer=None) -> str:
    if project is not None:
        return f"project:{project.pk}"
    if customer is not None:
        return f"customer:{customer.pk}"
    return ""


class _FollowUpDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class _FollowUpDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class _PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class _OptionalFloatField(forms.FloatField):
    """A value the browser fills in on its own (the location): a bad one is dropped,
    never shown as an error the user could not fix."""

    def __init__(self, *, low, high, **kwargs):
        self.low, self.high = low, high
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)

    def clean(self, value):
        try:
            number = super().clean(value)
        except forms.ValidationError:
            return None
        if number is None or not (self.low <= number <= self.high):
            return None
        return number


class FollowUpForm(forms.Form):
    """Record or correct a follow-up. The phone's quick entry and the desktop share it.

    ``target`` is the picked project or customer (``project:12`` / ``customer:7``);
    ``needs`` takes one customer need per line. Location and ``client_key`` are hidden:
    the browser fills the location when allowed, the key makes a double tap save once.
    Editing leaves out what belongs to the moment of recording (needs, location, key).
    """

    NEED_MAX_LENGTH = 200

    # The service checks what is required, so one round shows every problem at once.
    target = forms.CharField(
        label=_("Project or customer"), required=False, widget=forms.HiddenInput
    )
    mode = forms.ModelChoiceField(
        label=_("Mode"), queryset=None, required=False, widget=forms.RadioSelect, empty_label=None
    )
    content = forms.CharField(
        label=_("What was discussed"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False, widget=_FollowUpDateTimeInput()
    )
    next_action = forms.CharField(label=_("Next action"), max_length=200, required=False)
    next_action_date = forms.DateField(
        label=_("Planned for"), required=False, widget=_FollowUpDateInput()
    )
    needs = forms.CharField(
        label=_("Customer needs"),
        required=False,
        help_text=_("One need per line, e.g. a load forecast for the new plant."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    participants = _PersonChoiceField(
        label=_("Our participants"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Customer participants"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    latitude = _OptionalFloatField(label=_("Latitude"), low=-90, high=90)
    longitude = _OptionalFloatField(label=_("Longitude"), low=-180, high=180)
    location_accuracy = _OptionalFloatField(label=_("Location accuracy (m)"), low=0, high=1e6)
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    revision = RevisionField()

    def __init__(self, *args, user, instance=None, **kwargs):
        from pathscore.crm import selectors

        super().__init__(*args, **kwargs)
        self.user = user
        self.instance = instance
        _track_revision(self, instance)
        if instance is not None:
            for name in ("needs", "latitude", "longitude", "location_accuracy", "client_key"):
                del self.fields[name]
        # An entry recorded with a mode or a contact since retired keeps it.
        self.fields["mode"].queryset = selectors.followup_modes(
            keep=instance.mode_id if instance is not None else None
        )
        self.fields["participants"].queryset = selectors.participant_choices(user)
        # The picked target decides whose contacts may be chosen.
        raw = self.data.get("target") if self.is_bound else self.initial.get("target")
        try:
            self.target_project, self.target_customer = parse_followup_target(user, raw)
        except forms.ValidationError:
            self.target_project, self.target_customer = None, None
        self.fields["contacts"].queryset = selectors.contact_choices(
            user,
            self.target_customer,
            keep=list(instance.contacts.values_list("pk", flat=True)) if instance else (),
        )

    def clean_target(self):
        value = self.cleaned_data.get("target", "")
        project, customer = parse_followup_target(self.user, value)
        self.cleaned_data["project"], self.cleaned_data["customer"] = project, customer
        return value

    def clean_needs(self):
        lines = [line.strip() for line in self.cleaned_data.get("needs", "").splitlines()]
        needs = [line for line in lines if line]
        too_long = [line for line in needs if len(line) > self.NEED_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                _("Keep each need under %(limit)d characters; put details in the content.")
                % {"limit": self.NEED_MAX_LENGTH}
            )
        return needs

    def clean(self):
        data = super().clean()
        # The three location values come together or not at all.
        if "latitude" in self.fields and (
            data.get("latitude") is None or data.get("longitude") is None
        ):
            data["latitude"] = data["longitude"] = data["location_accuracy"] = None
        return data

    def service_arguments(self) -> dict:
        """The cleaned data as the follow-up services take it."""
        data = self.cleaned_data
        arguments = {
            "project": data.get("project"),
            "customer": data.get("customer"),
            "occurred_at": data["occurred_at"],
            "mode": data["mode"],
            "content": data.get("content", ""),
            "participants": list(data["participants"]),
            "contacts": list(data["contacts"]),
            "next_action": data.get("next_action", ""),
            "next_action_date": data.get("next_action_date"),
        }
        if self.instance is None:
            arguments["needs"] = data.get("needs", [])
            arguments["client_key"] = data.get("client_key")
            for name in ("latitude", "longitude"):
                value = data.get(name)
                arguments[name] = None if value is None else Decimal(f"{value:.6f}")
            arguments["location_accuracy"] = data.get("location_accuracy")
        return arguments
