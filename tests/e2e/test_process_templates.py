"""The template editor in the browser: an admin adds 技术交底 to a draft of the standard
process and publishes it; new projects follow v2, a running one stays on v1."""

import re

import pytest
from django.apps import apps
from playwright.sync_api import expect

from pathscore.core.options import seed_options
from pathscore.process import services
from pathscore.process.choices import VersionStatus
from pathscore.process.models import ProcessTemplate, ProjectProcess
from pathscore.process.seeding import seed_defaults
from tests.crm import factories
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

VERSION_URL = re.compile(r"/process/versions/\d+/(#node-\d+)?$")
TEMPLATE_URL = re.compile(r"/process/templates/\d+/$")


@pytest.fixture(autouse=True)
def _bundled_defaults(transactional_db):
    # Live-server tests run on a transactional database, flushed after each test (with the
    # option lists and bundled templates the migrations seeded), so they are seeded again.
    seed_options()
    seed_defaults(apps)


def standard():
    return ProcessTemplate.objects.get(code="power-service")


def test_admin_adds_a_node_and_publishes_new_projects_follow_it(page, new_context, personas):
    running = factories.project(personas.sales_a, name="南京配网运维项目")
    services.process_start(project=running)
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, personas.sysadmin)
    page.goto("/process/templates/")
    page.get_by_role("link", name="电力服务标准流程").click()
    expect(page).to_have_url(TEMPLATE_URL)
    page.get_by_test_id("new-draft").click()
    expect(page).to_have_url(VERSION_URL)
    expect(page.get_by_test_id("publish")).to_be_visible()
    draft = standard().versions.get(status=VersionStatus.DRAFT)
    negotiation = draft.nodes.get(code="contract-negotiation")

    page.get_by_test_id("add-node").click()
    form = page.get_by_test_id("node-form")
    form.locator("#id_name").fill("技术交底")
    form.locator("#id_code").fill("tech-briefing")
    form.locator("#id_guidance").fill("向客户技术负责人交底方案的关键参数。")
    form.locator("#id_position").select_option(str(negotiation.pk))
    form.locator("[name=fields-0-name]").fill("briefing_date")
    form.locator("[name=fields-0-label]").fill("交底日期")
    form.locator("[name=fields-0-type]").select_option("date")
    expect(form.locator("[name=fields-0-required]")).to_be_checked()
    # A second row added and removed again leaves nothing behind.
    form.get_by_test_id("add-field").click()
    form.locator("[name=fields-1-name]").fill("spare")
    form.locator("[name=fields-1-name]").locator("xpath=ancestor::tr").locator(
        "[data-row-remove]"
    ).click()
    expect(form.locator("[name=fields-1-name]")).to_be_hidden()
    # Choices are asked for only when the type is a choice.
    expect(form.locator("[name=fields-0-choices]")).to_be_hidden()
    form.locator("[name=checklist-0-item]").fill("交底纪要已由客户签字")
    form.get_by_test_id("save-node").click()

    expect(page).to_have_url(VERSION_URL)
    names = page.get_by_test_id("version-nodes").get_by_test_id("node-name")
    expect(names).to_have_text(
        [
            "首次拜访",
            "需求分析报告提交",
            "方案演示",
            "客户反馈处理",
            "技术交底",
            "合同谈判",
            "合同签订",
        ]
    )
    briefing = page.get_by_test_id("node-tech-briefing")
    expect(briefing).to_contain_text("交底日期")
    expect(briefing).to_contain_text("交底纪要已由客户签字")

    page.locator("#id_note").fill("在合同谈判前加入技术交底")
    page.get_by_test_id("publish-submit").click()

    expect(page).to_have_url(TEMPLATE_URL)
    expect(page.get_by_test_id("published-version")).to_contain_text("v2")
    expect(page.get_by_test_id("node-tech-briefing")).to_be_visible()
    expect(page.get_by_test_id("version-1")).to_be_visible()

    definition = standard().versions.get(number=2).nodes.get(code="tech-briefing")
    assert definition.fields == [
        {"name": "briefing_date", "label": "交底日期", "type": "date", "required": True}
    ]
    assert definition.checklist == ["交底纪要已由客户签字"]

    # A project created now follows v2; the running one stays on v1 until migrated.
    fresh = factories.project(personas.sales_a, name="苏州新建变电站运维项目")
    services.process_start(project=fresh)
    assert ProjectProcess.objects.get(project=fresh).version.number == 2
    assert ProjectProcess.objects.get(project=running).version.number == 1
    assert "tech-briefing" in fresh.nodes.values_list("definition__code", flat=True)
    assert "tech-briefing" not in running.nodes.values_list("definition__code", flat=True)

    # The team's manager sees one running project on each version.
    manager = new_context().new_page()
    sign_in(manager, personas.manager_a)
    manager.goto(f"/process/templates/{standard().pk}/")
    expect(manager.get_by_test_id("running-1")).to_have_text("1")
    expect(manager.get_by_test_id("running-2")).to_have_text("1")
    expect(manager.get_by_test_id("open-draft")).to_have_count(0)


def test_the_node_editor_fits_a_phone(phone_page, personas):
    draft = services.version_new_draft(template=standard())
    sign_in(phone_page, personas.hr)
    phone_page.goto(f"/process/versions/{draft.pk}/nodes/new/")
    form = phone_page.get_by_test_id("node-form")
    form.get_by_test_id("add-field").click()
    expect(form.locator("[name=fields-1-name]")).to_be_visible()
    form.locator("#id_deduction_kind").select_option("bands")
    expect(form.get_by_test_id("band-rows")).to_be_visible()
    expect(form.locator("#id_deduction_cap")).to_be_hidden()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
