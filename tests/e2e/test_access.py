"""Pages a person may not reach, and the inbox behind the bell."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import exactly, sign_in, zh

pytestmark = pytest.mark.browser


def test_salesperson_gets_403_for_admin_pages_and_404_for_others_people(page, personas):
    sign_in(page, personas.sales_a)

    response = page.goto("/org/people/new/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text(exactly(zh("Not allowed")))
    expect(page.get_by_test_id("user-form")).to_have_count(0)

    response = page.goto(f"/org/people/{personas.sales_b.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text(exactly(zh("Page not found")))
    expect(page.locator("body")).not_to_contain_text("赵销售")


def test_bell_opens_an_empty_inbox(page, live_url, personas):
    sign_in(page, personas.sales_a)

    page.get_by_test_id("bell").click()

    expect(page).to_have_url(f"{live_url}/inbox/")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
