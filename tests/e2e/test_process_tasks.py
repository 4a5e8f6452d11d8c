"""Hand-offs in the browser: a salesperson records the customer's feedback on a proposal,
a 方案调整 task appears for the technical team, an engineer acknowledges and completes it,
and the salesperson sees it done with its response time."""

import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from pathscore.core.models import Option
from pathscore.core.options import seed_options
from pathscore.crm import services as crm_services
from pathscore.process import services
from pathscore.process.choices import TaskState, TriggerEvent
from pathscore.process.models import HandoffTask
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes
from tests.e2e.helpers import sign_in, sign_out

pytestmark = pytest.mark.browser

FEEDBACK = "客户反馈：储能容量配置偏大，成本过高"
TASK_URL = re.compile(r"/process/tasks/\d+/$")


@pytest.fixture(autouse=True)
def _option_lists(transactional_db):
    # Live-server tests run on a flushed database: the option lists are seeded again.
    seed_options()


@pytest.fixture
def proposal(personas):
    project = factories.project(personas.sales_a, name="苏州工业园区储能项目")
    version = crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind="proposal",
        title="储能系统技术方案",
        file=ContentFile(pdf_bytes("V1"), name="储能方案V1.pdf"),
        change_note="初稿",
    )
    services.rule_create(
        actor=personas.sysadmin,
        name="客户对方案有反馈时安排方案调整",
        event=TriggerEvent.DOCUMENT_FEEDBACK,
        document_kind="proposal",
        task_kind=Option.objects.get(kind="task_kind", code="proposal-revision"),
        assignee_department=personas.tech_dept,
        due_days=5,
    )
    return version


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_customer_feedback_reaches_the_technical_team_and_comes_back_done(
    request, personas, proposal, screen
):
    page = request.getfixturevalue("page" if screen == "desktop" else "phone_page")
    project = proposal.document.project

    # The salesperson records what the customer said about V1.
    sign_in(page, personas.sales_a)
    page.goto(f"/documents/{proposal.document_id}/")
    page.get_by_test_id("record-feedback-V1").click()
    form = page.get_by_test_id("feedback-form")
    form.locator("#id_feedback").fill(FEEDBACK)
    form.get_by_test_id("save").click()
    expect(page.get_by_test_id("feedback-V1")).to_contain_text(FEEDBACK)

    # A revision task for the technical team is on the project's Tasks tab.
    page.goto(f"/projects/{project.pk}/?tab=tasks")
    row = page.get_by_test_id("task-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("方案调整")
    expect(row).to_contain_text(personas.tech_dept.name)
    expect(row.get_by_test_id("task-state")).to_have_attribute("data-state", "open")
    sign_out(page)

    # The engineer finds it on the home page, takes it and finishes it.
    sign_in(page, personas.tech)
    panel = page.get_by_test_id("panel-team-tasks")
    expect(panel.get_by_test_id("team-task")).to_have_count(1)
    panel.get_by_test_id("team-task").get_by_role("link").click()
    expect(page).to_have_url(TASK_URL)
    expect(page.get_by_test_id("task-description")).to_contain_text(FEEDBACK)
    expect(page.get_by_test_id("task-relay")).to_be_visible()
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("task-state")).to_have_attribute("data-state", "acknowledged")
    expect(page.get_by_test_id("clock-acknowledged-elapsed")).to_be_visible()
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    page.get_by_test_id("complete-form").locator("#id_result").fill("已下调储能容量，方案V2已上传")
    page.get_by_test_id("complete").click()
    expect(page.get_by_test_id("task-state")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("clock-done-elapsed")).to_be_visible()
    expect(page.get_by_test_id("task-result")).to_contain_text("方案V2已上传")
    sign_out(page)

    # The salesperson sees it done, with how long the team took.
    sign_in(page, personas.sales_a)
    page.goto(f"/projects/{project.pk}/?tab=tasks")
    row = page.get_by_test_id("task-row")
    expect(row.get_by_test_id("task-state")).to_have_attribute("data-state", "done")
    expect(row.get_by_test_id("task-done-in")).to_be_visible()

    task = HandoffTask.objects.get()
    assert task.state == TaskState.DONE
    assert task.created_by == personas.sales_a and task.acknowledged_by == personas.tech
    assert task.created_at <= task.acknowledged_at <= task.done_at
