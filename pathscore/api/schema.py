"""The OpenAPI schema declares every status an operation can answer.

Views declare their successes and the refusals only they know about (409 and 412 with
their bodies, through ``extend_schema``). The refusals every view shares follow from how
the view is built, so they are added here in one place, each with the common error body
(:class:`pathscore.api.errors.ErrorSerializer`):

* 400 — the request has a body or query parameters, or writes (a service may refuse it);
* 401 — the operation needs a signed-in caller (with ``WWW-Authenticate``);
* 403 — writes (a read-only token, the caller's role); reads only where a view declares it;
* 404 — the path names a record (not in the caller's scope, or no such record), or the
  list is paginated (a page past the last);
* 415 — the body is in a format the operation does not read;
* 429 — the view is rate limited (with ``Retry-After``).

The schema fuzz test (``tests/api/test_schema_fuzz.py``) holds every operation to this.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers

from pathscore.api.errors import ErrorSerializer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Keys describing a decimal field as a whole rather than its string form.
DECIMAL_META = frozenset({"title", "description", "nullable", "readOnly", "writeOnly", "default"})

#: The schema's descriptions are for developers and stay in English, like the rest of it.
DESCRIPTIONS = {
    "400": "Invalid input; `errors` names each refused field.",
    "401": "No valid API token or session.",
    "403": "Not allowed: a read-only token, or beyond your role.",
    "404": "Not found, or not in your scope (or a page past the last).",
    "415": "The body is not in a format this operation reads.",
    "429": "Too many requests; retry after the seconds in `Retry-After`.",
}


class PathscoreAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the refusals shared by every view, and request
    fields described as strictly as the serializers read them."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or schema.get("type") != "string":
            return schema
        if isinstance(field, serializers.DecimalField) and (field.max_whole_digits or 0) >= 1:
            # A number needs a digit: "", "." and "-" are not numbers.
            whole, places = field.max_whole_digits, field.decimal_places
            fraction = rf"(?:\.\d{{0,{places}}})?" if places else ""
            schema["pattern"] = rf"^-?\d{{1,{whole}}}{fraction}$"
            if direction == "request":
                # Answers carry decimals as strings; requests may send a JSON number too.
                meta = {k: schema.pop(k) for k in list(schema) if k in DECIMAL_META}
                return {"oneOf": [schema, {"type": "number"}], **meta}
        elif direction == "request" and not {"pattern", "format", "enum"} & set(schema):
            if (
                isinstance(field, serializers.CharField)
                and not field.allow_blank
                and field.trim_whitespace
            ):
                # Surrounding spaces are trimmed, so text of spaces only counts as blank.
                schema["pattern"] = r"\S"
            elif isinstance(field, serializers.SlugRelatedField):
                schema["minLength"] = max(schema.get("minLength", 0), 1)
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._shared_refusals(operation):
            responses.setdefault(code, self._error_response(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _shared_refusals(self, operation) -> list[str]:
        codes = []
        writes = self.method not in SAFE_METHODS
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if writes or has_query or "requestBody" in operation:
            codes.append("400")
        if self._needs_authentication():
            codes.append("401")
        if writes:
            codes.append("403")
        if "{" in self.path or self._is_paginated_list():
            codes.append("404")
        if "requestBody" in operation:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _needs_authentication(self) -> bool:
        return any(
            isinstance(permission, permissions.IsAuthenticated)
            for permission in self.view.get_permissions()
        )

    def _is_paginated_list(self) -> bool:
        return (
            self.method == "GET"
            and getattr(self.view, "pagination_class", None) is not None
            and self._is_list_view()
        )

    def _error_response(self, code: str) -> dict:
        component = self.resolve_serializer(ErrorSerializer, "response")
        response = {
            "description": DESCRIPTIONS[code],
            "content": {"application/json": {"schema": component.ref}},
        }
        if code == "401":
            response["headers"] = {
                "WWW-Authenticate": {
                    "schema": {"type": "string"},
                    "description": 'How to authenticate: Bearer realm="api".',
                }
            }
        elif code == "429":
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before trying again.",
                }
            }
        return response
