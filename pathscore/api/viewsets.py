"""Base viewsets: every API queryset passes through ``visible_to(request.user)``."""

from rest_framework import status, viewsets
from rest_framework.response import Response


class ScopedViewSetMixin:
    """Start every queryset from the caller's scope; a foreign object is a 404."""

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ServiceModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Create and update through a service; deleting is not offered (history matters).

    Subclasses implement ``create_object(data)`` and ``update_object(instance, data)``
    with the serializer's validated data; a service's ValidationError becomes a 400 that
    names the fields (see ``pathscore.api.errors``).
    """

    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_object(dict(serializer.validated_data))
        # The same serializer answers with the new record: its fields are built already.
        serializer.instance = instance
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = self.update_object(instance, dict(serializer.validated_data))
        return Response(self.get_serializer(instance).data)
