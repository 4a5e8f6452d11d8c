import pytest
from hypothesis import settings as hypothesis_settings

from pathscore.core.testing.personas import build_personas

# Property tests assert what the rules compute, not how fast: Hypothesis's per-example
# deadline (200 ms) failed them on a loaded two-core runner while every example held.
hypothesis_settings.register_profile("pathscore", deadline=None)
hypothesis_settings.load_profile("pathscore")


@pytest.fixture
def personas(db):
    return build_personas()


@pytest.fixture
def login(client):
    """Sign a persona in on the test client: ``login(personas.sales_a)``."""

    def _login(user):
        client.logout()
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def seed_bundled_defaults() -> None:
    """Put back what the migrations seed: option lists, bundled templates, the scorecard."""
    from django.apps import apps

    from pathscore.core.options import seed_options
    from pathscore.process.seeding import seed_defaults
    from pathscore.scoring.bundled import seed_default_scorecard

    seed_options()
    seed_defaults(apps)
    seed_default_scorecard(apps)


def ensure_bundled_defaults() -> None:
    """Seed again when an earlier flush emptied the tables (see ``_bundled_defaults``)."""
    from pathscore.core.models import Option

    if not Option.objects.exists():
        seed_bundled_defaults()


@pytest.fixture(autouse=True)
def _bundled_defaults(request):
    """Transactional tests (and the live server) empty every table between tests, the
    option lists, bundled process templates and the default scorecard that migrations
    seed included: put them back, exactly as a fresh installation has them."""
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        seed_bundled_defaults()
        return
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        # A live-server test reached through ``getfixturevalue`` is not recognised as
        # transactional when the tests are ordered, so it may run before this one in the
        # same worker and leave the tables flushed: seed them again inside this test's
        # transaction (rolled back with it) when the option lists are gone.
        request.getfixturevalue("db")
        ensure_bundled_defaults()
