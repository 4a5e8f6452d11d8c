"""Scorecards: services and their refusals, the HR editor, permissions and the API."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from pathscore.org.models import User
from pathscore.scoring import services
from pathscore.scoring.choices import ScorecardStatus
from pathscore.scoring.models import Scorecard

pytestmark = pytest.mark.django_db

DIMENSIONS = {"process": "60", "ability": "40"}
ITEMS = [
    {
        "indicator": "followup_count",
        "weight": "70",
        "rule_kind": "team_relative",
        "direction": "higher",
        "params": {"full_at": "1.5"},
    },
    {
        "indicator": "proposal_revision_count",
        "weight": "30",
        "rule_kind": "target",
        "direction": "lower",
        "params": {"target": "2", "zero_at": "6"},
    },
    {
        "indicator": "quality_score",
        "weight": "100",
        "rule_kind": "bands",
        "direction": "higher",
        "params": {"bands": [["0", "0"], ["60", "60"], ["90", "100"]]},
    },
]


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def draft(personas):
    scorecard = services.scorecard_create(
        actor=personas.hr, code="team-a", name="Team A card", department=personas.team_a
    )
    services.scorecard_set_dimensions(scorecard=scorecard, actor=personas.hr, dimensions=DIMENSIONS)
    services.scorecard_set_items(scorecard=scorecard, actor=personas.hr, items=ITEMS)
    return scorecard


def messages_of(error):
    return " ".join(error.value.messages)


# --- Services ------------------------------------------------------------------------------


def test_create_needs_a_department_or_a_role(personas):
    with pytest.raises(ValidationError) as error:
        services.scorecard_create(actor=personas.hr, code="x", name="X")
    assert "department" in error.value.message_dict
    assert not Scorecard.objects.filter(code="x").exists()


def test_only_hr_changes_scorecards(personas):
    for user in (personas.manager_a, personas.executive, personas.sales_a):
        with pytest.raises(PermissionDenied):
            services.scorecard_create(actor=user, code="x", name="X", role="salesperson")


def test_publish_a_valid_draft(personas, draft):
    services.scorecard_publish(scorecard=draft, actor=personas.hr, note="first")
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.PUBLISHED
    assert draft.published_by == personas.hr
    assert draft.note == "first"
    items = {item.indicator: item for item in draft.items.all()}
    assert items["quality_score"].dimension == "ability"  # from the catalogue
    assert items["proposal_revision_count"].params == {"target": "2", "zero_at": "6"}


def test_dimension_weights_not_totalling_100_are_refused_naming_the_total(personas, draft):
    services.scorecard_set_dimensions(
        scorecard=draft, actor=personas.hr, dimensions={"process": "60", "ability": "30"}
    )
    with pytest.raises(ValidationError) as error:
        services.scorecard_publish(scorecard=draft, actor=personas.hr)
    assert "The dimension weights total 90, not 100." in messages_of(error)
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.DRAFT


def test_indicator_weights_are_refused_naming_the_dimension(personas, draft):
    items = [dict(ITEMS[0], weight="80"), *ITEMS[1:]]
    services.scorecard_set_items(scorecard=draft, actor=personas.hr, items=items)
    with pytest.raises(ValidationError) as error:
        services.scorecard_publish(scorecard=draft, actor=personas.hr)
    assert "Process: the indicator weights total 110, not 100." in messages_of(error)


def test_a_weighted_dimension_without_indicators_is_refused(personas, draft):
    services.scorecard_set_dimensions(
        scorecard=draft,
        actor=personas.hr,
        dimensions={"process": "50", "ability": "40", "results": "10"},
    )
    with pytest.raises(ValidationError) as error:
        services.scorecard_publish(scorecard=draft, actor=personas.hr)
    assert "Results has a weight but no indicators." in messages_of(error)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {"rule_kind": "target", "direction": "higher", "params": {}},
            "a target rule needs a target",
        ),
        (
            {"rule_kind": "target", "direction": "higher", "params": {"target": "5", "floor": "8"}},
            "the target must be above the floor",
        ),
        (
            {"rule_kind": "target", "direction": "lower", "params": {"target": "5"}},
            "zero points must lie above the target",
        ),
        (
            {
                "rule_kind": "bands",
                "direction": "higher",
                "params": {"bands": [["5", "1"], ["2", "9"]]},
            },
            "band thresholds must increase",
        ),
        (
            {"rule_kind": "bands", "direction": "higher", "params": {"bands": [["0", "120"]]}},
            "band points lie between 0 and 100",
        ),
        (
            {"rule_kind": "team_relative", "direction": "higher", "params": {"full_at": "0"}},
            "positive multiple",
        ),
        (
            {"rule_kind": "target", "direction": "higher", "params": {"target": "ten"}},
            "target must be a number",
        ),
    ],
)
def test_nonsense_rule_parameters_are_refused_naming_the_indicator(personas, draft, item, expected):
    items = [dict(ITEMS[0], **item), *ITEMS[1:]]
    with pytest.raises(ValidationError) as error:
        services.scorecard_set_items(scorecard=draft, actor=personas.hr, items=items)
    text = messages_of(error)
    assert expected in text
    assert text.startswith("Follow-up count") or "followup_count" in text or "Follow" in text
    # Nothing half-saved: the earlier items are still there.
    assert draft.items.count() == 3


def test_unknown_and_duplicate_indicators_are_refused(personas, draft):
    with pytest.raises(ValidationError) as error:
        services.scorecard_set_items(
            scorecard=draft, actor=personas.hr, items=[dict(ITEMS[0], indicator="nope")]
        )
    assert "choose an indicator from the catalogue" in messages_of(error)
    with pytest.raises(ValidationError) as error:
        services.scorecard_set_items(scorecard=draft, actor=personas.hr, items=[ITEMS[0], ITEMS[0]])
    assert "listed twice" in messages_of(error)


def test_new_draft_copies_the_published_version_and_publishing_retires_it(personas, draft):
    services.scorecard_publish(scorecard=draft, actor=personas.hr)
    second = services.scorecard_new_draft(code="team-a", actor=personas.hr)
    assert (second.version, second.status) == (2, ScorecardStatus.DRAFT)
    assert {d.dimension: d.weight for d in second.dimensions.all()} == {
        "process": D("60"),
        "ability": D("40"),
    }
    assert second.items.count() == 3
    with pytest.raises(ValidationError):
        services.scorecard_new_draft(code="team-a", actor=personas.hr)
    services.scorecard_publish(scorecard=second, actor=personas.hr, note="v2")
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.RETIRED
    with pytest.raises(ValidationError):
        services.scorecard_set_dimensions(scorecard=draft, actor=personas.hr, dimensions=DIMENSIONS)


def test_two_published_scorecards_cannot_cover_the_same_department(personas, draft):
    services.scorecard_publish(scorecard=draft, actor=personas.hr)
    other = services.scorecard_create(
        actor=personas.hr, code="other", name="Other", department=personas.team_a
    )
    services.scorecard_set_dimensions(scorecard=other, actor=personas.hr, dimensions=DIMENSIONS)
    services.scorecard_set_items(scorecard=other, actor=personas.hr, items=ITEMS)
    with pytest.raises(ValidationError) as error:
        services.scorecard_publish(scorecard=other, actor=personas.hr)
    assert "already covers the same people" in messages_of(error)


def test_save_draft_saves_nothing_when_weights_are_wrong(personas, draft):
    with pytest.raises(ValidationError) as error:
        services.scorecard_save_draft(
            scorecard=draft,
            actor=personas.hr,
            name="Renamed",
            department=personas.team_a,
            dimensions={"process": "50", "ability": "40"},
            items=ITEMS,
        )
    assert "The dimension weights total 90, not 100." in messages_of(error)
    draft.refresh_from_db()
    assert draft.name == "Team A card"
    assert draft.dimensions.get(dimension="process").weight == D("60")


# --- Pages ---------------------------------------------------------------------------------


def editor_post(scorecard, *, process="60", ability="40", first_weight="70", name="Team A card"):
    data = {
        "name": name,
        "department": scorecard.department_id or "",
        "role": "",
        "process": process,
        "ability": ability,
        "attitude": "",
        "results": "",
        "items-TOTAL_FORMS": str(len(ITEMS)),
        "items-INITIAL_FORMS": str(len(ITEMS)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "60",
    }
    for index, item in enumerate(ITEMS):
        params = item["params"]
        data.update(
            {
                f"items-{index}-indicator": item["indicator"],
                f"items-{index}-dimension": "",
                f"items-{index}-weight": first_weight if index == 0 else item["weight"],
                f"items-{index}-rule_kind": item["rule_kind"],
                f"items-{index}-direction": item["direction"],
                f"items-{index}-target": params.get("target", ""),
                f"items-{index}-zero_at": params.get("zero_at", ""),
                f"items-{index}-full_at": params.get("full_at", ""),
                f"items-{index}-floor": "",
                f"items-{index}-bands": "\n".join(f"{t} {p}" for t, p in params.get("bands", [])),
            }
        )
    return data


def test_drafts_are_hidden_from_all_but_hr(personas, login, draft):
    client = login(personas.executive)
    assert client.get(reverse("scoring:scorecard-detail", args=[draft.pk])).status_code == 404
    assert "team-a" not in client.get(reverse("scoring:scorecard-list")).content.decode()
    response = client.get(f"/api/v1/scorecards/{draft.pk}/")
    assert response.status_code == 404


def test_list_and_detail_are_readable_by_executives(personas, login, draft):
    services.scorecard_publish(scorecard=draft, actor=personas.hr)
    client = login(personas.executive)
    assert client.get(reverse("scoring:scorecard-list")).status_code == 200
    response = client.get(reverse("scoring:scorecard-detail", args=[draft.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Full marks at 2 or less, 0 points at 6 or more" in content
    assert 'data-testid="publish"' not in content


@pytest.mark.parametrize("name", ["executive", "manager_a", "sales_a", "tech"])
def test_changes_are_forbidden_to_all_but_hr(personas, login, draft, name):
    client = login(personas.get(name))
    assert client.get(reverse("scoring:scorecard-create")).status_code == 403
    assert client.get(reverse("scoring:scorecard-edit", args=[draft.pk])).status_code == 403
    assert client.post(reverse("scoring:scorecard-publish", args=[draft.pk])).status_code == 403
    assert (
        client.post(
            reverse("scoring:scorecard-edit", args=[draft.pk]), editor_post(draft)
        ).status_code
        == 403
    )


def test_unknown_scorecard_is_404(personas, login):
    client = login(personas.hr)
    assert client.get(reverse("scoring:scorecard-detail", args=[99999])).status_code == 404


def test_create_page_keeps_typed_data_on_refusal(personas, login):
    client = login(personas.hr)
    response = client.post(
        reverse("scoring:scorecard-create"), {"code": "typed-code", "name": "Typed name"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "typed-code" in content and "Typed name" in content
    assert "choose one" in content


def test_editor_refuses_wrong_weights_and_keeps_what_was_typed(personas, login, draft):
    client = login(personas.hr)
    page = client.get(reverse("scoring:scorecard-edit", args=[draft.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("scoring:scorecard-edit", args=[draft.pk]),
        editor_post(draft, first_weight="75", name="Changed name"),
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Process: the indicator weights total 105, not 100." in content
    assert 'value="75' in content and "Changed name" in content
    draft.refresh_from_db()
    assert draft.name == "Team A card"


def test_editor_saves_and_publishes(personas, login, draft):
    client = login(personas.hr)
    response = client.post(
        reverse("scoring:scorecard-edit", args=[draft.pk]),
        editor_post(draft, process="50", ability="50", name="Renamed"),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.name == "Renamed"
    assert draft.dimensions.get(dimension="ability").weight == D("50")
    assert draft.items.get(indicator="quality_score").params["bands"][-1] == ["90", "100"]
    response = client.post(
        reverse("scoring:scorecard-publish", args=[draft.pk]), {"note": "balanced"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ScorecardStatus.PUBLISHED


def test_publishing_a_broken_draft_shows_the_message(personas, login, draft):
    services.scorecard_set_dimensions(
        scorecard=draft, actor=personas.hr, dimensions={"process": "10", "ability": "40"}
    )
    client = login(personas.hr)
    response = client.post(reverse("scoring:scorecard-publish", args=[draft.pk]), {"note": "x"})
    assert response.status_code == 400
    assert "The dimension weights total 50, not 100." in response.content.decode()


def test_list_query_count_is_constant(personas, login, django_assert_max_num_queries):
    client = login(personas.hr)
    url = reverse("scoring:scorecard-list")
    client.get(url)
    with django_assert_max_num_queries(12):
        client.get(url)
    for index in range(6):
        services.scorecard_create(
            actor=personas.hr, code=f"c{index}", name=f"C{index}", department=personas.team_b
        )
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_list_exports(personas, login, draft):
    client = login(personas.hr)
    response = client.get(reverse("scoring:scorecard-list"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert "team-a" in body.decode("utf-8-sig")


# --- API -----------------------------------------------------------------------------------


def test_api_creates_edits_and_publishes(personas, login):
    client = login(personas.hr)
    response = client.post(
        "/api/v1/scorecards/",
        {"code": "api-card", "name": "API", "department": personas.team_b.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    client.post(
        f"/api/v1/scorecards/{pk}/dimensions/",
        {"dimensions": DIMENSIONS},
        content_type="application/json",
    )
    response = client.post(
        f"/api/v1/scorecards/{pk}/items/", {"items": ITEMS}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["items"]) == 3
    response = client.post(
        f"/api/v1/scorecards/{pk}/publish/", {"note": "api"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"


def test_api_refuses_wrong_weights_and_other_roles(personas, login, draft):
    client = login(personas.hr)
    client.post(
        f"/api/v1/scorecards/{draft.pk}/dimensions/",
        {"dimensions": {"process": "50", "ability": "40"}},
        content_type="application/json",
    )
    response = client.post(
        f"/api/v1/scorecards/{draft.pk}/publish/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "The dimension weights total 90, not 100." in str(response.json()["errors"])
    client = login(personas.manager_a)
    response = client.post(
        f"/api/v1/scorecards/{draft.pk}/publish/", {}, content_type="application/json"
    )
    assert response.status_code == 404  # a draft is HR's work in progress
    services.scorecard_save_draft(
        scorecard=draft,
        actor=personas.hr,
        name=draft.name,
        department=personas.team_a,
        dimensions=DIMENSIONS,
        items=ITEMS,
    )
    services.scorecard_publish(scorecard=draft, actor=personas.hr)
    response = client.post(
        f"/api/v1/scorecards/{draft.pk}/new-draft/", {}, content_type="application/json"
    )
    assert response.status_code == 403
