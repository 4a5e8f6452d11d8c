"""The records' API: every read scoped by ``visible_to``, every write through a service.

Customers, contacts, projects, follow-ups and contract terms carry an ETag; an update
with a stale ``If-Match`` is refused with 412 (see ``pathscore.api.concurrency``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from pathscore.api.concurrency import RevisionedViewSetMixin, revisioned_schema
from pathscore.api.errors import renamed
from pathscore.api.throttling import UploadThrottle
from pathscore.api.viewsets import ScopedViewSetMixin, ServiceModelViewSet
from pathscore.crm import services
from pathscore.crm.api import serializers as s
from pathscore.crm.filtersets import (
    ContactFilterSet,
    CustomerFilterSet,
    DocumentFilterSet,
    FollowUpFilterSet,
    ProjectFilterSet,
)
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
)


@revisioned_schema(s.CustomerSerializer)
class CustomerViewSet(RevisionedViewSetMixin, ServiceModelViewSet):
    """Customers. Answers carry an ETag; send it back in If-Match when updating."""

    queryset = Customer.objects.all()
    serializer_class = s.CustomerSerializer
    filterset_class = CustomerFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("customer_type", "owner")

    def create_object(self, data):
        return services.customer_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.customer_update(
            customer=instance,
            actor=self.request.user,
            expected_revision=self.expected_revision,
            **data,
        )


@revisioned_schema(s.ContactSerializer)
class ContactViewSet(RevisionedViewSetMixin, ServiceModelViewSet):
    """People at customers. Answers carry an ETag; send it back in If-Match when updating."""

    queryset = Contact.objects.all()
    serializer_class = s.ContactSerializer
    filterset_class = ContactFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("customer")

    def create_object(self, data):
        return services.contact_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.contact_update(
            contact=instance,
            actor=self.request.user,
            expected_revision=self.expected_revision,
            **data,
        )


@revisioned_schema(s.ProjectSerializer)
class ProjectViewSet(RevisionedViewSetMixin, ServiceModelViewSet):
    """Projects. Answers carry an ETag; send it back in If-Match when updating."""

    queryset = Project.objects.all()
    serializer_class = s.ProjectSerializer
    filterset_class = ProjectFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "owner", "category")

    def create_object(self, data):
        return services.project_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        data.pop("owner", None)  # the owner changes only through a hand-over
        return services.project_update(
            project=instance,
            actor=self.request.user,
            expected_revision=self.expected_revision,
            **data,
        )

    @extend_schema(request=s.ProjectStatusSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"], serializer_class=s.ProjectStatusSerializer)
    def status(self, request, pk=None):
        project = self.get_object()
        serializer = s.ProjectStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_set_status(
            project=project, actor=request.user, **serializer.validated_data
        )
        return Response(s.ProjectSerializer(project, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.ProjectHandoverSerializer, responses={201: s.ProjectHandoverSerializer}
    )
    @action(detail=True, methods=["post"], serializer_class=s.ProjectHandoverSerializer)
    def handover(self, request, pk=None):
        project = self.get_object()
        serializer = s.ProjectHandoverSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            handover = services.project_hand_over(
                project=project,
                actor=request.user,
                new_owner=serializer.validated_data["to_owner"],
                reason=serializer.validated_data.get("reason", ""),
            )
        except DjangoValidationError as error:
            raise renamed(error, new_owner="to_owner") from None
        return Response(s.ProjectHandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


@revisioned_schema(s.FollowUpSerializer)
class FollowUpViewSet(RevisionedViewSetMixin, ServiceModelViewSet):
    """Follow-ups. Answers carry an ETag; send it back in If-Match when updating."""

    queryset = FollowUp.objects.all()
    serializer_class = s.FollowUpSerializer
    filterset_class = FollowUpFilterSet

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("mode", "customer", "project", "author")
            .prefetch_related("participants", "contacts", "needs")
        )

    def create_object(self, data):
        return services.followup_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        data.pop("needs", None)
        data.pop("client_key", None)
        return services.followup_update(
            followup=instance,
            actor=self.request.user,
            expected_revision=self.expected_revision,
            **data,
        )

    @extend_schema(request=None, responses=s.FollowUpSerializer)
    @action(detail=True, methods=["post"], url_path="complete-next-action")
    def complete_next_action(self, request, pk=None):
        followup = self.get_object()
        services.followup_complete_next_action(followup=followup, actor=request.user)
        return Response(self.get_serializer(followup).data)


class CustomerNeedViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CustomerNeed.objects.all()
    serializer_class = s.CustomerNeedSerializer

    @extend_schema(request=None, responses=s.CustomerNeedSerializer)
    @action(detail=True, methods=["post"])
    def handled(self, request, pk=None):
        need = services.need_mark_handled(need=self.get_object(), actor=request.user)
        return Response(self.get_serializer(need).data)


class DocumentViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Document.objects.all()
    serializer_class = s.DocumentSerializer
    filterset_class = DocumentFilterSet
    # Creating a document uploads its first file, which only multipart/form-data carries.
    parser_classes = [MultiPartParser]
    throttle_classes = [UploadThrottle]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("versions")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.document_create(actor=request.user, **serializer.validated_data)
        document = self.get_queryset().get(pk=version.document_id)
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.VersionUploadSerializer, responses={201: s.DocumentVersionSerializer})
    @action(detail=True, methods=["post"], serializer_class=s.VersionUploadSerializer)
    def versions(self, request, pk=None):
        document = self.get_object()
        serializer = s.VersionUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.document_add_version(
            actor=request.user, document=document, **serializer.validated_data
        )
        return Response(s.DocumentVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class DocumentVersionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = DocumentVersion.objects.all()
    serializer_class = s.DocumentVersionSerializer

    @extend_schema(request=s.FeedbackSerializer, responses=s.DocumentVersionSerializer)
    @action(detail=True, methods=["post"], serializer_class=s.FeedbackSerializer)
    def feedback(self, request, pk=None):
        version = self.get_object()
        serializer = s.FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.version_record_feedback(
            actor=request.user, version=version, **serializer.validated_data
        )
        return Response(s.DocumentVersionSerializer(version).data)


@revisioned_schema(s.ContractTermSerializer)
class ContractTermViewSet(RevisionedViewSetMixin, ServiceModelViewSet):
    """Contract terms. Answers carry an ETag; send it back in If-Match when updating."""

    queryset = ContractTerm.objects.all()
    serializer_class = s.ContractTermSerializer
    filterset_fields = ["project", "state", "topic"]

    def create_object(self, data):
        return services.term_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        data.pop("project", None)
        return services.term_update(
            term=instance,
            actor=self.request.user,
            expected_revision=self.expected_revision,
            **data,
        )


class ContractMilestoneViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Recording a milestone again for the same project corrects its date (upsert)."""

    queryset = ContractMilestone.objects.all()
    serializer_class = s.ContractMilestoneSerializer
    filterset_fields = ["project", "kind"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = services.milestone_record(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(milestone).data, status=status.HTTP_201_CREATED)
