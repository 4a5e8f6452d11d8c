"""The evaluation's API routes: each part appends a function registering its viewsets."""

_registrations = []


def register(router):
    for add in _registrations:
        add(router)


# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------


def _register_admin(router):
    from pathscore.scoring.api import views_admin as v

    router.register("scorecards", v.ScorecardViewSet, basename="scorecard")
    router.register("customer-ratings", v.CustomerRatingViewSet, basename="customerrating")
    router.register("quality-ratings", v.QualityRatingViewSet, basename="qualityrating")
    router.register("training-courses", v.TrainingCourseViewSet, basename="trainingcourse")
    router.register("training-sessions", v.TrainingSessionViewSet, basename="trainingsession")
    router.register("commendations", v.CommendationViewSet, basename="commendation")


_registrations.append(_register_admin)


# --- Periods, results and appeals --------------------------------------------------------------


def _register_periods(router):
    from pathscore.scoring.api import views_periods as v

    router.register("periods", v.PeriodViewSet, basename="period")
    router.register("results", v.ResultViewSet, basename="result")
    router.register("appeals", v.AppealViewSet, basename="appeal")


_registrations.append(_register_periods)
