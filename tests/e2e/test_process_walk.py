"""One project walked along the standard process, from the first visit to the signing: a
salesperson submits each node, their manager reviews it. On the way the first visit is
late (the customer's fault: the manager accepts the reason and waives the deduction), and
the requirement report is first refused as incomplete, then returned by the manager."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from pathscore.core.options import seed_options
from pathscore.crm import services as crm_services
from pathscore.process import services
from pathscore.process.models import DelayCategory, NodeInstance, ProjectProcess
from pathscore.process.seeding import seed_defaults
from tests.crm import factories
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n%%EOF\n"
TODAY = timezone.localdate()

#: What the salesperson types for each node of the standard process.
FIELDS = {
    "first-visit": {"key_contact": "周建国 副总经理", "visit_date": TODAY.isoformat()},
    "requirement-report": {
        "power_load": "最大负荷 12MW，平均 8MW",
        "existing_equipment": "2 台 110kV 主变，运行 15 年",
        "demand_forecast": "年增 8%，2029 年达 15MW",
    },
    "proposal-demo": {"attendees": "周建国、设备部刘工"},
    "feedback-handling": {"feedback_summary": "希望降低初期投资", "customer_confirmed": "是"},
    "contract-negotiation": {"contract_amount": "286.5"},
    "contract-signing": {"signed_date": TODAY.isoformat()},
}
#: The document version each node attaches (by its file name), where the standard asks.
ATTACH = {
    "requirement-report": "需求分析报告.pdf",
    "proposal-demo": "技术方案.pdf",
    "contract-negotiation": "合同草案.pdf",
}


@pytest.fixture(autouse=True)
def _bundled_data(transactional_db):
    # Live-server tests flush the database after each test, migration data included: the
    # option lists, delay categories and process templates are seeded again.
    seed_options()
    seed_defaults(apps)


@pytest.fixture
def manager_page(browser, browser_context_args):
    """A second desktop browser, for the manager, beside the salesperson's ``page``."""
    context = browser.new_context(**browser_context_args)
    yield context.new_page()
    context.close()


def open_current_node(page: Page, project) -> None:
    page.goto(f"/projects/{project.pk}/?tab=process")
    page.locator('[aria-current="step"]').get_by_test_id("node-link").click()
    expect(page.get_by_test_id("node-header")).to_be_visible()


def fill_submission(page: Page, code: str, *, fields=None, tick=True, attach=True) -> None:
    form = page.get_by_test_id("submit-form")
    for name, value in (FIELDS[code] if fields is None else fields).items():
        widget = form.locator(f"#id_submit-field_{name}")
        if widget.evaluate("element => element.tagName") == "SELECT":
            widget.select_option(value)
        else:
            widget.fill(value)
    if tick:
        for box in form.get_by_test_id("checklist").locator("input[type=checkbox]").all():
            box.check()
    if attach and code in ATTACH:
        form.get_by_label(f"V1 · {ATTACH[code]}").check()


def expect_state(page: Page, state: str) -> None:
    expect(page.get_by_test_id("node-header").get_by_test_id("node-state")).to_have_attribute(
        "data-state", state
    )


def review(page: Page, *, score: str, comment: str = "") -> None:
    """The manager opens the oldest submission from the home panel and approves it."""
    page.goto("/")
    page.get_by_test_id("panel-reviews").get_by_test_id("review-item").first.locator("a").click()
    expect(page.get_by_test_id("review-card")).to_be_visible()
    page.locator("#id_approve-quality_score").fill(score)
    if comment:
        page.locator("#id_approve-comment").fill(comment)
    page.get_by_test_id("approve").click()
    expect_state(page, "approved")


def test_a_project_from_first_visit_to_signing(page, manager_page, personas):
    project = factories.project(
        personas.sales_a,
        name="南京江北新区配网运维项目",
        started_on=TODAY - dt.timedelta(days=20),
    )
    services.process_start(project=project)  # idempotent: the creation event may have run
    for kind, name in (
        ("requirement_report", "需求分析报告.pdf"),
        ("proposal", "技术方案.pdf"),
        ("contract_draft", "合同草案.pdf"),
    ):
        crm_services.document_create(
            actor=personas.sales_a,
            project=project,
            kind=kind,
            title=name.removesuffix(".pdf"),
            file=ContentFile(PDF, name=name),
        )
    # The first visit should have been done three days ago.
    NodeInstance.objects.filter(project=project, order=1).update(
        planned_due=TODAY - dt.timedelta(days=3)
    )
    customer_side = DelayCategory.objects.get(code="customer-data")

    sales, manager = page, manager_page
    sign_in(sales, personas.sales_a)
    sign_in(manager, personas.manager_a)

    # --- The salesperson sees the late first visit, explains it and submits. -------------
    expect(sales.get_by_test_id("panel-my-nodes").get_by_test_id("my-node")).to_have_attribute(
        "data-overdue", "1"
    )
    sales.goto(f"/projects/{project.pk}/?tab=process")
    nodes = sales.get_by_test_id("path-node")
    expect(nodes).to_have_count(6)
    first = sales.locator('[data-code="first-visit"]')
    expect(first).to_have_class("ps-path-node is-current is-overdue")
    expect(first.get_by_test_id("days-late")).to_have_text("3")

    open_current_node(sales, project)
    delay = sales.get_by_test_id("delay-form")
    delay.locator("#id_delay-category").select_option(str(customer_side.pk))
    delay.locator("#id_delay-text").fill("客户未提供完整的用电数据，拜访推迟")
    sales.get_by_test_id("give-reason").click()
    expect(sales.get_by_test_id("delay-reason")).to_have_attribute("data-decision", "pending")
    expect(sales.get_by_test_id("delay-form")).to_have_count(0)

    fill_submission(sales, "first-visit")
    sales.get_by_test_id("submit-node").click()
    expect_state(sales, "submitted")
    expect(sales.get_by_test_id("no-actions")).to_be_visible()

    # --- The manager approves it, then accepts the customer-side reason. -----------------
    review(manager, score="90", comment="拜访记录完整")
    expect(manager.get_by_test_id("score")).to_contain_text("6.00")  # 10 × 0.9 − 3 days
    manager.goto("/")
    manager.get_by_test_id("panel-delay-decisions").get_by_test_id("delay-decision-item").locator(
        "a"
    ).click()
    decide = manager.get_by_test_id("decide-form")
    decide.locator("input[value=accept]").check()
    decide.locator("input[name$=waived_percent]").fill("100")
    manager.get_by_test_id("decide").click()
    expect(manager.get_by_test_id("delay-reason")).to_have_attribute("data-decision", "accepted")
    expect(manager.get_by_test_id("waived")).to_contain_text("100%")
    expect(manager.get_by_test_id("score")).to_contain_text("9.00")  # the deduction waived

    # --- The requirement report: refused as incomplete, then returned, then approved. ----
    open_current_node(sales, project)
    expect(sales.get_by_test_id("node-name")).to_contain_text("需求分析报告提交")
    fill_submission(
        sales,
        "requirement-report",
        fields={"power_load": "最大负荷 12MW"},
        tick=False,
        attach=False,
    )
    sales.get_by_test_id("submit-node").click()
    missing = sales.get_by_test_id("missing-item")
    expect(missing).to_have_count(4)  # two fields, the checklist item, the report
    expect(sales.get_by_test_id("submit-errors")).to_contain_text("现有设备情况")
    expect(sales.get_by_test_id("submit-errors")).to_contain_text("未来3年需求预测")
    expect(sales.locator("#id_submit-field_power_load")).to_have_value("最大负荷 12MW")
    expect_state(sales, "in_progress")

    fill_submission(sales, "requirement-report")
    sales.get_by_test_id("submit-node").click()
    expect_state(sales, "submitted")

    manager.goto("/")
    manager.get_by_test_id("panel-reviews").get_by_test_id("review-item").first.locator("a").click()
    manager.locator("#id_return-comment").fill("请补充未来3年需求预测的依据")
    manager.get_by_test_id("return").click()
    expect_state(manager, "returned")

    open_current_node(sales, project)
    expect_state(sales, "returned")
    expect(sales.get_by_test_id("returned-because")).to_contain_text("请补充未来3年需求预测的依据")
    # The form starts from the returned attempt: only the forecast is reworded.
    expect(sales.locator("#id_submit-field_existing_equipment")).to_have_value(
        FIELDS["requirement-report"]["existing_equipment"]
    )
    sales.locator("#id_submit-field_demand_forecast").fill("依据园区规划，年增 8%，2029 年达 15MW")
    sales.get_by_test_id("submit-node").click()
    expect_state(sales, "submitted")
    expect(sales.get_by_test_id("submission")).to_have_count(2)
    review(manager, score="80")
    expect(manager.get_by_test_id("score")).to_contain_text("16.00")

    # --- The remaining nodes, each submitted and approved. --------------------------------
    for code in ("proposal-demo", "feedback-handling", "contract-negotiation", "contract-signing"):
        open_current_node(sales, project)
        fill_submission(sales, code)
        sales.get_by_test_id("submit-node").click()
        expect_state(sales, "submitted")
        review(manager, score="100")

    # --- The path is complete; the project is marked signed. ------------------------------
    sales.goto(f"/projects/{project.pk}/?tab=process")
    expect(sales.get_by_test_id("process-completed")).to_be_visible()
    expect(sales.locator('[data-testid="path-node"][data-state="approved"]')).to_have_count(6)
    expect(sales.get_by_test_id("current-node")).to_have_count(0)
    expect(sales.locator('[data-code="first-visit"]').get_by_test_id("node-score")).to_have_text(
        "9.00"
    )
    expect(
        sales.locator('[data-code="contract-signing"]').get_by_test_id("node-score")
    ).to_have_text("20.00")

    sales.goto(f"/projects/{project.pk}/status/?to=won")
    sales.locator("#id_signed_amount").fill("2865000")
    sales.locator("#id_signed_on").fill(TODAY.isoformat())
    sales.get_by_test_id("save").click()
    expect(sales.get_by_test_id("status-badge")).to_have_attribute("data-status", "won")

    process = ProjectProcess.objects.get(project=project)
    assert process.completed_on == TODAY and process.current_node is None
    scores = dict(
        NodeInstance.objects.filter(project=project).values_list("definition__code", "score")
    )
    assert scores == {
        "first-visit": Decimal("9.00"),
        "requirement-report": Decimal("16.00"),
        "proposal-demo": Decimal("20.00"),
        "feedback-handling": Decimal("15.00"),
        "contract-negotiation": Decimal("15.00"),
        "contract-signing": Decimal("20.00"),
    }
