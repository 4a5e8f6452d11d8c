"""The node API: node instances (read, scoped through visible projects) and their actions —
submit, approve, return, skip — and delay reasons (list, give, decide).

Every write calls a service. A node (or reason) no longer in the state an action needs is
answered with HTTP 409 naming its current state; an incomplete submission is a 400 naming
each missing item by field (``data.<name>``, ``checklist``, ``documents``); an action
beyond the caller's role is a 403; another team's node is a 404.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pathscore.api.viewsets import ScopedViewSetMixin
from pathscore.process import services
from pathscore.process.api import serializers_nodes as s
from pathscore.process.filtersets import NodeInstanceFilterSet
from pathscore.process.models import DelayReason, NodeInstance, Submission
from pathscore.process.standards import check_standard, clean_fields
from pathscore.process.views.nodes import manages_owner


def _conflict(error: DjangoValidationError, current_state: str) -> Response:
    return Response(
        {"detail": " ".join(error.messages), "errors": {}, "current_state": current_state},
        status=status.HTTP_409_CONFLICT,
    )


def _incomplete_errors(definition, arguments: dict) -> dict:
    """The standard's problems keyed by what the caller sent: ``data.<field>`` for each
    declared field, ``checklist`` and ``documents`` — the same checks the service runs."""
    data = arguments.get("data") or {}
    errors = {}
    for spec in definition.fields or []:
        _cleaned, problems = clean_fields([spec], data)
        if problems:
            errors[f"data.{spec['name']}"] = problems
    kinds = {version.document.kind for version in arguments.get("documents", [])}
    checklist_only = SimpleNamespace(
        fields=[], checklist=definition.checklist, required_document_kinds=[]
    )
    _f, _t, problems = check_standard(
        checklist_only, data={}, checklist=arguments.get("checklist", []), document_kinds=kinds
    )
    if problems:
        errors["checklist"] = problems
    documents_only = SimpleNamespace(
        fields=[], checklist=[], required_document_kinds=definition.required_document_kinds
    )
    _f, _t, problems = check_standard(documents_only, data={}, checklist=[], document_kinds=kinds)
    if problems:
        errors["documents"] = problems
    return errors


CONFLICT = OpenApiResponse(
    s.ConflictSerializer, description="The node is not in the state this action needs."
)
REFUSED = OpenApiResponse(s.ErrorSerializer, description="Invalid or incomplete input.")
FORBIDDEN = OpenApiResponse(s.ErrorSerializer, description="Not allowed for your role.")


class NodeInstanceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Node instances of the projects you can see (and those you submitted)."""

    queryset = NodeInstance.objects.all()
    serializer_class = s.NodeInstanceSerializer
    filterset_class = NodeInstanceFilterSet

    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .select_related("definition", "project__owner__department")
            .order_by("project_id", "order")
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch(
                    "submissions",
                    queryset=Submission.objects.order_by("-number").prefetch_related("documents"),
                )
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.NodeInstanceDetailSerializer
        return super().get_serializer_class()

    def _node_response(self, node) -> Response:
        node = self.get_queryset().get(pk=node.pk)
        return Response(s.NodeInstanceSerializer(node, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.NodeSubmitSerializer,
        responses={201: s.SubmissionSerializer, 400: REFUSED, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], serializer_class=s.NodeSubmitSerializer)
    def submit(self, request, pk=None):
        """Submit the node's deliverable (the project's owner). An incomplete submission is
        refused with every missing item named."""
        node = self.get_object()
        if node.project.owner_id != request.user.pk:
            raise PermissionDenied
        serializer = s.NodeSubmitSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        arguments = dict(serializer.validated_data)
        try:
            submission = services.node_submit(node=node, user=request.user, **arguments)
        except services.Conflict as error:
            return _conflict(error, error.current_state)
        except DjangoValidationError as error:
            errors = _incomplete_errors(node.definition, arguments)
            if hasattr(error, "error_dict") or not errors:
                raise
            return Response(
                {"detail": " ".join(error.messages), "errors": errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(s.SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.NodeApproveSerializer,
        responses={200: s.NodeInstanceSerializer, 400: REFUSED, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], serializer_class=s.NodeApproveSerializer)
    def approve(self, request, pk=None):
        """Approve the pending submission with a quality score (a reviewer of the node);
        the node is scored and the next one starts."""
        node = self.get_object()
        if not services._is_reviewer(node, request.user):
            raise PermissionDenied
        serializer = s.NodeApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            node = services.review_approve(
                node=node, reviewer=request.user, **serializer.validated_data
            )
        except services.Conflict as error:
            return _conflict(error, error.current_state)
        return self._node_response(node)

    @extend_schema(
        request=s.NodeReturnSerializer,
        responses={200: s.NodeInstanceSerializer, 400: REFUSED, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        url_name="return",
        serializer_class=s.NodeReturnSerializer,
    )
    def return_submission(self, request, pk=None):
        """Return the pending submission to its owner with a reason (a reviewer)."""
        node = self.get_object()
        if not services._is_reviewer(node, request.user):
            raise PermissionDenied
        serializer = s.NodeReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            node = services.review_return(
                node=node, reviewer=request.user, **serializer.validated_data
            )
        except services.Conflict as error:
            return _conflict(error, error.current_state)
        return self._node_response(node)

    @extend_schema(
        request=s.NodeSkipSerializer,
        responses={200: s.NodeInstanceSerializer, 400: REFUSED, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], serializer_class=s.NodeSkipSerializer)
    def skip(self, request, pk=None):
        """Skip a node that does not apply (the owner's manager, with a reason)."""
        node = self.get_object()
        if not manages_owner(node.project, request.user):
            raise PermissionDenied
        serializer = s.NodeSkipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            node = services.node_skip(node=node, manager=request.user, **serializer.validated_data)
        except services.Conflict as error:
            return _conflict(error, error.current_state)
        return self._node_response(node)


class DelayReasonViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Delay reasons of late nodes: the owner gives one, the owner's manager decides."""

    queryset = DelayReason.objects.all()
    serializer_class = s.DelayReasonSerializer
    filterset_fields = ["node", "project", "decision"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("category", "node__definition", "project__owner__department")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=s.DelayReasonSerializer,
        responses={201: s.DelayReasonSerializer, 400: REFUSED, 403: FORBIDDEN},
    )
    def create(self, request, *args, **kwargs):
        """Give the reason a node is late (the project's owner); the manager sees it at once."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        node = serializer.validated_data["node"]
        if node.project.owner_id != request.user.pk:
            raise PermissionDenied
        reason = services.delay_reason_give(
            node=node,
            user=request.user,
            category=serializer.validated_data["category"],
            text=serializer.validated_data["text"],
        )
        return Response(self.get_serializer(reason).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.DelayDecisionSerializer,
        responses={200: s.DelayReasonSerializer, 400: REFUSED, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], serializer_class=s.DelayDecisionSerializer)
    def decide(self, request, pk=None):
        """Accept the reason (waiving a share of the deduction for a customer or external
        cause) or not (the owner's manager). Both decisions are kept."""
        reason = self.get_object()
        if not manages_owner(reason.project, request.user):
            raise PermissionDenied
        serializer = s.DelayDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            reason = services.delay_reason_decide(
                reason=reason,
                manager=request.user,
                accept=data["decision"] == s.DelayDecisionSerializer.ACCEPT,
                waived_share=data["waived_share"],
                note=data["note"],
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) != "conflict":
                raise
            reason.refresh_from_db(fields=["decision"])
            return _conflict(error, reason.decision)
        # The action's serializer reads the decision; the answer is the reason itself.
        reason = self.get_queryset().get(pk=reason.pk)
        return Response(s.DelayReasonSerializer(reason, context=self.get_serializer_context()).data)
