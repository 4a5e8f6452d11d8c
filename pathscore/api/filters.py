"""The API's list filters: the apps' FilterSets (shared with the pages), read strictly.

The pages' filter forms are lenient on purpose: a yes/no select sends ``unknown`` for
"either", an empty select means "any", a repeated parameter keeps its last value. A script
deserves to hear about its mistake instead, as the schema promises. So in the API a
parameter, when given, must have the schema's shape:

* a filter taking one value takes it once;
* a yes/no filter takes ``true`` or ``false``;
* an id (or other whole number) is an integer of at most 18 digits;
* only a text filter may be empty.

Anything else is a 400 naming the parameter, before the database is asked.
"""

from __future__ import annotations

import re

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions

BOOLEAN_VALUES = frozenset({"true", "false"})
#: Filters whose parameter may repeat (``?status=won&status=lost``).
MULTIPLE_VALUE_FILTERS = (django_filters.MultipleChoiceFilter,)
#: Whole numbers a database integer column holds, whatever the database.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing filter values the schema does not allow."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = refused_parameters(request.query_params, filterset)
            if errors:
                raise exceptions.ValidationError(errors)
        return filterset


def refused_parameters(params, filterset) -> dict[str, list[str]]:
    """``{parameter: [message]}`` for each filter parameter given in a shape its schema
    does not allow."""
    errors = {}
    for name, declared in filterset.filters.items():
        values = params.getlist(name)
        if not values:
            continue
        if len(values) > 1 and not isinstance(declared, MULTIPLE_VALUE_FILTERS):
            errors[name] = [_("Give this filter once.")]
            continue
        for value in values:
            problem = _problem(value, declared, filterset)
            if problem:
                errors[name] = [problem]
                break
    return errors


def _problem(value: str, declared, filterset) -> str | None:
    if value == "":
        if isinstance(declared, django_filters.CharFilter):
            return None
        return _("Give a value, or leave this filter out.")
    if isinstance(declared, django_filters.BooleanFilter) and value not in BOOLEAN_VALUES:
        return _("Enter true or false.")
    if _takes_whole_numbers(declared, filterset) and not WHOLE_NUMBER.fullmatch(value):
        return _("Enter a whole number.")
    return None


def _takes_whole_numbers(declared, filterset) -> bool:
    if isinstance(declared, django_filters.ModelChoiceFilter):
        # Records are chosen by their id unless the filter says otherwise.
        return "to_field_name" not in declared.extra
    if isinstance(declared, django_filters.NumberFilter):
        try:
            field = filterset._meta.model._meta.get_field(declared.field_name)
        except (AttributeError, FieldDoesNotExist):
            return False
        if field.is_relation:
            field = field.target_field
        return isinstance(field, models.IntegerField)
    return False
