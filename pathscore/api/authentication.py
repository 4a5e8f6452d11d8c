"""API authentication with personal tokens: ``Authorization: Bearer ps_...``.

Browsers keep using their session; scripts send a token created in the profile.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from pathscore.core.security import client_ip
from pathscore.org import services

#: Accepted keywords before the secret; ``Token`` for clients written for DRF's own scheme.
KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by its personal API token.

    Requests without an ``Authorization`` header with a token keyword are left to the
    next authenticator (the session); a token that is unknown, expired, revoked or
    belongs to a deactivated user is a 401.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send exactly one token after the Bearer keyword.")
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The API token is invalid.")) from None
        token = services.token_authenticate(secret=secret, ip=client_ip(request))
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("The API token is invalid, expired or revoked.")
            )
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pathscore.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token created in the profile (`ps_...`); read-only "
                "tokens may only use safe methods."
            ),
        }
