"""Form helpers shared by every app."""

from django import forms
from django.utils.translation import gettext_lazy as _

_SELECTS = (forms.Select, forms.SelectMultiple)
_CHECKS = (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)


def style_form(form):
    """Give every widget Bootstrap's classes, and mark fields with errors as invalid."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, _CHECKS):
            css = "form-check-input"
        elif isinstance(widget, _SELECTS):
            css = "form-select"
        else:
            css = "form-control"
        if name == "q":
            widget.input_type = "search"
        elif isinstance(widget, forms.NullBooleanSelect):
            # "Unknown" reads oddly in a filter: offer All / Yes / No.
            widget.choices = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]
        elif type(widget) is forms.DateInput:
            # The browser's own date picker; the ISO format is what it sends back.
            widget.input_type = "date"
            widget.format = "%Y-%m-%d"
        classes = widget.attrs.get("class", "").split()
        wanted = [css] + (["is-invalid"] if form.is_bound and name in form.errors else [])
        classes += [c for c in wanted if c not in classes]
        widget.attrs["class"] = " ".join(classes)
    return form


class RevisionField(forms.IntegerField):
    """The revision of the record the form was loaded with, sent back hidden on save.

    It is never one of the record's changes; the view hands it to the service, which
    refuses the save if someone else changed the record in the meantime.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        return False
