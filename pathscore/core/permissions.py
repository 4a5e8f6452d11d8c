"""Who may change which records: one rule per model, declared by the app that owns it.

Visibility (``visible_to``) says which rows a person may see; this says which *roles* may
change a kind of record at all, before anything is validated. The same rule guards the
pages (their permission mixins), the API (``WritePolicyPermission``, a default permission
class, so a read-only role is refused with 403 before its request body is looked at) and
the services (``require_write``), so an import or a script calling a service directly is
held to it too. Rules about one particular record (only the owner submits a node, only the
person's manager adjusts a score) stay with the views and services that know the record.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import permissions

from pathscore.core.scoping import Scope, scope_for

WriteRule = Callable[[Scope], bool]

_rules: dict[str, WriteRule] = {}


def register_write_rule(model_label: str, rule: WriteRule) -> None:
    """Declare ``rule(scope) -> bool``: may a person with this scope change ``model_label``
    records (``"crm.customer"``)?"""
    _rules[model_label.lower()] = rule


def write_rule_for(model) -> WriteRule | None:
    return _rules.get(model._meta.label_lower)


def may_write(user, model) -> bool:
    """True if ``user``'s roles allow changing ``model`` records (no rule: the view or
    service that knows the record decides)."""
    rule = write_rule_for(model)
    return rule is None or rule(scope_for(user))


def require_write(user, model) -> None:
    """Refuse (PermissionDenied, a 403) a user whose roles may not change ``model``."""
    if not may_write(user, model):
        raise PermissionDenied(
            _("Your role does not allow changing %(records)s.")
            % {"records": model._meta.verbose_name_plural}
        )


class WritePolicyPermission(permissions.BasePermission):
    """API side of the write rules: an unsafe request to a viewset whose model has a rule
    is refused (403) when the caller's roles fail it, before the body is parsed.

    A create is checked at once; a request naming a record is checked once the record is
    found, so another team's record stays a 404 whatever the caller's role.
    """

    message = gettext_lazy("Your role does not allow this change.")

    def _allowed(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        queryset = getattr(view, "queryset", None)
        if queryset is None:
            return True
        return may_write(request.user, queryset.model)

    def has_permission(self, request, view):
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if lookup in getattr(view, "kwargs", {}):
            return True  # decided with the record, in has_object_permission
        return self._allowed(request, view)

    def has_object_permission(self, request, view, obj):
        return self._allowed(request, view)
