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
