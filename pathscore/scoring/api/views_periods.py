"""Appraisal periods, results and appeals over the API.

Every read is scoped: periods are company rules anyone signed in reads; a result (and its
appeals) is seen by the person, the managers of their team's subtree, HR and executives —
another team's result is a 404. Every write calls a service:

* input the service refuses is a 400 naming the field (``points``, ``reason``…);
* an action beyond the caller's role (a salesperson adjusting, anyone but HR closing) is a
  403;
* an action the period's state does not allow now (closing it twice, appealing after the
  deadline, changing a published period) is a 409 with the period's ``current_state``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pathscore.api.errors import renamed
from pathscore.api.viewsets import ScopedViewSetMixin
from pathscore.scoring import selectors, services
from pathscore.scoring.api import serializers_periods as s
from pathscore.scoring.filtersets import AppealFilterSet, PeriodFilterSet, ResultFilterSet
from pathscore.scoring.models import Adjustment, Appeal, Period, Result
from pathscore.scoring.views.scores import person_score, visible_people

REFUSED = OpenApiResponse(s.RefusalSerializer, description="Invalid input, naming each field.")
FORBIDDEN = OpenApiResponse(s.RefusalSerializer, description="Not allowed for your role.")
NOT_FOUND = OpenApiResponse(s.RefusalSerializer, description="Not found in your scope.")
CONFLICT = OpenApiResponse(
    s.PeriodConflictSerializer, description="The period's state does not allow this now."
)
APPEAL_CONFLICT = OpenApiResponse(
    s.AppealConflictSerializer,
    description="The appeal is resolved already, or the period's state does not allow this.",
)
#: A list answers 400 to a filter value out of scope and 404 to a page beyond the last.
READ = {400: REFUSED, 403: FORBIDDEN, 404: NOT_FOUND}
READ_ONE = {403: FORBIDDEN, 404: NOT_FOUND}
#: What a write on a period or result may answer besides success.
WRITE = {400: REFUSED, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}

#: Refusal codes of the period services that mean "not in this state", answered with 409.
STATE_CODES = frozenset(
    {
        "conflict",
        "open",
        "closed",
        "published",
        "not_published",
        "appeals_open",
        "appeal_open",
        "acknowledged",
        "old_version",
        "deadline",
    }
)


def perform(service, period: Period, appeal: Appeal | None = None, /, **arguments):
    """Call a period service with ``arguments``, turning its coded refusals into the API's
    statuses: a role refusal is a 403, a state refusal a 409 naming the ``period``'s (and
    the ``appeal``'s) state now; field errors stay a 400."""
    try:
        return service(**arguments)
    except DjangoValidationError as error:
        code = None if hasattr(error, "error_dict") else getattr(error, "code", None)
        if code == "forbidden":
            raise exceptions.PermissionDenied(" ".join(error.messages)) from None
        if code not in STATE_CODES:
            raise
        period.refresh_from_db(fields=["state", "version"])
        body = {"detail": " ".join(error.messages), "errors": {}, "current_state": period.state}
        if appeal is not None:
            appeal.refresh_from_db(fields=["state"])
            body["appeal_state"] = appeal.state
        raise Conflict(body) from None


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, body: dict):
        super().__init__(body["detail"])
        self.body = body


def conflict_response(handler):
    """Answer a ``Conflict`` with its whole body (the error handler keeps only
    ``detail``)."""

    def wrapped(self, request, *args, **kwargs):
        try:
            return handler(self, request, *args, **kwargs)
        except Conflict as conflict:
            return Response(conflict.body, status=status.HTTP_409_CONFLICT)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _require_hr(user) -> None:
    if not services.is_hr(user):
        raise exceptions.PermissionDenied(_("Only HR admins manage appraisal periods."))


# --- Periods -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.PeriodSerializer(many=True), **READ}),
    retrieve=extend_schema(responses={200: s.PeriodSerializer, **READ_ONE}),
)
class PeriodViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Appraisal periods: everyone signed in reads them; HR opens, edits (while open),
    closes, publishes them and creates new versions of published ones."""

    queryset = Period.objects.all()
    serializer_class = s.PeriodSerializer
    filterset_class = PeriodFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().order_by("-starts_on", "-pk")

    def _answer(self, period, code=status.HTTP_200_OK) -> Response:
        return Response(s.PeriodSerializer(period).data, status=code)

    @extend_schema(
        request=s.PeriodCreateSerializer,
        responses={201: s.PeriodSerializer, 400: REFUSED, 403: FORBIDDEN},
    )
    def create(self, request, *args, **kwargs):
        """Open a month, a quarter (whole calendar units) or a custom range (HR)."""
        _require_hr(request.user)
        serializer = s.PeriodCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {key: value for key, value in serializer.validated_data.items() if value is not None}
        period = services.period_create(actor=request.user, **data)
        return self._answer(period, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PeriodUpdateSerializer,
        responses={200: s.PeriodSerializer, **WRITE},
    )
    @conflict_response
    def update(self, request, *args, **kwargs):
        """Rename an open period or change its end (custom), bound or days to appeal (HR)."""
        period = self.get_object()
        _require_hr(request.user)
        serializer = s.PeriodUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("name", period.name)
        try:
            perform(services.period_update, period, period=period, actor=request.user, **data)
        except DjangoValidationError as error:
            # The first day is fixed once open: a range refused here is the end's fault.
            raise renamed(error, starts_on="ends_on") from None
        return self._answer(period)

    @extend_schema(
        request=s.PeriodUpdateSerializer,
        responses={200: s.PeriodSerializer, **WRITE},
    )
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def _transition(self, request, service, **arguments) -> Response:
        period = self.get_object()
        _require_hr(request.user)
        perform(service, period, period=period, actor=request.user, **arguments)
        return self._answer(period)

    @extend_schema(
        request=None,
        responses={200: s.PeriodSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    @conflict_response
    def close(self, request, pk=None):
        """Freeze every score of the period with its inputs and rule versions (HR)."""
        return self._transition(request, services.period_close)

    @extend_schema(
        request=None,
        responses={200: s.PeriodSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    @conflict_response
    def publish(self, request, pk=None):
        """Publish a closed period once every appeal is resolved (HR)."""
        return self._transition(request, services.period_publish)

    @extend_schema(
        request=s.ReasonSerializer,
        responses={200: s.PeriodSerializer, **WRITE},
    )
    @action(detail=True, methods=["post"], url_path="new-version", url_name="new-version")
    @conflict_response
    def new_version(self, request, pk=None):
        """Reopen a published period as a new version, with a reason (HR); the previous
        version's results stay readable."""
        period = self.get_object()
        _require_hr(request.user)
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        perform(
            services.period_new_version,
            period,
            period=period,
            actor=request.user,
            reason=serializer.validated_data["reason"],
        )
        return self._answer(period)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "person", int, required=True, description="The person whose score it is."
            )
        ],
        responses={200: s.TrainingSuggestionsSerializer, 400: REFUSED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="suggested-training")
    def suggested_training(self, request, pk=None):
        """Training suggested by a person's score in this period: their weakest indicators,
        the active courses mapped to them and each course's upcoming sessions (assign one
        with ``POST /api/v1/training-sessions/{id}/assign/``)."""
        period = self.get_object()
        wanted = request.query_params.get("person", "")
        if not wanted.isdigit():
            raise exceptions.ValidationError({"person": [_("Give the person's id.")]})
        person = visible_people(request.user).filter(pk=wanted).first()
        if person is None:
            raise exceptions.NotFound()
        score = person_score(period, person, request.user)
        suggestions = (
            selectors.suggested_training(
                person, score["items"], viewer=request.user, dimension_weights=score["weights"]
            )
            if score
            else selectors.TrainingSuggestions()
        )
        body = {"person": person.pk, "weakest": suggestions.weakest, "courses": suggestions.courses}
        return Response(s.TrainingSuggestionsSerializer(body).data)


# --- Results -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.ResultSerializer(many=True), **READ}),
    retrieve=extend_schema(responses={200: s.ResultDetailSerializer, **READ_ONE}),
)
class ResultViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Frozen results: yours, your team's (managers), everyone's (HR and executives).
    The detail explains every indicator."""

    queryset = Result.objects.all()
    serializer_class = s.ResultSerializer
    filterset_class = ResultFilterSet

    def get_queryset(self):
        queryset = (
            super()
            .get_queryset()
            .select_related("person", "department", "period")
            .order_by("-period__starts_on", "period_id", "-version", "department_id", "rank", "pk")
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("adjustments", queryset=Adjustment.objects.order_by("made_at", "pk")),
                Prefetch("appeals", queryset=Appeal.objects.order_by("submitted_at", "pk")),
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return s.ResultSerializer
        return s.ResultDetailSerializer

    def _answer(self, result, code=status.HTTP_200_OK) -> Response:
        result = self.get_queryset().get(pk=result.pk)
        return Response(s.ResultDetailSerializer(result).data, status=code)

    @extend_schema(
        request=s.AdjustSerializer,
        responses={200: s.ResultDetailSerializer, **WRITE},
    )
    @action(detail=True, methods=["post"])
    @conflict_response
    def adjust(self, request, pk=None):
        """Change a closed score by ± points, or override one indicator's points, within the
        period's bound and with a reason (the person's manager or HR)."""
        result = self.get_object()
        if not services.manages_result(request.user, result):
            raise exceptions.PermissionDenied(_("Only the person's manager or HR adjusts a score."))
        serializer = s.AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        perform(
            services.result_adjust,
            result.period,
            result=result,
            actor=request.user,
            **serializer.validated_data,
        )
        return self._answer(result)

    @extend_schema(
        request=None,
        responses={200: s.ResultDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    @conflict_response
    def acknowledge(self, request, pk=None):
        """Accept your closed result (the person assessed)."""
        result = self.get_object()
        if result.person_id != request.user.pk:
            raise exceptions.PermissionDenied(_("Only the person assessed acknowledges a result."))
        perform(services.result_acknowledge, result.period, result=result, person=request.user)
        return self._answer(result)

    @extend_schema(
        request=s.ReasonSerializer,
        responses={201: s.AppealSerializer, **WRITE},
    )
    @action(detail=True, methods=["post"])
    @conflict_response
    def appeal(self, request, pk=None):
        """Dispute your closed result with a reason, before the deadline (the person)."""
        result = self.get_object()
        if result.person_id != request.user.pk:
            raise exceptions.PermissionDenied(
                _("Only the person assessed appeals against a result.")
            )
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeal = perform(
            services.appeal_submit,
            result.period,
            result=result,
            person=request.user,
            reason=serializer.validated_data["reason"],
        )
        appeal = Appeal.objects.select_related("result__person").get(pk=appeal.pk)
        return Response(s.AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


# --- Appeals -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: s.AppealSerializer(many=True), **READ}),
    retrieve=extend_schema(responses={200: s.AppealSerializer, **READ_ONE}),
)
class AppealViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Appeals against results you may see; the person's manager or HR resolves them."""

    queryset = Appeal.objects.all()
    serializer_class = s.AppealSerializer
    filterset_class = AppealFilterSet

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("result__person", "result__department", "result__period")
            .order_by("-submitted_at", "-pk")
        )

    @extend_schema(
        request=s.AppealResolveSerializer,
        responses={
            200: s.AppealSerializer,
            400: REFUSED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: APPEAL_CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    @conflict_response
    def resolve(self, request, pk=None):
        """Uphold (optionally adjusting within the bound) or reject an open appeal, saying
        why (the person's manager or HR)."""
        appeal = self.get_object()
        if not services.manages_result(request.user, appeal.result):
            raise exceptions.PermissionDenied(
                _("Only the person's manager or HR resolves an appeal.")
            )
        serializer = s.AppealResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        perform(
            services.appeal_resolve,
            appeal.result.period,
            appeal,
            appeal=appeal,
            actor=request.user,
            upheld=data["decision"] == s.AppealResolveSerializer.UPHOLD,
            resolution=data["resolution"],
            points=data.get("points"),
            indicator=data.get("indicator", ""),
        )
        return Response(s.AppealSerializer(self.get_queryset().get(pk=appeal.pk)).data)
