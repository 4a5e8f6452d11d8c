"""Base viewsets: every API queryset passes through ``visible_to(request.user)``."""

from rest_framework import viewsets


class ScopedViewSetMixin:
    """Start every queryset from the caller's scope; a foreign object is a 404."""

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass
