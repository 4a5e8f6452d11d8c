from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from pathscore.core.choices import Role
from pathscore.core.scoping import scope_for
from pathscore.core.views import HomeView, SecurityLogView
from pathscore.org.views import auth, tokens


def _system_admins_only(request):
    # Django admin is a system administrator's tool; nobody else may enter it.
    return request.user.is_active and scope_for(request.user).has_role(Role.SYSTEM_ADMIN)


admin.site.has_permission = _system_admins_only
admin.site.site_header = "Pathscore"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", auth.ProfileView.as_view(), name="profile"),
    path("accounts/profile/tokens/", tokens.ApiTokenCreateView.as_view(), name="token-create"),
    path(
        "accounts/profile/tokens/<int:pk>/revoke/",
        tokens.ApiTokenRevokeView.as_view(),
        name="token-revoke",
    ),
    path("accounts/password/", auth.PasswordChangeView.as_view(), name="password-change"),
    path("language/", auth.LanguageView.as_view(), name="set-language"),
    path("org/", include("pathscore.org.urls")),
    path("inbox/", include("pathscore.notify.urls")),
    path("notify/webhooks/", include("pathscore.notify.webhook_urls")),
    path("", include("pathscore.crm.urls")),
    path("process/", include("pathscore.process.urls")),
    path("scoring/", include("pathscore.scoring.urls")),
    path("insights/", include("pathscore.insights.urls")),
    path("imports/", include("pathscore.transfer.urls")),
    path("security-log/", SecurityLogView.as_view(), name="security-log"),
    path("api/", include("pathscore.api.urls")),
    path("admin/", admin.site.urls),
]

# The pages' error views, answering in the API's JSON error format under /api/.
handler400 = "pathscore.api.errors.bad_request"
handler403 = "pathscore.api.errors.permission_denied"
handler404 = "pathscore.api.errors.not_found"
handler500 = "pathscore.api.errors.server_error"

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
