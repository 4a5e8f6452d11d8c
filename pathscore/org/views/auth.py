"""Sign-in, sign-out, lockout, password change and language preference."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from pathscore.core.choices import SecurityEventKind
from pathscore.core.security import record_security_event
from pathscore.core.views import apply_validation_error
from pathscore.org import services
from pathscore.org.forms import LoginForm, PasswordChangeForm, PreferencesForm
from pathscore.org.views.tokens import render_profile


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "org/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out sign-in sees: the login page, the same for every account."""
    username = str((credentials or {}).get("username", ""))[:150]
    record_security_event(kind=SecurityEventKind.LOCKED_OUT, request=request, username=username)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "lockout_minutes": minutes,
    }
    return render(request, "org/login.html", context, status=429)


class PasswordChangeView(LoginRequiredMixin, FormView):
    form_class = PasswordChangeForm
    template_name = "org/password_change.html"

    def form_valid(self, form):
        try:
            services.user_change_own_password(
                user=self.request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                request=self.request,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                apply_validation_error(form, error)
            else:
                form.add_error("new_password", error)
            return self.form_invalid(form)
        messages.success(
            self.request, _("Your password was changed. Your other sessions have been signed out.")
        )
        return redirect("profile")


class ProfileView(LoginRequiredMixin, View):
    def get(self, request):
        return render_profile(request)


class LanguageView(View):
    """Switch the UI language: saved on the account, and in a cookie for the login page."""

    def post(self, request):
        form = PreferencesForm(request.POST)
        target = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "/"
        response = redirect(target)
        if form.is_valid():
            language = form.cleaned_data["language"]
            if request.user.is_authenticated:
                services.user_set_preferences(user=request.user, language=language)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
