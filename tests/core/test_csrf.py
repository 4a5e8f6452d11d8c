"""CSRF: every form and every session-authenticated API write, discovered from the URLconf
and the router, is refused (403) without a CSRF token — and writes nothing.

The test client normally skips the check; ``Client(enforce_csrf_checks=True)`` behaves like
a browser whose page was forged on another site: the session cookie is sent, the token is
not. API calls with a personal token carry no cookie and need no CSRF token (a forged page
cannot add the Authorization header).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.core.test_authorization_matrix import EXEMPT, routes, values_for, world  # noqa: F401 (fixture)
from tests.core.test_write_matrix import (
    BODIES,
    PAGE_DATA,
    attempt,
    key,
    scene,  # noqa: F401 (the fixture)
    write_routes,
)

pytestmark = pytest.mark.django_db


def every_form_route():
    """The write routes of the matrix and the exempt forms (sign-in, sign-out, language)."""
    exempt = [
        (route, "post")
        for route in routes()
        if route.template in EXEMPT and hasattr(route.view, "post")
    ]
    return write_routes() + exempt


@pytest.mark.parametrize("name", ["sales_a", "manager_a", "tech", "hr"])
def test_every_write_without_a_csrf_token_is_refused(scene, personas, name):  # noqa: F811
    """People who see team A's records (an upload checks scope and role before it reads
    the body, so someone who cannot see the project gets its 404 first)."""
    person = getattr(personas, name)
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(person)
    side = scene["a"]
    tried, wrong = 0, []
    for route, method in every_form_route():
        values = values_for(route, side, scene, personas, personas.sales_a) or (
            {} if not route.kwargs else None
        )
        if values is None:
            continue
        policy_key = key(route, method)
        body_for = BODIES.get(policy_key) or PAGE_DATA.get(policy_key)
        body = body_for(scene, side, personas, person) if body_for else {}
        status, _location, written = attempt(forged, route, method, route.path(values), body)
        tried += 1
        if status != 403 or written:
            wrong.append(f"{policy_key}: {status} {sorted(written)}")
    assert tried > 150
    assert not wrong, "\n".join(wrong)


def test_the_refusal_says_what_happened(personas):
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(personas.sales_a)
    page = forged.post("/customers/new/", {"name": "伪造", "customer_type": "grid"})
    assert page.status_code == 403
    assert "403_csrf.html" in [t.name for t in page.templates]
    api = forged.post("/api/v1/customers/", {"name": "伪造"}, content_type="application/json")
    assert api.status_code == 403
    assert "CSRF" in api.json()["detail"]


def test_a_personal_token_needs_no_csrf_token(personas):
    from pathscore.org import services

    _token, secret = services.token_create(
        user=personas.sales_a, name="同步脚本", scope="write", expires_in_days=30
    )
    script = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = script.post(
        "/api/v1/customers/",
        {"name": "脚本建的客户", "customer_type": "grid"},
        content_type="application/json",
    )
    assert response.status_code == 201
