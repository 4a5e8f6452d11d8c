"""Contract negotiation: terms and their states with history, milestones in order, and
"signed" winning the project."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.core.history import history_entries
from pathscore.crm import services
from pathscore.crm.choices import MilestoneKind, ProjectStatus, TermState, TermTopic
from pathscore.crm.models import ContractMilestone, ContractTerm, Project
from tests.crm import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def project(personas):
    return factories.project(personas.sales_a, name="南京江北新区配网运维")


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


# --- Terms ---------------------------------------------------------------------------------


def test_term_states_are_kept_in_history(personas, project):
    term = services.term_create(
        actor=personas.sales_a,
        project=project,
        topic=TermTopic.PAYMENT,
        description="预付款30%，验收后付60%，质保金10%",
    )
    assert term.state == TermState.OPEN
    services.term_update(term=term, actor=personas.sales_a, state=TermState.DISPUTED)
    services.term_update(
        term=term, actor=personas.manager_a, state=TermState.AGREED, note="客户同意"
    )
    term.refresh_from_db()
    assert term.updated_by == personas.manager_a
    entries = history_entries(term)
    states = [
        (change.old, change.new)
        for entry in entries
        for change in entry.changes
        if change.label == "state"
    ]
    assert states == [("Disputed", "Agreed"), ("Open", "Disputed")]
    assert entries[0].who == personas.manager_a


def test_a_term_field_outside_the_list_is_refused(personas, project):
    term = services.term_create(
        actor=personas.sales_a, project=project, topic=TermTopic.PRICE, description="总价"
    )
    with pytest.raises(ValidationError):
        services.term_update(term=term, actor=personas.sales_a, project=None)


def test_term_pages_add_and_edit_with_history(personas, login, project):
    client = login(personas.sales_a)
    response = client.post(
        reverse("crm:term-create", args=[project.pk]),
        {"topic": TermTopic.WARRANTY, "description": "质保期两年", "state": TermState.OPEN},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{project.get_absolute_url()}?tab=contract"
    term = ContractTerm.objects.get()
    url = reverse("crm:term-update", args=[term.pk])
    # A blank term is refused with the field named; the typed note stays.
    response = client.post(
        url, {"topic": TermTopic.WARRANTY, "description": "", "state": "agreed", "note": "再议"}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["description"]
    assert "再议" in response.content.decode()
    response = client.post(
        url,
        {"topic": TermTopic.WARRANTY, "description": "质保期三年", "state": TermState.DISPUTED},
    )
    assert response.status_code == 302
    page = client.get(url)
    history = page.context["history"]
    changes = {(c.label, c.old, c.new) for entry in history for c in entry.changes}
    # Labels are shown in the viewer's language (zh-hans for the demo accounts).
    with translation.override("zh-hans"):
        label = str(ContractTerm._meta.get_field("description").verbose_name)
    assert (label, "质保期两年", "质保期三年") in changes
    html = page.content.decode()
    assert 'data-testid="history"' in html and "质保期两年" in html


def test_the_contract_tab_summarises_agreed_terms(personas, login, project):
    for topic, state in (
        (TermTopic.PRICE, TermState.AGREED),
        (TermTopic.PAYMENT, TermState.DISPUTED),
        (TermTopic.DELIVERY, TermState.AGREED),
        (TermTopic.PENALTIES, TermState.OPEN),
    ):
        services.term_create(
            actor=personas.sales_a, project=project, topic=topic, description="条款", state=state
        )
    response = login(personas.sales_a).get(project.get_absolute_url(), {"tab": "contract"})
    html = response.content.decode()
    assert 'data-testid="pane-contract"' in html
    assert html.count('data-testid="term-row"') == 4
    summary = html.split('data-testid="terms-summary">', 1)[1].split("<", 1)[0]
    assert "2" in summary and "4" in summary
    assert 'data-testid="record-signed"' in html


def test_contract_pages_are_404_for_another_team_and_403_for_read_only(personas, login, project):
    term = services.term_create(
        actor=personas.sales_a, project=project, topic=TermTopic.PRICE, description="总价"
    )
    urls = [
        reverse("crm:term-create", args=[project.pk]),
        reverse("crm:term-update", args=[term.pk]),
        reverse("crm:milestone-record", args=[project.pk]),
    ]
    for name in ("sales_b", "manager_b", "auditor"):
        client = login(personas.get(name))
        for url in urls:
            assert client.get(url).status_code == 404, (name, url)
            assert client.post(url, {}).status_code == 404, (name, url)
    executive = login(personas.executive)
    for url in urls:
        assert executive.get(url).status_code == 403
    page = executive.get(project.get_absolute_url(), {"tab": "contract"}).content.decode()
    assert 'data-testid="add-term"' not in page
    manager = login(personas.manager_a)
    assert manager.get(urls[1]).status_code == 200


# --- Milestones ----------------------------------------------------------------------------


def test_milestones_must_follow_their_order(personas, project):
    services.milestone_record(
        actor=personas.sales_a,
        project=project,
        kind=MilestoneKind.CUSTOMER_LEGAL_REVIEW,
        reached_on=days_ago(10),
    )
    with pytest.raises(ValidationError) as caught:
        services.milestone_record(
            actor=personas.sales_a,
            project=project,
            kind=MilestoneKind.INTERNAL_REVIEW,
            reached_on=days_ago(5),
        )
    assert "reached_on" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.milestone_record(
            actor=personas.sales_a,
            project=project,
            kind=MilestoneKind.AWAITING_SIGNATURE,
            reached_on=days_ago(12),
        )
    assert "Customer legal review" in caught.value.message_dict["reached_on"][0]
    with pytest.raises(ValidationError) as caught:
        services.milestone_record(
            actor=personas.sales_a,
            project=project,
            kind=MilestoneKind.AWAITING_SIGNATURE,
            reached_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "future" in caught.value.message_dict["reached_on"][0]
    services.milestone_record(
        actor=personas.sales_a,
        project=project,
        kind=MilestoneKind.AWAITING_SIGNATURE,
        reached_on=days_ago(3),
    )
    assert ContractMilestone.objects.filter(project=project).count() == 2


def test_signed_needs_the_amount_and_wins_the_project(personas, project):
    with pytest.raises(ValidationError) as caught:
        services.milestone_record(
            actor=personas.sales_a,
            project=project,
            kind=MilestoneKind.SIGNED,
            reached_on=days_ago(1),
        )
    assert "signed_amount" in caught.value.message_dict
    assert not ContractMilestone.objects.exists()
    services.milestone_record(
        actor=personas.sales_a,
        project=project,
        kind=MilestoneKind.SIGNED,
        reached_on=days_ago(1),
        signed_amount=Decimal("1180000.00"),
    )
    project = Project.objects.get(pk=project.pk)
    assert project.status == ProjectStatus.WON
    assert project.signed_amount == Decimal("1180000.00")
    assert project.signed_on == days_ago(1)


def test_the_milestone_page_refuses_out_of_order_dates_keeping_the_input(personas, login, project):
    services.milestone_record(
        actor=personas.sales_a,
        project=project,
        kind=MilestoneKind.AWAITING_SIGNATURE,
        reached_on=days_ago(4),
    )
    client = login(personas.sales_a)
    url = reverse("crm:milestone-record", args=[project.pk])
    response = client.post(
        url,
        {
            "kind": MilestoneKind.CUSTOMER_LEGAL_REVIEW,
            "reached_on": days_ago(2).isoformat(),
            "note": "法务提出违约金条款修改",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reached_on"]
    html = response.content.decode()
    assert 'data-testid="error-reached_on"' in html
    assert "法务提出违约金条款修改" in html
    assert days_ago(2).isoformat() in html
    assert ContractMilestone.objects.count() == 1


def test_the_milestone_page_signs_and_wins(personas, login, project):
    client = login(personas.sales_a)
    url = reverse("crm:milestone-record", args=[project.pk])
    page = client.get(url, {"kind": MilestoneKind.SIGNED})
    assert page.context["form"]["kind"].value() == MilestoneKind.SIGNED
    response = client.post(
        url, {"kind": MilestoneKind.SIGNED, "reached_on": days_ago(1).isoformat()}
    )
    assert list(response.context["form"].errors) == ["signed_amount"]
    response = client.post(
        url,
        {
            "kind": MilestoneKind.SIGNED,
            "reached_on": days_ago(1).isoformat(),
            "signed_amount": "1180000",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.WON
    html = client.get(project.get_absolute_url(), {"tab": "contract"}).content.decode()
    assert 'data-testid="contract-signed-amount">¥1,180,000.00<' in html
    # Correcting a recorded milestone starts from its date.
    again = client.get(url, {"kind": MilestoneKind.SIGNED})
    assert again.context["form"]["reached_on"].value() == days_ago(1)
