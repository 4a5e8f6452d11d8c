"""JSON input is read with the types the schema declares.

Django REST framework's fields coerce on purpose, for HTML forms: a text field takes the
number 5 as "5", a yes/no field takes 1, "yes" and "on", a whole number field takes "5".
The API reads JSON only (uploads aside), where a client sending 5 for a name or 0 for a
yes/no has a bug it should hear about; the schema promises a string and a boolean. So
text, yes/no, whole number and choice fields refuse values of another JSON type, and a
decimal is a JSON number or a plain decimal string ("12.5", not "+1.25e1"), with the usual
400 naming the field. Nothing else in Pathscore uses these fields (the pages read
Django forms), and multipart uploads send text only, which text fields still take.
"""

from __future__ import annotations

import re
from functools import wraps

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MESSAGES = {
    serializers.CharField: _("Enter text (a JSON string)."),
    serializers.BooleanField: _("Enter true or false."),
    serializers.IntegerField: _("Enter a whole number."),
    serializers.ChoiceField: _("Enter one of the choices (a JSON string)."),
    serializers.DecimalField: _('Enter a number, e.g. 12.5 or "12.5".'),
}
#: A decimal written as text: digits, an optional point and fraction (no sign but minus,
#: no exponent, no spaces), as the schema's pattern says.
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]*)?")


def _accepts(field, data) -> bool:
    if isinstance(field, serializers.DecimalField):
        if isinstance(data, str):
            return PLAIN_DECIMAL.fullmatch(data) is not None
        return isinstance(data, int | float) and not isinstance(data, bool)
    if isinstance(field, serializers.BooleanField):
        return isinstance(data, bool)
    if isinstance(field, serializers.IntegerField):
        whole = isinstance(data, int) or (isinstance(data, float) and data.is_integer())
        return whole and not isinstance(data, bool)
    if isinstance(field, serializers.ChoiceField):
        # Choices keyed by text take text; others (numbers) keep the framework's reading.
        return isinstance(data, str) or not all(isinstance(k, str) for k in field.choices)
    return isinstance(data, str)


def _strict(field_class):
    original = field_class.to_internal_value
    if getattr(original, "strict_json_types", False):
        return

    @wraps(original)
    def to_internal_value(self, data):
        if not _accepts(self, data):
            raise serializers.ValidationError(str(MESSAGES[field_class]), code="invalid")
        return original(self, data)

    to_internal_value.strict_json_types = True
    field_class.to_internal_value = to_internal_value


def install() -> None:
    """Make the framework's text, yes/no, whole number, choice and decimal fields strict
    (once)."""
    for field_class in MESSAGES:
        _strict(field_class)
