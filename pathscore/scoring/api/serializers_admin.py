"""API representations of scorecards, ratings, training and commendations. Writes go
through ``scoring.services``: serializers check shapes and scope related objects."""

from rest_framework import serializers

from pathscore.crm.models import Customer, DocumentVersion, Project
from pathscore.org.models import Department, User
from pathscore.scoring.choices import Dimension, Direction, RuleKind
from pathscore.scoring.models import (
    Attendance,
    Commendation,
    CustomerRating,
    Period,
    QualityRating,
    Scorecard,
    ScorecardDimension,
    ScorecardItem,
    TrainingCourse,
    TrainingSession,
)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the caller may only point at objects they can see."""

    def get_queryset(self):
        request = self.context.get("request")
        return self.queryset.model.objects.visible_to(getattr(request, "user", None))


class ScorecardDimensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScorecardDimension
        fields = ["dimension", "weight"]


class ScorecardItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScorecardItem
        fields = ["indicator", "dimension", "weight", "rule_kind", "direction", "params", "order"]


class ScorecardSerializer(serializers.ModelSerializer):
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    dimensions = ScorecardDimensionSerializer(many=True, read_only=True)
    items = ScorecardItemSerializer(many=True, read_only=True)

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "code",
            "version",
            "name",
            "department",
            "role",
            "status",
            "note",
            "published_at",
            "published_by",
            "dimensions",
            "items",
        ]
        read_only_fields = ["version", "status", "note", "published_at", "published_by"]
        extra_kwargs = {"code": {"validators": []}}


class ScorecardDimensionsWriteSerializer(serializers.Serializer):
    dimensions = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2)
    )


class ScorecardItemWriteSerializer(serializers.Serializer):
    indicator = serializers.CharField(max_length=40)
    dimension = serializers.ChoiceField(choices=Dimension.choices, required=False, allow_blank=True)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    rule_kind = serializers.ChoiceField(choices=RuleKind.choices)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    params = serializers.DictField(required=False)


class ScorecardItemsWriteSerializer(serializers.Serializer):
    items = ScorecardItemWriteSerializer(many=True)


class ScorecardPublishSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CustomerRatingSerializer(serializers.ModelSerializer):
    person = VisibleRelatedField(queryset=User.objects.all())
    customer = VisibleRelatedField(queryset=Customer.objects.all())
    project = VisibleRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)

    class Meta:
        model = CustomerRating
        fields = [
            "id",
            "person",
            "customer",
            "project",
            "rated_on",
            "domain_knowledge",
            "communication",
            "comment",
            "source",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["recorded_by", "created_at"]


class QualityRatingSerializer(serializers.ModelSerializer):
    version = VisibleRelatedField(queryset=DocumentVersion.objects.all())

    class Meta:
        model = QualityRating
        fields = ["id", "person", "version", "score", "comment", "rated_by", "rated_on"]
        read_only_fields = ["person", "rated_by"]
        extra_kwargs = {"rated_on": {"required": False}}
        validators = []


class TrainingCourseSerializer(serializers.ModelSerializer):
    # The indicator codes the course helps with (the service checks they exist).
    indicators = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, allow_empty=True
    )

    class Meta:
        model = TrainingCourse
        fields = ["id", "code", "name", "description", "indicators", "is_active"]
        extra_kwargs = {"code": {"validators": []}}


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["person", "required", "attended", "assigned_by", "reason"]


class TrainingSessionSerializer(serializers.ModelSerializer):
    course = serializers.PrimaryKeyRelatedField(queryset=TrainingCourse.objects.all())
    required = VisibleRelatedField(
        queryset=User.objects.all(), many=True, write_only=True, required=False
    )
    attendances = serializers.SerializerMethodField()

    class Meta:
        model = TrainingSession
        fields = ["id", "course", "held_on", "location", "required", "attendances"]

    def get_attendances(self, session) -> list[dict]:
        request = self.context.get("request")
        rows = Attendance.objects.visible_to(getattr(request, "user", None)).filter(session=session)
        return AttendanceSerializer(rows, many=True).data


class AttendanceWriteSerializer(serializers.Serializer):
    attended = serializers.ListField(child=serializers.IntegerField())


class AssignWriteSerializer(serializers.Serializer):
    """Require one person at a session (their manager or HR), e.g. from a suggestion."""

    person = VisibleRelatedField(queryset=User.objects.all())
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CommendationSerializer(serializers.ModelSerializer):
    person = VisibleRelatedField(queryset=User.objects.all())
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Commendation
        fields = ["id", "person", "period", "title", "text", "given_by", "given_on"]
        read_only_fields = ["given_by"]
        extra_kwargs = {"given_on": {"required": False}}
