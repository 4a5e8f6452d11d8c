"""The hand-off task API (list, read, create; acknowledge and complete) and the automation
rules and delay categories (read by everyone, written by system and HR admins).

Every write calls a service. A task someone already moved on is answered with HTTP 409
naming its current state; acting on a task of another team is a 403; a task the caller
cannot see is a 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pathscore.api.errors import ErrorSerializer
from pathscore.api.permissions import TokenScopePermission
from pathscore.api.viewsets import ScopedViewSetMixin, ServiceModelViewSet
from pathscore.core.scoping import scope_for
from pathscore.process import selectors, services
from pathscore.process.api import serializers_tasks as s
from pathscore.process.filtersets import TaskFilterSet
from pathscore.process.models import AutomationRule, DelayCategory, HandoffTask

CONFLICT = OpenApiResponse(
    s.TaskConflictSerializer, description="The task is not in the state this action needs."
)
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Not allowed for your role.")


def _conflict(error: DjangoValidationError, task: HandoffTask) -> Response:
    task.refresh_from_db(fields=["state"])
    return Response(
        {"detail": " ".join(error.messages), "errors": {}, "current_state": task.state},
        status=status.HTTP_409_CONFLICT,
    )


class TaskViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Hand-off tasks the caller may see, their own team's first."""

    queryset = HandoffTask.objects.all()
    serializer_class = s.TaskSerializer
    filterset_class = TaskFilterSet

    def get_queryset(self):
        return selectors.tasks_for_list(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return s.TaskCreateSerializer
        if self.action == "complete":
            return s.TaskCompleteSerializer
        return s.TaskSerializer

    @extend_schema(
        request=s.TaskCreateSerializer, responses={201: s.TaskSerializer, 403: FORBIDDEN}
    )
    def create(self, request, *args, **kwargs):
        serializer = s.TaskCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        project = data.pop("project")
        if not services.may_hand_off(project, request.user):
            raise PermissionDenied
        title = (data.pop("title", "") or "").strip() or f"{data['kind']}：{project.name}"
        task = services.task_create(project=project, created_by=request.user, title=title, **data)
        task = selectors.task_for_page(request.user).get(pk=task.pk)
        return Response(s.TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    def _act(self, request, perform) -> Response:
        task = self.get_object()
        if not services.task_member(task, request.user):
            raise PermissionDenied
        try:
            task = perform(task)
        except DjangoValidationError as error:
            if getattr(error, "code", None) != "conflict":
                raise
            return _conflict(error, task)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(request=None, responses={200: s.TaskSerializer, 403: FORBIDDEN, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._act(
            request, lambda task: services.task_acknowledge(task=task, user=request.user)
        )

    @extend_schema(
        request=s.TaskCompleteSerializer,
        responses={200: s.TaskSerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        serializer = s.TaskCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = serializer.validated_data.get("result", "")
        return self._act(
            request,
            lambda task: services.task_complete(task=task, user=request.user, result=result),
        )


class IsProcessAdminOrReadOnly(permissions.BasePermission):
    """Everyone signed in reads process settings; system and HR admins change them."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return scope_for(request.user).manages_org


class _SettingsViewSet(ServiceModelViewSet):
    """Settings are never deleted (old records point at them): switch them off instead."""

    permission_classes = [
        permissions.IsAuthenticated,
        TokenScopePermission,
        IsProcessAdminOrReadOnly,
    ]


class AutomationRuleViewSet(_SettingsViewSet):
    queryset = AutomationRule.objects.all()
    serializer_class = s.AutomationRuleSerializer

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("task_kind", "assignee_department", "assignee")
            .order_by("event", "name", "pk")
        )

    def create_object(self, data):
        return services.rule_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.rule_update(rule=instance, actor=self.request.user, **data)


class DelayCategoryViewSet(_SettingsViewSet):
    queryset = DelayCategory.objects.all()
    serializer_class = s.DelayCategorySerializer

    def create_object(self, data):
        return services.delay_category_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.delay_category_update(category=instance, actor=self.request.user, **data)
