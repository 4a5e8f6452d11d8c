"""API representations of the records. Writes go through ``crm.services``: the
serializers validate shapes and scope the related objects; the services decide.

The records people edit carry their read-only ``revision``, the number in their ETag."""

from rest_framework import serializers

from pathscore.api.serializers import BuiltOnceModelSerializer
from pathscore.core.models import Option
from pathscore.core.scoping import vouch_visible
from pathscore.crm import options
from pathscore.crm.models import (
    Contact,
    ContractMilestone,
    ContractTerm,
    Customer,
    CustomerNeed,
    Document,
    DocumentVersion,
    FollowUp,
    Project,
    ProjectHandover,
)
from pathscore.org.models import User


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the caller may only point at objects they can see."""

    def get_queryset(self):
        request = self.context.get("request")
        return self.queryset.model.objects.visible_to(getattr(request, "user", None))

    def to_internal_value(self, data):
        obj = super().to_internal_value(data)
        # Found within the caller's scope: the service receiving it can take that as read.
        vouch_visible(obj, getattr(self.context.get("request"), "user", None))
        return obj


class OptionField(serializers.SlugRelatedField):
    """An option-list entry given by its stable code (e.g. ``grid``)."""

    def __init__(self, kind, **kwargs):
        self.kind = kind
        super().__init__(slug_field="code", queryset=Option.objects.filter(kind=kind), **kwargs)

    def get_queryset(self):
        return Option.objects.filter(kind=self.kind, is_active=True)


class CustomerSerializer(BuiltOnceModelSerializer):
    customer_type = OptionField(options.CUSTOMER_TYPE)
    owner = VisibleRelatedField(queryset=User.objects.all(), required=False)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "customer_type",
            "credit_code",
            "region",
            "address",
            "latitude",
            "longitude",
            "owner",
            "notes",
            "revision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["revision", "created_at", "updated_at"]
        # Uniqueness is the service's job: it names the department holding a duplicate.
        extra_kwargs = {"credit_code": {"validators": []}}


class ContactSerializer(BuiltOnceModelSerializer):
    customer = VisibleRelatedField(queryset=Customer.objects.all())

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "title",
            "decision_role",
            "mobile",
            "phone",
            "email",
            "notes",
            "is_active",
            "revision",
        ]
        read_only_fields = ["revision"]


class ProjectSerializer(BuiltOnceModelSerializer):
    customer = VisibleRelatedField(queryset=Customer.objects.all())
    owner = VisibleRelatedField(queryset=User.objects.all(), required=False)
    category = OptionField(options.PROJECT_CATEGORY)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "customer",
            "owner",
            "category",
            "estimated_amount",
            "expected_sign_date",
            "started_on",
            "status",
            "status_reason",
            "signed_amount",
            "signed_on",
            "closed_on",
            "description",
            "external_code",
            "revision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "revision",
            "status",
            "status_reason",
            "signed_amount",
            "signed_on",
            "closed_on",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"started_on": {"required": False}}


class ProjectStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Project._meta.get_field("status").choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    signed_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    signed_on = serializers.DateField(required=False, allow_null=True)


class ProjectHandoverSerializer(BuiltOnceModelSerializer):
    to_owner = VisibleRelatedField(queryset=User.objects.all())

    class Meta:
        model = ProjectHandover
        fields = [
            "id",
            "project",
            "from_owner",
            "to_owner",
            "handed_over_by",
            "handed_over_at",
            "reason",
        ]
        read_only_fields = ["project", "from_owner", "handed_over_by", "handed_over_at"]


class CustomerNeedSerializer(BuiltOnceModelSerializer):
    class Meta:
        model = CustomerNeed
        fields = ["id", "followup", "text", "handled_at", "handled_by"]
        read_only_fields = ["followup", "handled_at", "handled_by"]


class FollowUpSerializer(BuiltOnceModelSerializer):
    project = VisibleRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    customer = VisibleRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    mode = OptionField(options.FOLLOWUP_MODE)
    participants = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    contacts = VisibleRelatedField(queryset=Contact.objects.all(), many=True, required=False)
    needs = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, write_only=True
    )
    customer_needs = CustomerNeedSerializer(source="needs", many=True, read_only=True)
    client_key = serializers.UUIDField(required=False, allow_null=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "project",
            "customer",
            "author",
            "occurred_at",
            "mode",
            "content",
            "participants",
            "contacts",
            "needs",
            "customer_needs",
            "next_action",
            "next_action_date",
            "next_action_done_at",
            "latitude",
            "longitude",
            "location_accuracy",
            "client_key",
            "external_id",
            "revision",
            "created_at",
        ]
        read_only_fields = ["author", "next_action_done_at", "revision", "created_at"]


class DocumentVersionSerializer(BuiltOnceModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "document",
            "number",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "change_note",
            "uploaded_by",
            "uploaded_at",
            "customer_feedback",
            "feedback_on",
            "feedback_recorded_by",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return obj.get_download_url()


class DocumentSerializer(BuiltOnceModelSerializer):
    project = VisibleRelatedField(queryset=Project.objects.all())
    versions = DocumentVersionSerializer(many=True, read_only=True)
    file = serializers.FileField(write_only=True)
    change_note = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "project",
            "kind",
            "title",
            "created_by",
            "version_count",
            "versions",
            "file",
            "change_note",
            "created_at",
        ]
        read_only_fields = ["created_by", "version_count", "created_at"]


class VersionUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    change_note = serializers.CharField(max_length=300)


class FeedbackSerializer(serializers.Serializer):
    feedback = serializers.CharField()
    feedback_on = serializers.DateField(required=False, allow_null=True)


class ContractTermSerializer(BuiltOnceModelSerializer):
    project = VisibleRelatedField(queryset=Project.objects.all())

    class Meta:
        model = ContractTerm
        fields = [
            "id",
            "project",
            "topic",
            "description",
            "state",
            "note",
            "updated_by",
            "revision",
            "updated_at",
        ]
        read_only_fields = ["updated_by", "revision", "updated_at"]


class ContractMilestoneSerializer(BuiltOnceModelSerializer):
    project = VisibleRelatedField(queryset=Project.objects.all())
    signed_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, write_only=True
    )

    class Meta:
        model = ContractMilestone
        fields = ["id", "project", "kind", "reached_on", "note", "recorded_by", "signed_amount"]
        read_only_fields = ["recorded_by"]
        validators = []  # (project, kind) is upserted by the service
