"""One error format for the whole API.

Every error body is ``{"detail": "...", "errors": {"field": ["message", ...]}}``; a
service's Django ``ValidationError`` becomes a 400 naming its fields, exactly like a
serializer's, so clients handle both the same way. Errors inside nested input are named by
their path: ``items.2.weight`` (the third item's weight), ``data.power_load``.

Requests under ``/api/`` that Django answers itself (an address no route matches, an
unexpected server error) get the same JSON body instead of the HTML pages.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from pathscore.core import views as pages

#: Where the API lives; Django's own error pages are replaced by JSON below it.
API_PREFIX = "/api/"
NON_FIELD_ERRORS = "non_field_errors"


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer: ``detail`` says what went wrong in the user's
    language; ``errors`` names each refused field (nested input by its path, e.g.
    ``items.0.weight``) with its messages, and is empty when no field is to blame."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def _as_field_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD_ERRORS if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD_ERRORS: [str(m) for m in error.messages]}


def _flatten(errors, path: str) -> Iterator[tuple[str, str]]:
    """(field path, message) pairs of DRF's nested error structure: dicts for objects,
    lists of dicts for lists of objects (``{}`` where an item is fine), lists of
    strings for one field's messages."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = NON_FIELD_ERRORS if key == "__all__" else str(key)
            yield from _flatten(value, f"{path}.{name}" if path else name)
    elif isinstance(errors, list | tuple):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list | tuple):
                yield from _flatten(value, f"{path}.{index}" if path else str(index))
            else:
                yield path or NON_FIELD_ERRORS, str(value)
    else:
        yield path or NON_FIELD_ERRORS, str(errors)


def field_errors(errors) -> dict[str, list[str]]:
    """``{field path: [messages]}`` for any error structure a serializer produces."""
    flat: dict[str, list[str]] = {}
    for name, message in _flatten(errors, ""):
        # An object's own error ("items.0.non_field_errors") is named by the object ("items.0").
        flat.setdefault(name.removesuffix(f".{NON_FIELD_ERRORS}"), []).append(message)
    return flat


def renamed(error: DjangoValidationError, **names: str) -> DjangoValidationError:
    """A service's field errors under the names the API uses for those fields
    (``renamed(error, new_owner="to_owner")``)."""
    if not hasattr(error, "error_dict"):
        return error
    return DjangoValidationError(
        {names.get(field, field): messages for field, messages in error.error_dict.items()}
    )


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_as_field_errors(exc))
    elif isinstance(exc, Http404):
        # Django's message ("No FollowUp matches the given query.") is English and names
        # the model; out of scope and missing read the same.
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        detail = _("The request has invalid fields.")
        response.data = {"detail": detail, "errors": field_errors(data)}
    elif isinstance(exc, exceptions.ParseError):
        # The parser's own message is English and technical; no single field is to blame.
        message = _("The request body could not be read: it is not valid for its Content-Type.")
        response.data = {"detail": message, "errors": {NON_FIELD_ERRORS: [message]}}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"detail": str(data["detail"]), "errors": {}}
    return response


def is_api_request(request) -> bool:
    # path_info: the address inside the site, wherever the site itself is mounted.
    return request.path_info.startswith(API_PREFIX)


def api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "errors": {}}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def not_found(request, exception=None):
    """Django's 404 (no route matches, e.g. ``/api/v1/customers/abc/``): JSON under the
    API, the page elsewhere."""
    if is_api_request(request):
        return api_error(_("Not found."), 404)
    return pages.error_404(request, exception)


def server_error(request):
    """Django's 500: JSON under the API (no traceback, no database), the page elsewhere."""
    if is_api_request(request):
        return api_error(_("A server error occurred."), 500)
    return pages.error_500(request)


def bad_request(request, exception=None):
    """Django's 400 (e.g. a request body it refuses to parse): JSON under the API."""
    if is_api_request(request):
        return api_error(_("The request could not be understood."), 400)
    return pages.error_400(request, exception)


def permission_denied(request, exception=None):
    """Django's 403 outside the API views' own handling: JSON under the API."""
    if is_api_request(request):
        return api_error(_("You do not have permission to perform this action."), 403)
    return pages.error_403(request, exception)
