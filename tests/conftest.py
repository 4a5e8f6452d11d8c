import pytest

from pathscore.core.testing.personas import build_personas


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


@pytest.fixture(autouse=True)
def _bundled_defaults(request):
    """Transactional tests (and the live server) empty every table between tests, the
    option lists, bundled process templates and the default scorecard that migrations
    seed included: put them back, exactly as a fresh installation has them."""
    if not _is_transactional(request):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from pathscore.core.options import seed_options
    from pathscore.process.seeding import seed_defaults

    seed_options()
    seed_defaults(apps)

    from pathscore.scoring.bundled import seed_default_scorecard

    seed_default_scorecard(apps)
