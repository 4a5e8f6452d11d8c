"""A URLconf for the error-page tests: the real one plus a view that fails."""

from django.urls import path

from pathscore.urls import urlpatterns as real_urlpatterns


def explode(request):
    raise RuntimeError("secret-internal-detail: the database password is hunter2")


urlpatterns = [path("boom/", explode), *real_urlpatterns]

handler400 = "pathscore.core.views.error_400"
handler403 = "pathscore.core.views.error_403"
handler404 = "pathscore.core.views.error_404"
handler500 = "pathscore.core.views.error_500"
