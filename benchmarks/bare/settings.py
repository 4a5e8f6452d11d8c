"""Pathscore's settings (so the same database), with one URL and no middleware."""

from pathscore.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bare.urls"
MIDDLEWARE = []
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
# The INSERT alone: no history row beside it.
SIMPLE_HISTORY_ENABLED = False
