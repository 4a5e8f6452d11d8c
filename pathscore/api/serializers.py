"""Base serializers shared by the apps' APIs."""

from __future__ import annotations

import copy

from rest_framework import serializers


class BuiltOnceModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are worked out from the model once per class.

    DRF builds a ModelSerializer's fields anew for every instance: it reads the model's
    fields, their options and the Meta's extra arguments, then builds a field for each.
    That answer depends only on the class, yet it cost about two milliseconds of every
    API write. Here the built fields are kept on the class as unbound templates, and each
    instance receives a deep copy of them (DRF re-creates a field from the arguments it
    was made with, as it does for declared fields), so no instance shares a field, its
    parent or its context with another.

    Nothing that depends on the request may go into the templates: a field that needs the
    caller's scope resolves it when used (``VisibleRelatedField.get_queryset``), or the
    subclass sets it after calling ``get_fields()`` on each instance.
    """

    def get_fields(self):
        cls = type(self)
        # Looked up in the class's own namespace: a subclass builds its own templates.
        templates = cls.__dict__.get("_field_templates")
        if templates is None:
            templates = super().get_fields()
            # Two threads may both build them the first time; either answer is the same.
            cls._field_templates = templates
        return copy.deepcopy(templates)
