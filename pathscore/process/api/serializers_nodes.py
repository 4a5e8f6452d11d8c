"""API representations of node instances, submissions and delay reasons. Writes go through
``process.services``: these serializers check shapes and scope related objects."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pathscore.api import errors as api_errors
from pathscore.crm.models import DocumentVersion
from pathscore.process.choices import OPEN_STATES, DelayDecision, NodeState
from pathscore.process.models import DelayCategory, DelayReason, NodeInstance, Submission


class SubmissionSerializer(serializers.ModelSerializer):
    documents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "node",
            "number",
            "submitted_by",
            "submitted_at",
            "data",
            "checklist",
            "documents",
            "note",
            "state",
            "reviewed_by",
            "reviewed_at",
            "quality_score",
            "comment",
        ]
        read_only_fields = fields


class NodeInstanceSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="definition.code", read_only=True)
    name = serializers.CharField(source="definition.name", read_only=True)
    reviewer_role = serializers.CharField(source="definition.reviewer_role", read_only=True)
    base_score = serializers.DecimalField(
        source="definition.base_score", max_digits=6, decimal_places=2, read_only=True
    )
    overdue = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()

    class Meta:
        model = NodeInstance
        fields = [
            "id",
            "project",
            "order",
            "code",
            "name",
            "state",
            "started_on",
            "planned_due",
            "submitted_at",
            "submitted_by",
            "completed_on",
            "days_late",
            "overdue",
            "days_overdue",
            "reviewer_role",
            "base_score",
            "quality_score",
            "score",
            "score_explanation",
            "skip_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, node) -> bool:
        """Open (in progress or returned) and past its due date."""
        return bool(
            node.state in OPEN_STATES
            and node.planned_due
            and node.planned_due < timezone.localdate()
        )

    @extend_schema_field(OpenApiTypes.INT)
    def get_days_overdue(self, node) -> int:
        """Days past the due date while open (0 otherwise; ``days_late`` once approved)."""
        if not self.get_overdue(node):
            return 0
        return (timezone.localdate() - node.planned_due).days


class StandardSerializer(serializers.Serializer):
    """The node's completion standard: what a submission must contain."""

    guidance = serializers.CharField()
    fields = serializers.JSONField(help_text="[{name, label, type, required, choices}]")
    checklist = serializers.ListField(child=serializers.CharField())
    required_document_kinds = serializers.ListField(child=serializers.CharField())
    deliverable_templates = serializers.ListField(child=serializers.CharField())


class NodeInstanceDetailSerializer(NodeInstanceSerializer):
    standard = serializers.SerializerMethodField()
    submissions = SubmissionSerializer(many=True, read_only=True)

    class Meta(NodeInstanceSerializer.Meta):
        fields = [*NodeInstanceSerializer.Meta.fields, "standard", "submissions"]
        read_only_fields = fields

    @extend_schema_field(StandardSerializer)
    def get_standard(self, node) -> dict:
        definition = node.definition
        return {
            "guidance": definition.guidance,
            "fields": definition.fields or [],
            "checklist": definition.checklist or [],
            "required_document_kinds": definition.required_document_kinds or [],
            "deliverable_templates": definition.deliverable_templates or [],
        }


class ProjectVersionField(serializers.PrimaryKeyRelatedField):
    """A document version the caller may see; the service checks it is of this project."""

    def get_queryset(self):
        request = self.context.get("request")
        return DocumentVersion.objects.visible_to(getattr(request, "user", None)).select_related(
            "document"
        )


class NodeSubmitSerializer(serializers.Serializer):
    data = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text='The standard\'s fields by name, e.g. {"power_load": "12MW"}.',
    )
    checklist = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    documents = ProjectVersionField(
        queryset=DocumentVersion.objects.all(), many=True, required=False, default=list
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NodeApproveSerializer(serializers.Serializer):
    quality_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100")
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NodeReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class NodeSkipSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ConflictSerializer(serializers.Serializer):
    """HTTP 409: the node (or reason) is not in the state the action needs."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    current_state = serializers.ChoiceField(
        choices=[*NodeState.choices, *DelayDecision.choices],
        help_text="The node's state now (or the delay reason's decision).",
    )


#: HTTP 400/403/404: ``errors`` names each field (``data.<name>`` for the standard's
#: fields, ``checklist``, ``documents``) with its messages: the API's one error body.
ErrorSerializer = api_errors.ErrorSerializer


class DelayReasonSerializer(serializers.ModelSerializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=DelayCategory.objects.filter(is_active=True)
    )
    category_name = serializers.CharField(source="category.name", read_only=True)
    attribution = serializers.CharField(source="category.attribution", read_only=True)

    class Meta:
        model = DelayReason
        fields = [
            "id",
            "node",
            "project",
            "category",
            "category_name",
            "attribution",
            "text",
            "given_by",
            "created_at",
            "decision",
            "waived_share",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = [
            "project",
            "given_by",
            "created_at",
            "decision",
            "waived_share",
            "decided_by",
            "decided_at",
            "decision_note",
        ]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["node"].queryset = NodeInstance.objects.visible_to(
            getattr(request, "user", None)
        ).select_related("definition", "project__owner__department")
        return fields


class DelayDecisionSerializer(serializers.Serializer):
    ACCEPT = "accept"
    REJECT = "reject"

    decision = serializers.ChoiceField(choices=[ACCEPT, REJECT])
    waived_share = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        required=False,
        default=Decimal("0"),
        help_text="Share of the deduction waived, 0–1; only for accepted customer or external "
        "reasons.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
