"""Scorecards, ratings, training and commendations over the API: every read scoped by
``visible_to``, every write through a service (a refused one is a 400 naming the field,
a role that may not write is a 403)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pathscore.api.viewsets import ScopedViewSetMixin, ServiceModelViewSet
from pathscore.scoring import selectors, services
from pathscore.scoring.api import serializers_admin as s
from pathscore.scoring.filtersets import (
    CommendationFilterSet,
    CustomerRatingFilterSet,
    QualityRatingFilterSet,
    ScorecardFilterSet,
    TrainingSessionFilterSet,
)
from pathscore.scoring.models import (
    Commendation,
    CustomerRating,
    QualityRating,
    Scorecard,
    TrainingCourse,
    TrainingSession,
)


class _CreateReadViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_object(dict(serializer.validated_data))
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)


class ScorecardViewSet(_CreateReadViewSet):
    """Scorecards and their versions; HR admins create drafts, edit and publish them."""

    queryset = Scorecard.objects.all()
    serializer_class = s.ScorecardSerializer
    filterset_class = ScorecardFilterSet

    def get_queryset(self):
        return selectors.scorecard_for_detail(self.request.user)

    def create_object(self, data):
        return services.scorecard_create(actor=self.request.user, **data)

    def _answer(self, scorecard, code=status.HTTP_200_OK):
        scorecard = self.get_queryset().get(pk=scorecard.pk)
        return Response(self.get_serializer(scorecard).data, status=code)

    @extend_schema(request=None, responses={201: s.ScorecardSerializer})
    @action(detail=True, methods=["post"], url_path="new-draft")
    def new_draft(self, request, pk=None):
        draft = services.scorecard_new_draft(code=self.get_object().code, actor=request.user)
        return self._answer(draft, status.HTTP_201_CREATED)

    @extend_schema(request=s.ScorecardDimensionsWriteSerializer, responses=s.ScorecardSerializer)
    @action(detail=True, methods=["post"], url_path="dimensions")
    def set_dimensions(self, request, pk=None):
        scorecard = self.get_object()
        serializer = s.ScorecardDimensionsWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.scorecard_set_dimensions(
            scorecard=scorecard, actor=request.user, **serializer.validated_data
        )
        return self._answer(scorecard)

    @extend_schema(request=s.ScorecardItemsWriteSerializer, responses=s.ScorecardSerializer)
    @action(detail=True, methods=["post"], url_path="items")
    def set_items(self, request, pk=None):
        scorecard = self.get_object()
        serializer = s.ScorecardItemsWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = [dict(item) for item in serializer.validated_data["items"]]
        services.scorecard_set_items(scorecard=scorecard, actor=request.user, items=items)
        return self._answer(scorecard)

    @extend_schema(request=s.ScorecardPublishSerializer, responses=s.ScorecardSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        scorecard = self.get_object()
        serializer = s.ScorecardPublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.scorecard_publish(
            scorecard=scorecard, actor=request.user, **serializer.validated_data
        )
        return self._answer(scorecard)


class CustomerRatingViewSet(_CreateReadViewSet):
    queryset = CustomerRating.objects.all()
    serializer_class = s.CustomerRatingSerializer
    filterset_class = CustomerRatingFilterSet

    def get_queryset(self):
        return selectors.customer_ratings_for_list(self.request.user)

    def create_object(self, data):
        return services.customer_rating_create(actor=self.request.user, **data)


class QualityRatingViewSet(_CreateReadViewSet):
    queryset = QualityRating.objects.all()
    serializer_class = s.QualityRatingSerializer
    filterset_class = QualityRatingFilterSet

    def get_queryset(self):
        return selectors.quality_ratings_for_list(self.request.user)

    def create_object(self, data):
        return services.quality_rating_create(actor=self.request.user, **data)


class TrainingCourseViewSet(ServiceModelViewSet):
    queryset = TrainingCourse.objects.all()
    serializer_class = s.TrainingCourseSerializer

    def create_object(self, data):
        return services.training_course_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.training_course_update(actor=self.request.user, course=instance, **data)


class TrainingSessionViewSet(_CreateReadViewSet):
    queryset = TrainingSession.objects.all()
    serializer_class = s.TrainingSessionSerializer
    filterset_class = TrainingSessionFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("course")

    def create_object(self, data):
        return services.training_session_create(actor=self.request.user, **data)

    @extend_schema(request=s.AttendanceWriteSerializer, responses=s.TrainingSessionSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        session = self.get_object()
        serializer = s.AttendanceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.attendance_record(
            actor=request.user,
            session=session,
            attended_ids=serializer.validated_data["attended"],
        )
        return Response(self.get_serializer(session).data)

    @extend_schema(request=s.AssignWriteSerializer, responses=s.TrainingSessionSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Make a person a required attendee (their manager or HR): what the suggested
        training of a score proposes; the participation rate counts it once held."""
        session = self.get_object()
        serializer = s.AssignWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.training_assign(
            actor=request.user,
            session=session,
            person=serializer.validated_data["person"],
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(self.get_serializer(session).data)


class CommendationViewSet(_CreateReadViewSet):
    queryset = Commendation.objects.all()
    serializer_class = s.CommendationSerializer
    filterset_class = CommendationFilterSet

    def get_queryset(self):
        return selectors.commendations_for_list(self.request.user)

    def create_object(self, data):
        return services.commendation_create(actor=self.request.user, **data)
