from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.org.models import Department, TokenScope, User


class LoginForm(AuthenticationForm):
    """Sign-in form. Unknown accounts and wrong passwords get the very same message."""

    error_messages = {
        "invalid_login": _("The user name or password is not correct."),
        "inactive": _("The user name or password is not correct."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autofocus=True)
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "code", "kind", "parent", "head", "sort_order"]

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Department.objects.visible_to(viewer).filter(is_active=True)
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents.order_by("path")
        self.fields["head"].queryset = User.objects.filter(is_active=True).order_by("name")
        self.fields["code"].help_text = _("Short unique code, e.g. east-team-1.")


class UserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        required=False,
        help_text=_("At least 10 characters. Leave empty to create the account without a login."),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "name",
            "employee_no",
            "department",
            "title",
            "mobile",
            "email",
            "hire_date",
            "language",
        ]
        widgets = {
            "hire_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "language": forms.Select(choices=settings.LANGUAGES),
        }

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (
            Department.objects.visible_to(viewer).filter(is_active=True).order_by("path")
        )
        self.fields["department"].required = True
        self.fields["employee_no"].required = False
        if self.instance.pk:
            del self.fields["password"]
            self.fields["roles"].initial = sorted(self.instance.role_codes)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not all(ch.isalnum() or ch in "._-" for ch in username):
            raise forms.ValidationError(_("Use only letters, digits and . _ -"))
        return username


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not like your name."),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


def _expiry_days(value: str) -> int | None:
    return None if value == "never" else int(value)


class ApiTokenForm(forms.Form):
    """Name, scope and expiry of a new personal API token."""

    EXPIRY_CHOICES = [
        ("30", _("30 days")),
        ("90", _("90 days")),
        ("365", _("1 year")),
        ("never", _("Never")),
    ]

    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What uses the token, e.g. ERP sync."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial="read")
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=EXPIRY_CHOICES,
        coerce=_expiry_days,
        initial="90",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
