"""Checking a submission against its node's completion standard.

Returns every missing or malformed item at once, in the user's language, so the owner
fixes everything in one go instead of discovering problems one by one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from pathscore.crm.choices import DocumentKind


def clean_fields(schema: list[dict], data: dict) -> tuple[dict, list[str]]:
    """Typed values for the declared fields, and the problems found."""
    cleaned, problems = {}, []
    for spec in schema:
        name, label = spec["name"], spec.get("label") or spec["name"]
        raw = data.get(name)
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in (None, ""):
            if spec.get("required"):
                problems.append(_("“%(label)s” is required.") % {"label": label})
            continue
        kind = spec.get("type", "text")
        if kind == "number":
            try:
                cleaned[name] = str(Decimal(str(raw)))
            except (InvalidOperation, ValueError):
                problems.append(_("“%(label)s” must be a number.") % {"label": label})
        elif kind == "date":
            try:
                cleaned[name] = dt.date.fromisoformat(str(raw)).isoformat()
            except ValueError:
                problems.append(_("“%(label)s” must be a date (YYYY-MM-DD).") % {"label": label})
        elif kind == "choice":
            if raw not in spec.get("choices", []):
                problems.append(
                    _("“%(label)s” must be one of: %(choices)s.")
                    % {"label": label, "choices": "、".join(spec.get("choices", []))}
                )
            else:
                cleaned[name] = raw
        else:
            cleaned[name] = str(raw)[:2000]
    return cleaned, problems


def check_standard(definition, *, data: dict, checklist: list[str], document_kinds: set[str]):
    """Clean a submission; returns ``(fields, checklist, problems)``."""
    fields, problems = clean_fields(definition.fields or [], data)
    ticked = [item for item in definition.checklist or [] if item in set(checklist)]
    for item in definition.checklist or []:
        if item not in ticked:
            problems.append(_("Checklist item not confirmed: %(item)s") % {"item": item})
    labels = dict(DocumentKind.choices)
    for kind in definition.required_document_kinds or []:
        if kind not in document_kinds:
            problems.append(
                _("Attach a version of the required document: %(kind)s")
                % {"kind": labels.get(kind, kind)}
            )
    return fields, ticked, problems


def validate_schema(schema: list[dict]) -> list[str]:
    """Problems in an admin's field declarations (for the template editor)."""
    problems, seen = [], set()
    for index, spec in enumerate(schema, start=1):
        name = (spec.get("name") or "").strip()
        if not name or not name.replace("_", "").isalnum():
            problems.append(_("Field %(n)d needs a name of letters, digits and _.") % {"n": index})
        elif name in seen:
            problems.append(_("Field name %(name)s is used twice.") % {"name": name})
        seen.add(name)
        if spec.get("type", "text") not in ("text", "number", "date", "choice"):
            problems.append(_("Field %(n)d has an unknown type.") % {"n": index})
        if spec.get("type") == "choice" and not spec.get("choices"):
            problems.append(_("Field %(n)d is a choice without choices.") % {"n": index})
    return problems
