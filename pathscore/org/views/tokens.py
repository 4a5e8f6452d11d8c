"""Personal API tokens in the profile: list, create (secret shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.forms import style_form
from pathscore.core.views import apply_validation_error
from pathscore.org import selectors, services
from pathscore.org.forms import ApiTokenForm
from pathscore.org.models import ApiToken


def render_profile(request, token_form=None, status=200):
    """The profile page, with the API token card."""
    context = {
        "person": request.user,
        "tokens": selectors.api_tokens_of(request.user),
        "token_form": token_form or style_form(ApiTokenForm()),
    }
    return render(request, "org/profile.html", context, status=status)


@method_decorator(never_cache, name="dispatch")
class ApiTokenCreateView(LoginRequiredMixin, View):
    """Create a token and show its secret on the response page, once.

    The secret is rendered straight from the POST and never put in the session or
    anywhere else: after this page, nobody can read it again.
    """

    def post(self, request):
        form = style_form(ApiTokenForm(request.POST))
        if form.is_valid():
            try:
                token, secret = services.token_create(
                    user=request.user, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return render(request, "org/token_created.html", {"token": token, "secret": secret})
        style_form(form)
        return render_profile(request, token_form=form, status=400)


class ApiTokenRevokeView(LoginRequiredMixin, View):
    def post(self, request, pk):
        token = get_object_or_404(
            ApiToken.objects.visible_to(request.user).filter(user=request.user), pk=pk
        )
        services.token_revoke(token=token, actor=request.user, request=request)
        messages.success(request, _("The API token %(name)s is revoked.") % {"name": token.name})
        return redirect("profile")
