"""The scorecard editor in the browser: HR opens a new draft of a published scorecard,
breaks the weights and is told which total is wrong, fixes them and publishes."""

import re

import pytest
from playwright.sync_api import expect

from pathscore.scoring import services
from pathscore.scoring.choices import ScorecardStatus
from pathscore.scoring.models import Scorecard
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

EDIT_URL = re.compile(r"/scoring/scorecards/\d+/edit/$")
DETAIL_URL = re.compile(r"/scoring/scorecards/\d+/$")

ITEMS = [
    {
        "indicator": "followup_count",
        "weight": "100",
        "rule_kind": "team_relative",
        "direction": "higher",
        "params": {"full_at": "1.5"},
    },
    {
        "indicator": "quality_score",
        "weight": "100",
        "rule_kind": "target",
        "direction": "higher",
        "params": {"target": "90"},
    },
]


def test_hr_fixes_wrong_weights_and_publishes_a_new_version(page, personas):
    first = services.scorecard_create(
        actor=personas.hr, code="team-a", name="华东一部考核表", department=personas.team_a
    )
    services.scorecard_set_dimensions(
        scorecard=first, actor=personas.hr, dimensions={"process": "60", "ability": "40"}
    )
    services.scorecard_set_items(scorecard=first, actor=personas.hr, items=ITEMS)
    services.scorecard_publish(scorecard=first, actor=personas.hr, note="v1")

    sign_in(page, personas.hr)
    page.goto("/scoring/scorecards/")
    page.get_by_role("link", name="华东一部考核表").click()
    expect(page).to_have_url(DETAIL_URL)
    page.get_by_test_id("new-draft").click()
    expect(page).to_have_url(EDIT_URL)

    editor = page.get_by_test_id("scorecard-editor")
    editor.locator("[name=process]").fill("70")
    editor.get_by_test_id("save").click()
    errors = page.get_by_test_id("form-errors")
    expect(errors).to_contain_text("110")
    # What was typed is still there.
    expect(editor.locator("[name=process]")).to_have_value("70")

    editor.locator("[name=process]").fill("50")
    editor.locator("[name=ability]").fill("50")
    editor.get_by_test_id("save").click()
    expect(page).to_have_url(DETAIL_URL)
    page.get_by_test_id("publish-form").locator("[name=note]").fill("过程与能力各占一半")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("publish")).to_have_count(0)

    draft = Scorecard.objects.get(code="team-a", version=2)
    assert draft.status == ScorecardStatus.PUBLISHED
    assert draft.note == "过程与能力各占一半"
    first.refresh_from_db()
    assert first.status == ScorecardStatus.RETIRED
