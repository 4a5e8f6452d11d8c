"""Ratings, training and commendations: the records behind the ability and attitude
indicators, and recognition.

Managers (for their own people) and HR record customer ratings and commendations; technical
support, managers and HR rate the quality of a report or proposal version; HR keeps the
training courses; HR and managers hold sessions and tick attendance.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedListView,
    ServiceFormMixin,
)
from pathscore.scoring import selectors, services
from pathscore.scoring.filtersets import (
    CommendationFilterSet,
    CustomerRatingFilterSet,
    QualityRatingFilterSet,
    TrainingSessionFilterSet,
)
from pathscore.scoring.forms import (
    CommendationForm,
    CustomerRatingForm,
    QualityRatingForm,
    TrainingCourseForm,
    TrainingSessionForm,
)
from pathscore.scoring.models import (
    Commendation,
    CustomerRating,
    QualityRating,
    TrainingCourse,
    TrainingSession,
)
from pathscore.scoring.tables import (
    CommendationTable,
    CustomerRatingTable,
    QualityRatingTable,
    TrainingCourseTable,
    TrainingSessionTable,
)

FORM_TEMPLATE = "scoring/activities/form.html"


class _ActivityFormView(ServiceFormMixin, FormView):
    """A plain form page whose valid data goes to a service."""

    template_name = FORM_TEMPLATE
    title = ""
    cancel_url_name = ""
    success_url_name = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["cancel_url"] = reverse(self.cancel_url_name)
        return context

    def get_success_url(self):
        return reverse(self.success_url_name)


# --- Customer ratings ----------------------------------------------------------------------


class RatingWriterMixin(PermissionRequiredMixin):
    def allowed(self, scope):
        return services.can_record_ratings(self.request.user)


class CustomerRatingListView(ScopedListView):
    model = CustomerRating
    table_class = CustomerRatingTable
    filterset_class = CustomerRatingFilterSet
    title = gettext_lazy("Customer ratings")
    export_name = "customer-ratings"
    create_label = gettext_lazy("Record a rating")

    template_name = "scoring/activities/ratings_list.html"
    extra_context = {"tab": "customer"}

    def scoped_queryset(self):
        return selectors.customer_ratings_for_list(self.request.user)

    def get_create_url(self):
        if services.can_record_ratings(self.request.user):
            return reverse("scoring:rating-create")
        return None


class CustomerRatingCreateView(RatingWriterMixin, _ActivityFormView):
    form_class = CustomerRatingForm
    title = gettext_lazy("Record a customer rating")
    cancel_url_name = success_url_name = "scoring:rating-list"
    success_message = gettext_lazy("Rating recorded.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"rated_on": timezone.localdate()}

    def perform(self, form):
        return services.customer_rating_create(actor=self.request.user, **form.cleaned_data)


# --- Quality ratings -----------------------------------------------------------------------


class QualityRatingListView(ScopedListView):
    model = QualityRating
    table_class = QualityRatingTable
    filterset_class = QualityRatingFilterSet
    title = gettext_lazy("Quality ratings")
    export_name = "quality-ratings"

    template_name = "scoring/activities/ratings_list.html"
    extra_context = {"tab": "quality"}

    def scoped_queryset(self):
        return selectors.quality_ratings_for_list(self.request.user)


class QualityRatingCreateView(PermissionRequiredMixin, _ActivityFormView):
    """Rate a document version: ``?version=<pk>`` (a version the rater can see)."""

    form_class = QualityRatingForm
    title = gettext_lazy("Rate quality")
    cancel_url_name = success_url_name = "scoring:quality-list"
    success_message = gettext_lazy("Quality rating recorded.")
    template_name = "scoring/activities/quality_form.html"

    def allowed(self, scope):
        return services.can_rate_quality(self.request.user)

    def dispatch(self, request, *args, **kwargs):
        from pathscore.crm.models import DocumentVersion

        if request.user.is_authenticated and services.can_rate_quality(request.user):
            raw = request.POST.get("version") or request.GET.get("version") or ""
            self.version = get_object_or_404(
                DocumentVersion.objects.visible_to(request.user).select_related(
                    "document", "uploaded_by"
                ),
                pk=int(raw) if raw.isdigit() else 0,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"rated_on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "version": self.version}

    def perform(self, form):
        return services.quality_rating_create(
            actor=self.request.user, version=self.version, **form.cleaned_data
        )


# --- Training ------------------------------------------------------------------------------


class TrainingHolderMixin(PermissionRequiredMixin):
    def allowed(self, scope):
        return services.can_hold_training(self.request.user)


class CourseKeeperMixin(PermissionRequiredMixin):
    def allowed(self, scope):
        return services.can_keep_courses(self.request.user)


class TrainingSessionListView(ScopedListView):
    model = TrainingSession
    table_class = TrainingSessionTable
    filterset_class = TrainingSessionFilterSet
    title = gettext_lazy("Training sessions")
    export_name = "training-sessions"
    create_label = gettext_lazy("New session")
    template_name = "scoring/activities/training_list.html"
    extra_context = {"tab": "sessions"}

    def scoped_queryset(self):
        return selectors.training_sessions_for_list(self.request.user)

    def get_create_url(self):
        if services.can_hold_training(self.request.user):
            return reverse("scoring:session-create")
        return None


class TrainingSessionCreateView(TrainingHolderMixin, _ActivityFormView):
    form_class = TrainingSessionForm
    title = gettext_lazy("New training session")
    cancel_url_name = "scoring:session-list"
    success_message = gettext_lazy("Session created.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def perform(self, form):
        return services.training_session_create(actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        return reverse("scoring:session-detail", args=[self.object.pk])


class TrainingSessionDetailView(LoginRequiredMixin, View):
    """A session's required attendees; HR and managers tick who attended."""

    template_name = "scoring/activities/session_detail.html"

    def show(self, request, session, *, error=None, status=200):
        attendances = list(selectors.session_attendances(session, request.user))
        can_record = services.can_hold_training(request.user)
        rows = [
            {
                "attendance": row,
                "editable": can_record and services.manages_person(request.user, row.person),
            }
            for row in attendances
        ]
        return render(
            request,
            self.template_name,
            {
                "session": session,
                "title": str(session),
                "rows": rows,
                "can_record": can_record and any(row["editable"] for row in rows),
                "error": error,
            },
            status=status,
        )

    def get_session(self, request, pk):
        return get_object_or_404(
            TrainingSession.objects.visible_to(request.user).select_related("course"), pk=pk
        )

    def get(self, request, pk):
        return self.show(request, self.get_session(request, pk))

    def post(self, request, pk):
        session = self.get_session(request, pk)
        if not services.can_hold_training(request.user):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        try:
            services.attendance_record(
                actor=request.user,
                session=session,
                attended_ids=[pk for pk in request.POST.getlist("attended") if pk.isdigit()],
            )
        except ValidationError as error:
            return self.show(request, session, error=" ".join(error.messages), status=400)
        messages.success(request, _("Attendance saved."))
        return redirect("scoring:session-detail", pk=session.pk)


class TrainingCourseListView(ScopedListView):
    model = TrainingCourse
    table_class = TrainingCourseTable
    title = gettext_lazy("Training courses")
    export_name = "training-courses"
    create_label = gettext_lazy("New course")

    template_name = "scoring/activities/training_list.html"
    extra_context = {"tab": "courses"}

    def get_create_url(self):
        if services.can_keep_courses(self.request.user):
            return reverse("scoring:course-create")
        return None


class TrainingCourseCreateView(CourseKeeperMixin, _ActivityFormView):
    form_class = TrainingCourseForm
    title = gettext_lazy("New training course")
    cancel_url_name = success_url_name = "scoring:course-list"
    success_message = gettext_lazy("Course saved.")

    def perform(self, form):
        return services.training_course_create(actor=self.request.user, **form.cleaned_data)


class TrainingCourseEditView(CourseKeeperMixin, _ActivityFormView):
    form_class = TrainingCourseForm
    cancel_url_name = success_url_name = "scoring:course-list"
    success_message = gettext_lazy("Course saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            # Signed out: the sign-in page first, not a "not found" for every course.
            self.course = get_object_or_404(
                TrainingCourse.objects.visible_to(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("Edit %(name)s") % {"name": self.course.name}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "editing": True}

    def get_initial(self):
        course = self.course
        return {
            "code": course.code,
            "name": course.name,
            "description": course.description,
            "indicators": course.indicators,
            "is_active": course.is_active,
        }

    def perform(self, form):
        data = dict(form.cleaned_data)
        data.pop("code", None)
        return services.training_course_update(actor=self.request.user, course=self.course, **data)


# --- Commendations -------------------------------------------------------------------------


class CommendationListView(ScopedListView):
    model = Commendation
    table_class = CommendationTable
    filterset_class = CommendationFilterSet
    title = gettext_lazy("Commendations")
    export_name = "commendations"
    create_label = gettext_lazy("Commend someone")

    template_name = "scoring/activities/ratings_list.html"
    extra_context = {"tab": "commendations"}

    def scoped_queryset(self):
        return selectors.commendations_for_list(self.request.user)

    def get_create_url(self):
        if services.can_record_ratings(self.request.user):
            return reverse("scoring:commendation-create")
        return None


class CommendationCreateView(RatingWriterMixin, _ActivityFormView):
    form_class = CommendationForm
    title = gettext_lazy("Commend someone")
    cancel_url_name = success_url_name = "scoring:commendation-list"
    success_message = gettext_lazy("Commendation recorded.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"given_on": timezone.localdate()}

    def perform(self, form):
        return services.commendation_create(actor=self.request.user, **form.cleaned_data)


urlpatterns = [
    path("ratings/", CustomerRatingListView.as_view(), name="rating-list"),
    path("ratings/new/", CustomerRatingCreateView.as_view(), name="rating-create"),
    path("quality/", QualityRatingListView.as_view(), name="quality-list"),
    path("quality/new/", QualityRatingCreateView.as_view(), name="quality-create"),
    path("training/", TrainingSessionListView.as_view(), name="session-list"),
    path("training/sessions/new/", TrainingSessionCreateView.as_view(), name="session-create"),
    path("training/sessions/<int:pk>/", TrainingSessionDetailView.as_view(), name="session-detail"),
    path("training/courses/", TrainingCourseListView.as_view(), name="course-list"),
    path("training/courses/new/", TrainingCourseCreateView.as_view(), name="course-create"),
    path("training/courses/<int:pk>/", TrainingCourseEditView.as_view(), name="course-edit"),
    path("commendations/", CommendationListView.as_view(), name="commendation-list"),
    path("commendations/new/", CommendationCreateView.as_view(), name="commendation-create"),
]
