"""Nodes in the browser-less UI: the project's Process tab, a node's page and its actions,
the review queue, the delays list and the home panels."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathscore.crm import services as crm_services
from pathscore.process import services
from pathscore.process.choices import DelayDecision, NodeState
from pathscore.process.models import DelayCategory, DelayReason, NodeInstance, ProjectProcess
from tests.crm import factories
from tests.process.conftest import current

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def node_url(node, action=""):
    return f"/process/nodes/{node.pk}/" + (f"{action}/" if action else "")


def first_visit_post(node, **changes):
    data = {
        "submit-field_key_contact": "周建国 副总经理",
        "submit-field_visit_date": timezone.localdate().isoformat(),
        "submit-checklist": list(node.definition.checklist),
        "submit-note": "首次拜访顺利",
    }
    data.update(changes)
    return data


def submit_first_visit(user, node):
    return services.node_submit(
        node=node,
        user=user,
        data={"key_contact": "周建国", "visit_date": timezone.localdate().isoformat()},
        checklist=node.definition.checklist,
    )


def make_overdue(node, days=3):
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=days)
    )
    node.refresh_from_db()
    return node


def page_text(response):
    return response.content.decode()


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        response.content  # noqa: B018  (render everything)
    return len(captured)


# --- The Process tab ---------------------------------------------------------------------


def test_the_tab_shows_the_path_with_the_current_node(personas, login, project, process):
    page = page_text(login(personas.sales_a).get(f"/projects/{project.pk}/?tab=process"))
    assert 'data-testid="tab-process"' in page
    assert page.count('data-testid="path-node"') == 6
    for name in (
        "首次拜访",
        "需求分析报告提交",
        "方案演示",
        "客户反馈处理",
        "合同谈判",
        "合同签订",
    ):
        assert name in page
    current_item = page[page.index('aria-current="step"') - 200 :]
    assert 'data-code="first-visit"' in current_item[:400]
    assert page.count('data-testid="current-node"') == 1
    assert "0/6" in page  # the tab's badge


def test_the_tab_comes_right_after_the_overview(personas, login, project, process):
    page = page_text(login(personas.sales_a).get(f"/projects/{project.pk}/"))
    tabs = [key for key in ("tab-overview", "tab-process", "tab-followups") if key in page]
    assert tabs == ["tab-overview", "tab-process", "tab-followups"]
    assert page.index("tab-overview") < page.index("tab-process") < page.index("tab-followups")


def test_late_nodes_are_marked_in_red(personas, login, project, process):
    make_overdue(current(project), days=4)
    page = page_text(login(personas.sales_a).get(f"/projects/{project.pk}/?tab=process"))
    assert "is-overdue" in page
    assert 'data-testid="days-late">4<' in page
    assert 'data-testid="process-overdue"' in page


def test_approved_nodes_show_dates_and_score(personas, login, project, process):
    node = current(project)
    submit_first_visit(personas.sales_a, node)
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("80"))
    page = page_text(login(personas.manager_a).get(f"/projects/{project.pk}/?tab=process"))
    assert 'data-testid="node-score">8.00<' in page
    assert timezone.localdate().isoformat() in page
    assert "1/6" in page


def test_a_project_without_process_offers_to_start_one(personas, login, project):
    client = login(personas.sales_a)
    page = page_text(client.get(f"/projects/{project.pk}/?tab=process"))
    assert 'data-testid="no-process"' in page
    assert 'data-testid="start-process-form"' in page
    version = services.template_for(project)
    response = client.post(f"/process/projects/{project.pk}/start/", {"version": version.pk})
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=process")
    assert ProjectProcess.objects.get(project=project).version == version
    assert current(project).definition.code == "first-visit"


def test_only_the_owner_and_managers_start_a_process(personas, login, project):
    version = services.template_for(project)
    page = page_text(login(personas.executive).get(f"/projects/{project.pk}/?tab=process"))
    assert 'data-testid="start-process-form"' not in page
    url = f"/process/projects/{project.pk}/start/"
    assert login(personas.executive).post(url, {"version": version.pk}).status_code == 403
    assert login(personas.manager_b).post(url, {"version": version.pk}).status_code == 404
    assert login(personas.manager_a).post(url, {"version": "x"}).status_code == 302
    assert not ProjectProcess.objects.filter(project=project).exists()
    assert login(personas.manager_a).post(url, {"version": version.pk}).status_code == 302
    assert ProjectProcess.objects.filter(project=project).exists()


def test_the_tab_queries_do_not_grow_with_nodes(personas, login, django_assert_max_num_queries):
    standard = factories.project(personas.sales_a, name="标准流程项目")
    services.process_start(project=standard)
    client = login(personas.sales_a)
    few = queries_for(client, f"/projects/{standard.pk}/?tab=process")

    customer = factories.customer(personas.sales_a, name="光伏客户", type_code="new-energy")
    variant = crm_services.project_create(
        actor=personas.sales_a,
        customer=customer,
        name="屋顶光伏",
        category=factories.option("project_category", "new-energy"),
        started_on=timezone.localdate() - dt.timedelta(days=40),
    )
    services.process_start(project=variant)
    # More nodes, some done and scored, one late with a reason.
    for _ in range(2):
        node = current(variant)
        services.node_submit(
            node=node,
            user=personas.sales_a,
            data={
                "key_contact": "周",
                "visit_date": timezone.localdate().isoformat(),
                "usable_area": "1200",
                "grid_access": "10kV",
            },
            checklist=node.definition.checklist,
        )
        services.review_approve(node=node, reviewer=personas.manager_a, quality_score=90)
    make_overdue(current(variant))
    services.delay_reason_give(
        node=current(variant),
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户未提供完整的用电数据",
    )
    assert NodeInstance.objects.filter(project=variant).count() > 6
    with django_assert_max_num_queries(few):
        client.get(f"/projects/{variant.pk}/?tab=process").content  # noqa: B018


# --- The node page: who sees which actions ------------------------------------------------

ACTIONS = ("submit-form", "approve-form", "return-form", "skip-form", "delay-form", "decide-form")


def actions_on(client, node):
    response = client.get(node_url(node))
    assert response.status_code == 200
    page = page_text(response)
    return {name for name in ACTIONS if f'data-testid="{name}"' in page}


def test_the_owner_submits_and_the_manager_reviews(personas, login, project, process):
    node = current(project)
    page = page_text(login(personas.sales_a).get(node_url(node)))
    assert node.definition.guidance in page
    assert "关键联系人" in page and "已确认客户决策链" in page
    assert actions_on(login(personas.sales_a), node) == {"submit-form"}
    assert actions_on(login(personas.manager_a), node) == {"skip-form"}
    assert actions_on(login(personas.executive), node) == set()

    submit_first_visit(personas.sales_a, node)
    assert actions_on(login(personas.sales_a), node) == set()
    assert actions_on(login(personas.manager_a), node) == {"approve-form", "return-form"}
    assert actions_on(login(personas.regional_head), node) == {"approve-form", "return-form"}
    assert actions_on(login(personas.hr), node) == set()


@pytest.mark.parametrize("outsider", ["sales_b", "manager_b", "tech", "auditor"])
def test_other_teams_get_404(personas, login, project, process, outsider):
    node = current(project)
    client = login(personas.get(outsider))
    assert client.get(node_url(node)).status_code == 404
    for action in ("submit", "approve", "return", "skip", "delay-reason"):
        assert client.post(node_url(node, action), {}).status_code == 404


def test_actions_beyond_ones_role_are_403(personas, login, project, process):
    node = current(project)
    assert login(personas.manager_a).post(node_url(node, "submit"), {}).status_code == 403
    assert login(personas.sales_a).post(node_url(node, "skip"), {}).status_code == 403
    assert login(personas.sales_a).post(node_url(node, "approve"), {}).status_code == 403
    assert login(personas.executive).post(node_url(node, "return"), {}).status_code == 403
    assert login(personas.manager_a).post(node_url(node, "delay-reason"), {}).status_code == 403


def test_an_incomplete_submission_lists_every_missing_item(personas, login, project, process):
    node = current(project)
    client = login(personas.sales_a)
    response = client.post(
        node_url(node, "submit"),
        {"submit-field_key_contact": "周建国", "submit-note": "先交一部分"},
    )
    assert response.status_code == 200
    page = page_text(response)
    missing = page[page.index('data-testid="submit-errors"') :]
    missing = missing[: missing.index("</ul>")]
    assert missing.count('data-testid="missing-item"') == 3
    assert "拜访日期" in missing
    assert "已确认客户决策链" in missing and "已记录跟进记录" in missing
    assert "关键联系人" not in missing
    # What was typed is kept.
    assert "周建国</textarea>" in page
    assert "先交一部分" in page
    node.refresh_from_db()
    assert node.state == NodeState.IN_PROGRESS
    assert not node.submissions.exists()


def test_a_wrongly_typed_field_is_named(personas, login, project, process):
    node = current(project)
    response = login(personas.sales_a).post(
        node_url(node, "submit"), first_visit_post(node, **{"submit-field_visit_date": "昨天"})
    )
    assert response.status_code == 200
    assert "拜访日期" in page_text(response)
    assert not node.submissions.exists()


def test_submit_with_attachments(personas, login, project, process):
    node = current(project)
    submit_first_visit(personas.sales_a, node)
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=90)
    report = current(project)
    version = crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind="requirement_report",
        title="需求分析报告",
        file=ContentFile(PDF, name="report.pdf"),
    )
    other = factories.project(personas.sales_a, name="别的项目")
    foreign = crm_services.document_create(
        actor=personas.sales_a,
        project=other,
        kind="requirement_report",
        title="别的报告",
        file=ContentFile(PDF, name="other.pdf"),
    )
    client = login(personas.sales_a)
    page = page_text(client.get(node_url(report)))
    assert "需求分析报告 · " in page and "别的报告" not in page
    data = {
        "submit-field_power_load": "12MW",
        "submit-field_existing_equipment": "2台主变",
        "submit-field_demand_forecast": "年增8%",
        "submit-checklist": report.definition.checklist,
    }
    # A version of another project is not a valid choice.
    response = client.post(node_url(report, "submit"), {**data, "submit-documents": foreign.pk})
    assert response.status_code == 200
    assert not report.submissions.exists()
    response = client.post(node_url(report, "submit"), {**data, "submit-documents": version.pk})
    assert response.status_code == 302
    submission = report.submissions.get()
    assert list(submission.documents.all()) == [version]
    page = page_text(client.get(node_url(report)))
    assert reverse("crm:version-download", args=[version.pk]) in page
    assert 'data-testid="attachments"' in page


def test_approve_scores_and_starts_the_next_node(personas, login, project, process):
    node = current(project)
    submit_first_visit(personas.sales_a, node)
    client = login(personas.manager_a)
    response = client.post(
        node_url(node, "approve"), {"approve-quality_score": "90", "approve-comment": "记录完整"}
    )
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.state == NodeState.APPROVED
    assert node.score == Decimal("9.00")
    assert current(project).definition.code == "requirement-report"
    page = page_text(client.get(node_url(node)))
    assert 'data-testid="score">9.00' in page
    assert "记录完整" in page
    assert 'data-testid="score-explanation"' in page


def test_approve_needs_a_score_within_range(personas, login, project, process):
    node = current(project)
    submit_first_visit(personas.sales_a, node)
    client = login(personas.manager_a)
    response = client.post(node_url(node, "approve"), {"approve-quality_score": "120"})
    assert response.status_code == 200
    assert 'data-testid="error-quality_score"' in page_text(response)
    node.refresh_from_db()
    assert node.state == NodeState.SUBMITTED


def test_nobody_reviews_their_own_submission(personas, login):
    # The manager owns a project of their own team: they submit, and cannot approve it.
    project = factories.project(personas.manager_a, name="经理自己的项目")
    services.process_start(project=project)
    node = current(project)
    submit_first_visit(personas.manager_a, node)
    client = login(personas.manager_a)
    assert "approve-form" not in actions_on(client, node)
    response = client.post(node_url(node, "approve"), {"approve-quality_score": "90"})
    assert response.status_code == 200
    node.refresh_from_db()
    assert node.state == NodeState.SUBMITTED


def test_return_needs_a_reason_and_the_owner_resubmits(personas, login, project, process):
    node = current(project)
    submit_first_visit(personas.sales_a, node)
    manager = login(personas.manager_a)
    response = manager.post(node_url(node, "return"), {"return-comment": ""})
    assert response.status_code == 200
    assert 'data-testid="error-comment"' in page_text(response)
    response = manager.post(node_url(node, "return"), {"return-comment": "请补充决策链"})
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.state == NodeState.RETURNED

    owner = login(personas.sales_a)
    page = page_text(owner.get(node_url(node)))
    assert 'data-testid="returned-because"' in page and "请补充决策链" in page
    # The form starts from the returned attempt.
    assert "周建国" in page
    response = owner.post(node_url(node, "submit"), first_visit_post(node))
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.state == NodeState.SUBMITTED
    assert node.submissions.count() == 2


def test_a_second_approval_is_a_conflict_naming_the_state(personas, login, project, process):
    node = current(project)
    submit_first_visit(personas.sales_a, node)
    assert (
        login(personas.regional_head)
        .post(node_url(node, "approve"), {"approve-quality_score": "80"})
        .status_code
        == 302
    )
    response = login(personas.manager_a).post(
        node_url(node, "approve"), {"approve-quality_score": "95"}
    )
    assert response.status_code == 409
    page = page_text(response)
    assert 'data-testid="conflict"' in page
    assert str(NodeState.APPROVED.label) in page or "已通过" in page
    node.refresh_from_db()
    assert node.quality_score == Decimal("80")


def test_submitting_twice_is_a_conflict(personas, login, project, process):
    node = current(project)
    client = login(personas.sales_a)
    assert client.post(node_url(node, "submit"), first_visit_post(node)).status_code == 302
    response = client.post(node_url(node, "submit"), first_visit_post(node))
    assert response.status_code == 409
    assert 'data-testid="conflict"' in page_text(response)
    assert node.submissions.count() == 1


def test_the_manager_skips_with_a_reason(personas, login, project, process):
    node = current(project)
    client = login(personas.manager_a)
    response = client.post(node_url(node, "skip"), {"skip-reason": ""})
    assert response.status_code == 200
    assert 'data-testid="error-reason"' in page_text(response)
    response = client.post(node_url(node, "skip"), {"skip-reason": "客户已熟悉我司"})
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.state == NodeState.SKIPPED and node.skip_reason == "客户已熟悉我司"
    assert current(project).definition.code == "requirement-report"
    assert "客户已熟悉我司" in page_text(client.get(node_url(node)))


# --- Delays --------------------------------------------------------------------------------


def test_the_owner_of_a_late_node_gives_a_reason(personas, login, project, process):
    node = current(project)
    owner = login(personas.sales_a)
    assert "delay-form" not in actions_on(owner, node)
    make_overdue(node, days=3)
    assert actions_on(owner, node) == {"submit-form", "delay-form"}
    response = owner.post(
        node_url(node, "delay-reason"), {"delay-text": "客户未提供完整的用电数据"}
    )
    assert response.status_code == 200
    assert 'data-testid="error-category"' in page_text(response)
    category = DelayCategory.objects.get(code="customer-data")
    response = owner.post(
        node_url(node, "delay-reason"),
        {"delay-category": category.pk, "delay-text": "客户未提供完整的用电数据"},
    )
    assert response.status_code == 302
    reason = DelayReason.objects.get(node=node)
    assert reason.decision == DelayDecision.PENDING and reason.given_by == personas.sales_a
    # Given once, the form is gone until the manager decides.
    assert "delay-form" not in actions_on(owner, node)
    assert "decide-form" in actions_on(login(personas.manager_a), node)


def test_the_manager_accepts_a_customer_reason_and_waives(personas, login, project, process):
    node = make_overdue(current(project), days=4)
    reason = services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户未提供完整的用电数据",
    )
    submit_first_visit(personas.sales_a, node)
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("100"))
    node.refresh_from_db()
    assert node.score == Decimal("6.00")
    client = login(personas.manager_a)
    url = f"/process/nodes/{node.pk}/delay-reasons/{reason.pk}/decide/"
    prefix = f"decide-{reason.pk}"
    response = client.post(url, {f"{prefix}-decision": "accept", f"{prefix}-waived_percent": "150"})
    assert response.status_code == 200
    assert 'data-testid="error-waived"' in page_text(response)
    response = client.post(
        url,
        {
            f"{prefix}-decision": "accept",
            f"{prefix}-waived_percent": "100",
            f"{prefix}-note": "属实",
        },
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    node.refresh_from_db()
    assert reason.decision == DelayDecision.ACCEPTED and reason.waived_share == Decimal("1")
    assert node.score == Decimal("10.00")
    page = page_text(client.get(node_url(node)))
    assert 'data-testid="waived"' in page and "100%" in page
    # Deciding again is a conflict.
    response = client.post(url, {f"{prefix}-decision": "reject"})
    assert response.status_code in (404, 409)


def test_a_salesperson_reason_cannot_waive(personas, login, project, process):
    node = make_overdue(current(project), days=2)
    reason = services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="sales-workload"),
        text="出差",
    )
    client = login(personas.manager_a)
    page = page_text(client.get(node_url(node)))
    assert f"decide-{reason.pk}-waived_percent" not in page
    url = f"/process/nodes/{node.pk}/delay-reasons/{reason.pk}/decide/"
    response = client.post(url, {f"decide-{reason.pk}-decision": "reject"})
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.decision == DelayDecision.REJECTED and reason.waived_share == 0
    # The owner may now give another reason.
    assert "delay-form" in actions_on(login(personas.sales_a), node)


def test_only_the_owners_manager_decides(personas, login, project, process):
    node = make_overdue(current(project))
    reason = services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户资料未到",
    )
    url = f"/process/nodes/{node.pk}/delay-reasons/{reason.pk}/decide/"
    data = {f"decide-{reason.pk}-decision": "accept"}
    assert login(personas.sales_a).post(url, data).status_code == 403
    assert login(personas.manager_b).post(url, data).status_code == 404
    reason.refresh_from_db()
    assert reason.decision == DelayDecision.PENDING


# --- Review queue, delays list, home panels ----------------------------------------------


def _submitted_projects(personas, count, start=0):
    for number in range(start, start + count):
        project = factories.project(personas.sales_a, name=f"评审项目{number:02d}")
        services.process_start(project=project)
        submit_first_visit(personas.sales_a, current(project))


def test_the_review_queue_is_scoped(personas, login, project, process):
    submit_first_visit(personas.sales_a, current(project))
    page = page_text(login(personas.manager_a).get("/process/reviews/"))
    assert project.name in page and "首次拜访" in page
    page = page_text(login(personas.regional_head).get("/process/reviews/"))
    assert project.name in page
    assert login(personas.manager_b).get("/process/reviews/").context["object_list"].count() == 0
    assert login(personas.sales_a).get("/process/reviews/").status_code == 403
    assert login(personas.executive).get("/process/reviews/").status_code == 403


def test_the_review_queue_lists_the_oldest_first(personas, login):
    _submitted_projects(personas, 3)
    rows = list(login(personas.manager_a).get("/process/reviews/").context["object_list"])
    assert [row.project.name for row in rows] == ["评审项目00", "评审项目01", "评审项目02"]


def test_the_review_queue_queries_do_not_grow(personas, login, django_assert_max_num_queries):
    _submitted_projects(personas, 2)
    client = login(personas.manager_a)
    few = queries_for(client, "/process/reviews/")
    _submitted_projects(personas, 6, start=10)
    with django_assert_max_num_queries(few):
        assert len(client.get("/process/reviews/").context["object_list"]) == 8


def test_the_delays_list_shows_reason_status(personas, login, project, process):
    node = make_overdue(current(project), days=5)
    client = login(personas.manager_a)
    page = page_text(client.get("/process/delays/"))
    assert project.name in page and "首次拜访" in page
    assert "badge text-bg-danger" in page  # no reason given yet
    services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户未提供完整的用电数据",
    )
    page = page_text(client.get("/process/delays/"))
    assert "客户未提供完整的用电数据" in page
    assert login(personas.manager_b).get("/process/delays/").context["object_list"].count() == 0
    assert login(personas.sales_a).get("/process/delays/").status_code == 403
    assert login(personas.hr).get("/process/delays/").context["object_list"].count() == 1


def test_the_delays_list_queries_do_not_grow(personas, login, django_assert_max_num_queries):
    def overdue_projects(count, start):
        for number in range(start, start + count):
            project = factories.project(personas.sales_a, name=f"延期项目{number:02d}")
            services.process_start(project=project)
            make_overdue(current(project), days=number + 1)

    overdue_projects(2, 0)
    client = login(personas.manager_a)
    few = queries_for(client, "/process/delays/")
    overdue_projects(6, 10)
    with django_assert_max_num_queries(few):
        assert len(client.get("/process/delays/").context["object_list"]) == 8


def test_the_menu_offers_reviews_and_delays_to_managers(personas, login):
    page = page_text(login(personas.manager_a).get("/"))
    assert 'href="/process/reviews/"' in page and 'href="/process/delays/"' in page
    page = page_text(login(personas.sales_a).get("/"))
    assert 'href="/process/reviews/"' not in page and 'href="/process/delays/"' not in page


def test_my_nodes_panel_marks_overdue_nodes(personas, login, project, process):
    make_overdue(current(project), days=2)
    later = factories.project(personas.sales_a, name="下周到期项目")
    services.process_start(project=later)
    NodeInstance.objects.filter(pk=current(later).pk).update(
        planned_due=timezone.localdate() + dt.timedelta(days=5)
    )
    far = factories.project(personas.sales_a, name="下个月到期项目")
    services.process_start(project=far)
    NodeInstance.objects.filter(pk=current(far).pk).update(
        planned_due=timezone.localdate() + dt.timedelta(days=30)
    )
    page = page_text(login(personas.sales_a).get("/"))
    panel = page[page.index('data-testid="panel-my-nodes"') :]
    panel = panel[: panel.index("</section>")]
    assert panel.count('data-testid="my-node"') == 2
    assert panel.count('data-overdue="1"') == 1
    assert project.name in panel and "下周到期项目" in panel and "下个月到期项目" not in panel
    assert panel.index(project.name) < panel.index("下周到期项目")
    assert 'data-testid="panel-my-nodes"' not in page_text(login(personas.manager_a).get("/"))


def test_manager_panels_show_reviews_and_reasons(personas, login, project, process):
    node = make_overdue(current(project))
    services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户资料未到",
    )
    submit_first_visit(personas.sales_a, node)
    page = page_text(login(personas.manager_a).get("/"))
    reviews = page[page.index('data-testid="panel-reviews"') :]
    assert 'data-testid="reviews-total">1<' in reviews and project.name in reviews
    decisions = page[page.index('data-testid="panel-delay-decisions"') :]
    assert 'data-testid="delay-decisions-total">1<' in decisions and "客户资料未到" in decisions
    page = page_text(login(personas.manager_b).get("/"))
    assert 'data-testid="reviews-total">0<' in page
    assert 'data-testid="delay-decisions-total">0<' in page
    assert 'data-testid="panel-reviews"' not in page_text(login(personas.sales_a).get("/"))


@pytest.mark.parametrize("viewer", ["sales_a", "manager_a"])
def test_the_home_panels_queries_do_not_grow(
    personas, login, viewer, django_assert_max_num_queries
):
    def add(count, start):
        for number in range(start, start + count):
            project = factories.project(personas.sales_a, name=f"面板项目{number:02d}")
            services.process_start(project=project)
            node = make_overdue(current(project), days=number + 1)
            services.delay_reason_give(
                node=node,
                user=personas.sales_a,
                category=DelayCategory.objects.get(code="customer-data"),
                text=f"原因{number}",
            )
            if number % 2:
                submit_first_visit(personas.sales_a, node)

    add(2, 0)
    client = login(personas.get(viewer))
    few = queries_for(client, "/")
    add(6, 10)
    with django_assert_max_num_queries(few):
        client.get("/").content  # noqa: B018


# --- Messages --------------------------------------------------------------------------------


def test_submit_review_and_delay_reason_reach_the_inbox(
    personas, login, project, process, django_capture_on_commit_callbacks
):
    from pathscore.notify.models import Notification

    node = make_overdue(current(project))
    with django_capture_on_commit_callbacks(execute=True):
        services.delay_reason_give(
            node=node,
            user=personas.sales_a,
            category=DelayCategory.objects.get(code="customer-data"),
            text="客户资料未到",
        )
    message = Notification.objects.get(recipient=personas.manager_a)
    assert "客户资料未到" in message.body and message.url == node_url(node)

    with django_capture_on_commit_callbacks(execute=True):
        login(personas.sales_a).post(node_url(node, "submit"), first_visit_post(node))
    assert Notification.objects.filter(recipient=personas.manager_a).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        login(personas.manager_a).post(node_url(node, "return"), {"return-comment": "请补充"})
    returned = Notification.objects.get(recipient=personas.sales_a)
    assert "请补充" in returned.body
    assert not Notification.objects.filter(recipient=personas.manager_b).exists()


def test_the_review_queue_and_delays_export(personas, login, project, process):
    node = make_overdue(current(project), days=2)
    services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户资料未到",
    )
    submit_first_visit(personas.sales_a, node)
    client = login(personas.manager_a)
    for url in ("/process/reviews/?export=csv", "/process/delays/?export=csv"):
        response = client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert project.name in body and "首次拜访" in body
    response = client.get("/process/delays/?export=xlsx")
    assert response.status_code == 200
