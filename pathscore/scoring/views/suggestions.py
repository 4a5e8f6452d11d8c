"""Suggested training on the score page (推荐培训).

From the person's weakest indicators, the active courses mapped to them and their upcoming
sessions (``selectors.suggested_training``). The person sees the suggestions; their manager
or HR assigns a session with one button, which makes the person a required attendee —
exactly what the attitude indicator "training participation rate" counts.

The score page loads the card with htmx; without JavaScript it is a page of its own.
Whoever may not see the person's score gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.choices import SecurityEventKind
from pathscore.core.security import record_security_event
from pathscore.scoring import selectors, services
from pathscore.scoring.models import Period, TrainingSession
from pathscore.scoring.views.scores import person_score, visible_people


def _period_and_person(request, pk, person_pk):
    period = get_object_or_404(Period.objects.visible_to(request.user), pk=pk)
    person = get_object_or_404(
        visible_people(request.user).select_related("department"), pk=person_pk
    )
    return period, person


def card_context(request, period, person) -> dict:
    score = person_score(period, person, request.user)
    suggestions = (
        selectors.suggested_training(
            person, score["items"], viewer=request.user, dimension_weights=score["weights"]
        )
        if score
        else selectors.TrainingSuggestions()
    )
    viewer = request.user
    return {
        "period": period,
        "person": person,
        "has_score": score is not None,
        "suggestions": suggestions,
        "can_assign": services.can_hold_training(viewer)
        and services.manages_person(viewer, person),
        "can_map_courses": services.can_keep_courses(viewer),
    }


@method_decorator(never_cache, name="dispatch")
class TrainingSuggestionsView(LoginRequiredMixin, View):
    """The card (for htmx) or a page with the card."""

    def get(self, request, pk, person_pk):
        period, person = _period_and_person(request, pk, person_pk)
        context = card_context(request, period, person)
        if getattr(request, "htmx", False):
            return render(request, "scoring/scores/_training_card.html", context)
        context["title"] = _("Suggested training · %(name)s") % {"name": person.name}
        return render(request, "scoring/scores/training.html", context)


@method_decorator(never_cache, name="dispatch")
class TrainingAssignView(LoginRequiredMixin, View):
    """POST: require the person at an upcoming session (their manager or HR)."""

    def post(self, request, pk, person_pk, session_pk):
        period, person = _period_and_person(request, pk, person_pk)
        session = get_object_or_404(
            TrainingSession.objects.visible_to(request.user).select_related("course"),
            pk=session_pk,
        )
        error = None
        if session.held_on < timezone.localdate():
            error = _("This session has taken place already: choose an upcoming one.")
        else:
            try:
                services.training_assign(
                    actor=request.user,
                    session=session,
                    person=person,
                    reason=_("Suggested by the score of %(period)s") % {"period": period.name},
                )
            except PermissionDenied:
                record_security_event(
                    kind=SecurityEventKind.PERMISSION_DENIED,
                    request=request,
                    actor=request.user,
                    path=request.path[:300],
                )
                raise
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
        done = _("%(name)s is now required at %(course)s on %(day)s.") % {
            "name": person.name,
            "course": session.course.name,
            "day": f"{session.held_on:%Y-%m-%d}",
        }
        if getattr(request, "htmx", False):
            context = card_context(request, period, person)
            context["error"] = error
            context["done"] = None if error else done
            return render(request, "scoring/scores/_training_card.html", context)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, done)
        return redirect("scoring:person-score", pk=period.pk, person_pk=person.pk)


urlpatterns = [
    path(
        "periods/<int:pk>/people/<int:person_pk>/training/",
        TrainingSuggestionsView.as_view(),
        name="score-training",
    ),
    path(
        "periods/<int:pk>/people/<int:person_pk>/training/<int:session_pk>/assign/",
        TrainingAssignView.as_view(),
        name="training-assign",
    ),
]
