"""API representations of hand-off tasks, automation rules and delay categories. Writes go
through ``process.services``: the serializers validate shapes and scope related objects."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pathscore.crm.api.serializers import OptionField, VisibleRelatedField
from pathscore.crm.models import Project
from pathscore.org.models import Department, User
from pathscore.process.bundled import TASK_KIND
from pathscore.process.models import AutomationRule, DelayCategory, HandoffTask
from pathscore.process.tables import duration_hours, task_is_overdue


@extend_schema_field(OpenApiTypes.INT)
class ActiveDepartmentField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Department.objects.filter(is_active=True)


@extend_schema_field(OpenApiTypes.INT)
class ActivePersonField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.filter(is_active=True)


class TaskSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    team_name = serializers.CharField(source="assignee_department.name", read_only=True)
    overdue = serializers.SerializerMethodField()
    hours_to_acknowledge = serializers.SerializerMethodField()
    hours_to_done = serializers.SerializerMethodField()
    relay_hours = serializers.SerializerMethodField()
    source_event = serializers.CharField(read_only=True)

    class Meta:
        model = HandoffTask
        fields = [
            "id",
            "project",
            "project_name",
            "kind",
            "kind_name",
            "title",
            "description",
            "assignee_department",
            "team_name",
            "assignee",
            "created_by",
            "rule",
            "source_event",
            "feedback_at",
            "due_date",
            "state",
            "overdue",
            "created_at",
            "acknowledged_at",
            "acknowledged_by",
            "done_at",
            "done_by",
            "result",
            "hours_to_acknowledge",
            "hours_to_done",
            "relay_hours",
        ]
        read_only_fields = fields

    def get_overdue(self, task) -> bool:
        return task_is_overdue(task)

    def get_hours_to_acknowledge(self, task) -> float | None:
        if task.acknowledged_at is None:
            return None
        return duration_hours(task.acknowledged_at - task.created_at)

    def get_hours_to_done(self, task) -> float | None:
        if task.done_at is None:
            return None
        return duration_hours(task.done_at - task.created_at)

    def get_relay_hours(self, task) -> float | None:
        if task.feedback_at is None:
            return None
        return duration_hours(task.created_at - task.feedback_at)


class TaskCreateSerializer(serializers.Serializer):
    project = VisibleRelatedField(queryset=Project.objects.all())
    kind = OptionField(TASK_KIND)
    assignee_department = ActiveDepartmentField()
    assignee = ActivePersonField(required=False, allow_null=True)
    due_date = serializers.DateField()
    title = serializers.CharField(max_length=150, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class TaskConflictSerializer(serializers.Serializer):
    """HTTP 409: someone already moved the task on; ``current_state`` says where it is."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    current_state = serializers.ChoiceField(choices=HandoffTask._meta.get_field("state").choices)


class TaskCompleteSerializer(serializers.Serializer):
    result = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class AutomationRuleSerializer(serializers.ModelSerializer):
    task_kind = OptionField(TASK_KIND, required=False, allow_null=True)
    assignee_department = ActiveDepartmentField(required=False, allow_null=True)
    assignee = ActivePersonField(required=False, allow_null=True)
    # One of the records' document kinds (``proposal``…); the service checks the value.
    document_kind = serializers.CharField(max_length=32, required=False, allow_blank=True)

    class Meta:
        model = AutomationRule
        fields = [
            "id",
            "name",
            "event",
            "node_code",
            "document_kind",
            "action",
            "task_kind",
            "assignee_department",
            "assignee",
            "due_days",
            "notify_owner_manager",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class DelayCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = DelayCategory
        fields = ["id", "code", "name", "name_en", "attribution", "sort_order", "is_active"]
        read_only_fields = ["code"]
