"""The process template editor: who may use it, the node form editor with its row sets,
reordering and removing nodes, publishing, and what publishing does to projects."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from pathscore.core.models import Option
from pathscore.crm import services as crm_services
from pathscore.process import services
from pathscore.process.choices import VersionStatus
from pathscore.process.models import ProcessTemplate, TemplateVersion
from tests.crm import factories

pytestmark = pytest.mark.django_db

EDITORS = ["sysadmin", "hr"]
NOT_EDITORS = ["sales_a", "manager_a", "regional_head", "tech", "executive"]


def standard():
    return ProcessTemplate.objects.get(code="power-service")


def published(template=None):
    return (template or standard()).versions.get(status=VersionStatus.PUBLISHED)


def new_draft():
    return services.version_new_draft(template=standard())


def rows(prefix, items, initial=0):
    """POST data of a formset: ``items`` are dicts of one row's fields."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        for name, value in item.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def node_data(fields=(), checklist=(), bands=(), **overrides):
    data = {
        "code": "tech-briefing",
        "name": "技术交底",
        "guidance": "向客户技术负责人交底方案的关键技术参数。",
        "position": "",
        "due_rule": "after_previous",
        "due_days": "7",
        "due_date": "",
        "base_score": "10",
        "reviewer_role": "manager",
        "deduction_kind": "per_day",
        "deduction_per_day": "1",
        "deduction_cap": "5",
        "stall_days": "20",
        "reminder_days": "3, 1",
        "escalate_after_days": "3",
        "required_document_kinds": ["technical_proposal"],
        "deliverable_templates": ["followup-record"],
    }
    data.update(rows("fields", list(fields)))
    data.update(rows("checklist", list(checklist)))
    data.update(rows("bands", list(bands)))
    data.update(overrides)
    return data


BRIEFING_FIELD = {"name": "briefing_date", "label": "交底日期", "type": "date", "required": "on"}


def test_everyone_reads_published_templates(personas, login):
    for name in [*EDITORS, *NOT_EDITORS]:
        client = login(personas.get(name))
        page = client.get("/process/templates/")
        assert page.status_code == 200, name
        assert "电力服务标准流程" in page.content.decode()
        assert client.get(f"/process/templates/{standard().pk}/").status_code == 200
        assert client.get(f"/process/versions/{published().pk}/").status_code == 200


def test_drafts_are_the_editors_alone(personas, login):
    draft = new_draft()
    for name in NOT_EDITORS:
        client = login(personas.get(name))
        assert client.get(f"/process/versions/{draft.pk}/").status_code == 404, name
        assert "草稿" not in client.get("/process/templates/").content.decode()
        assert client.get(f"/process/templates/{standard().pk}/").context["draft"] is None
    for name in EDITORS:
        client = login(personas.get(name))
        assert client.get(f"/process/versions/{draft.pk}/").status_code == 200, name


def test_a_template_without_a_published_version_is_hidden_from_readers(personas, login):
    version = services.template_create(code="wind", name="风电项目流程")
    client = login(personas.sales_a)
    assert "风电项目流程" not in client.get("/process/templates/").content.decode()
    assert client.get(f"/process/templates/{version.template_id}/").status_code == 404
    client = login(personas.hr)
    assert "风电项目流程" in client.get("/process/templates/").content.decode()


@pytest.mark.parametrize("name", NOT_EDITORS)
def test_the_editor_refuses_everyone_else(personas, login, name):
    draft = new_draft()
    node = draft.nodes.first()
    client = login(personas.get(name))
    template = standard()
    assert client.get("/process/templates/new/").status_code == 403
    assert client.get(f"/process/templates/{template.pk}/edit/").status_code == 403
    assert client.post(f"/process/templates/{template.pk}/new-draft/").status_code == 403
    assert client.get(f"/process/versions/{draft.pk}/nodes/new/").status_code == 403
    assert client.post(f"/process/versions/{draft.pk}/nodes/new/", node_data()).status_code == 403
    assert client.get(f"/process/definitions/{node.pk}/edit/").status_code == 403
    assert (
        client.post(f"/process/definitions/{node.pk}/move/", {"direction": "down"}).status_code
        == 403
    )
    assert client.post(f"/process/definitions/{node.pk}/remove/").status_code == 403
    response = client.post(f"/process/versions/{draft.pk}/publish/", {"note": "x"})
    assert response.status_code == 403
    assert client.post(f"/process/versions/{draft.pk}/discard/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert draft.nodes.count() == 6


def test_create_a_template_limited_to_a_customer_type(personas, login):
    client = login(personas.sysadmin)
    industrial = Option.objects.get(kind="customer_type", code="industrial")
    energy_saving = Option.objects.get(kind="project_category", code="energy-saving")
    response = client.post(
        "/process/templates/new/",
        {
            "code": "industrial-saving",
            "name": "工业节能改造流程",
            "description": "面向工业企业的节能改造项目。",
            "customer_types": [industrial.pk],
            "categories": [energy_saving.pk],
        },
    )
    template = ProcessTemplate.objects.get(code="industrial-saving")
    draft = template.versions.get()
    assert response.status_code == 302
    assert response["Location"] == f"/process/versions/{draft.pk}/"
    assert draft.status == VersionStatus.DRAFT and draft.number == 1
    assert list(template.customer_types.all()) == [industrial]
    assert list(template.categories.all()) == [energy_saving]

    again = client.post("/process/templates/new/", {"code": "industrial-saving", "name": "x"})
    assert again.status_code == 200
    assert "code" in again.context["form"].errors


def test_edit_a_templates_limits(personas, login):
    template = ProcessTemplate.objects.get(code="new-energy")
    grid = Option.objects.get(kind="customer_type", code="new-energy")
    client = login(personas.hr)
    response = client.post(
        f"/process/templates/{template.pk}/edit/",
        {
            "name": "新能源项目流程（光伏+储能）",
            "description": template.description,
            "customer_types": [grid.pk],
            "categories": [c.pk for c in template.categories.all()],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "新能源项目流程（光伏+储能）"
    assert list(template.customer_types.all()) == [grid]


def test_the_last_template_without_limits_cannot_be_limited_or_deactivated(personas, login):
    client = login(personas.sysadmin)
    template = standard()
    response = client.post(
        f"/process/templates/{template.pk}/edit/",
        {"name": template.name, "description": "", "customer_types": [], "categories": []},
    )
    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = translation.gettext(
            "Keep at least one active template without limits: new projects that match no "
            "other template follow it."
        )
    assert response.context["form"].non_field_errors() == [expected]
    template.refresh_from_db()
    assert template.is_active


def test_new_draft_copies_the_published_version(personas, login):
    client = login(personas.sysadmin)
    response = client.post(f"/process/templates/{standard().pk}/new-draft/")
    draft = standard().versions.get(status=VersionStatus.DRAFT)
    assert response["Location"] == f"/process/versions/{draft.pk}/"
    assert draft.number == 2
    source = list(published().nodes.values_list("code", "name", "fields", "checklist"))
    assert list(draft.nodes.values_list("code", "name", "fields", "checklist")) == source
    # Asking again opens the same draft.
    client.post(f"/process/templates/{standard().pk}/new-draft/")
    assert standard().versions.filter(status=VersionStatus.DRAFT).count() == 1


def test_add_a_node_with_fields_checklist_and_documents(personas, login):
    draft = new_draft()
    negotiation = draft.nodes.get(code="contract-negotiation")
    client = login(personas.sysadmin)
    response = client.post(
        f"/process/versions/{draft.pk}/nodes/new/",
        node_data(
            fields=[
                BRIEFING_FIELD,
                {"name": "attendees", "label": "客户参会人", "type": "text", "required": "on"},
                {
                    "name": "accepted",
                    "label": "客户是否认可",
                    "type": "choice",
                    "required": "on",
                    "choices": "是、否，待定",
                },
                {"name": "", "label": "", "type": "text", "required": "on"},  # the blank row
            ],
            checklist=[{"item": "交底纪要已由客户签字"}, {"item": ""}],
            position=str(negotiation.pk),
        ),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    node = draft.nodes.get(code="tech-briefing")
    assert response["Location"] == f"/process/versions/{draft.pk}/#node-{node.pk}"
    assert node.fields == [
        {"name": "briefing_date", "label": "交底日期", "type": "date", "required": True},
        {"name": "attendees", "label": "客户参会人", "type": "text", "required": True},
        {
            "name": "accepted",
            "label": "客户是否认可",
            "type": "choice",
            "required": True,
            "choices": ["是", "否", "待定"],
        },
    ]
    assert node.checklist == ["交底纪要已由客户签字"]
    assert node.required_document_kinds == ["technical_proposal"]
    assert node.deliverable_templates == ["followup-record"]
    assert node.reminder_days == [3, 1]
    assert node.stall_days == 20
    codes = list(draft.nodes.order_by("order").values_list("code", flat=True))
    assert codes.index("tech-briefing") == codes.index("contract-negotiation") - 1
    assert list(draft.nodes.order_by("order").values_list("order", flat=True)) == list(range(1, 8))


def test_banded_deduction_and_fixed_due_date(personas, login):
    draft = new_draft()
    client = login(personas.hr)
    due = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    response = client.post(
        f"/process/versions/{draft.pk}/nodes/new/",
        node_data(
            deduction_kind="bands",
            deduction_per_day="",
            deduction_cap="",
            due_rule="fixed_date",
            due_date=due,
            bands=[{"from_day": "8", "points": "10"}, {"from_day": "1", "points": "2"}],
        ),
    )
    assert response.status_code == 302
    node = draft.nodes.get(code="tech-briefing")
    assert node.deduction_kind == "bands"
    assert node.deduction_bands == [[1, "2"], [8, "10"]]
    assert node.due_rule == "fixed_date" and node.due_date.isoformat() == due


def error_summary(response) -> str:
    return " ".join(message for _anchor, message in response.context["errors"])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"fields": [{"name": "briefing_date", "label": "", "type": "date"}]},
            r"Node “技术交底” · Required fields 1 · Label: This field is required",
        ),
        (
            {"fields": [{"name": "交底", "label": "交底", "type": "text"}]},
            r"Required fields 1 · Name: Start with a letter",
        ),
        (
            {"fields": [BRIEFING_FIELD, {**BRIEFING_FIELD, "label": "又一个"}]},
            r"Required fields 2 · Name: The name briefing_date is used twice",
        ),
        (
            {"fields": [{"name": "ok", "label": "是否", "type": "choice"}]},
            r"Required fields 1 · Choices: A choice field needs its choices",
        ),
        ({"due_rule": "fixed_date"}, r"Node “技术交底” · Fixed due date: A fixed due rule"),
        (
            {"deduction_kind": "bands"},
            r"Node “技术交底”: Banded deductions need at least one band",
        ),
        ({"code": "first-visit"}, r"Code: Another node of this version already uses the code"),
        ({"reminder_days": "3, one"}, r"Remind days before the due date: Give whole numbers"),
        ({"checklist": [{"item": "签字"}, {"item": "签字"}]}, r"Checklist 2 · Checklist item:"),
        (
            {"deduction_kind": "bands", "bands": [{"from_day": "0", "points": "2"}]},
            r"Deduction bands 1 · From day late:",
        ),
    ],
)
def test_invalid_nodes_name_the_node_and_field_and_save_nothing(
    personas, login, overrides, expected
):
    draft = new_draft()
    personas.sysadmin.language = "en"
    personas.sysadmin.save(update_fields=["language"])
    client = login(personas.sysadmin)
    fields = overrides.pop("fields", [])
    checklist = overrides.pop("checklist", [])
    bands = overrides.pop("bands", [])
    response = client.post(
        f"/process/versions/{draft.pk}/nodes/new/",
        node_data(fields=fields, checklist=checklist, bands=bands, **overrides),
    )
    assert response.status_code == 400
    assert re.search(expected, error_summary(response)), error_summary(response)
    assert draft.nodes.count() == 6
    # What was typed is kept.
    assert 'value="技术交底"' in response.content.decode()


def test_edit_a_node_and_remove_rows(personas, login):
    draft = new_draft()
    node = draft.nodes.get(code="requirement-report")
    client = login(personas.sysadmin)
    form = client.get(f"/process/definitions/{node.pk}/edit/")
    assert form.status_code == 200
    assert 'value="power_load"' in form.content.decode()
    fields = [
        {"name": spec["name"], "label": spec["label"], "type": spec["type"], "required": "on"}
        for spec in node.fields
    ]
    fields[1]["DELETE"] = "on"  # 现有设备情况 goes
    data = node_data(
        fields=fields,
        checklist=[{"item": "报告已与客户技术负责人核对"}],
        code="requirement-report",
        name="需求分析报告",
        stall_days="25",
        reminder_days="5,3,1",
    )
    data.update(rows("fields", fields, initial=3))
    data.update(rows("checklist", [{"item": "报告已与客户技术负责人核对"}], initial=1))
    response = client.post(f"/process/definitions/{node.pk}/edit/", data)
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.name == "需求分析报告"
    assert [spec["label"] for spec in node.fields] == ["用电负荷", "未来3年需求预测"]
    assert node.stall_days == 25
    assert node.reminder_days == [5, 3, 1]
    # The published version is untouched.
    assert published().nodes.get(code="requirement-report").name == "需求分析报告提交"


def test_move_and_remove_nodes(personas, login):
    draft = new_draft()
    client = login(personas.sysadmin)
    demo = draft.nodes.get(code="proposal-demo")
    client.post(f"/process/definitions/{demo.pk}/move/", {"direction": "up"})
    codes = list(draft.nodes.order_by("order").values_list("code", flat=True))
    assert codes[:3] == ["first-visit", "proposal-demo", "requirement-report"]
    client.post(f"/process/definitions/{demo.pk}/move/", {"direction": "down"})
    client.post(f"/process/definitions/{demo.pk}/move/", {"direction": "down"})
    codes = list(draft.nodes.order_by("order").values_list("code", flat=True))
    assert codes[:4] == ["first-visit", "requirement-report", "feedback-handling", "proposal-demo"]
    # The first node cannot go further up.
    first = draft.nodes.get(code="first-visit")
    client.post(f"/process/definitions/{first.pk}/move/", {"direction": "up"})
    assert draft.nodes.order_by("order").first() == first

    response = client.post(f"/process/definitions/{demo.pk}/remove/")
    assert response.status_code == 302
    assert list(draft.nodes.order_by("order").values_list("order", flat=True)) == [1, 2, 3, 4, 5]
    assert not draft.nodes.filter(code="proposal-demo").exists()


def test_a_published_version_is_never_edited(personas, login):
    version = published()
    node = version.nodes.get(code="first-visit")
    client = login(personas.sysadmin)
    response = client.get(f"/process/definitions/{node.pk}/edit/")
    assert response.status_code == 302
    response = client.post(f"/process/definitions/{node.pk}/edit/", node_data(code="first-visit"))
    assert response.status_code == 302
    client.post(f"/process/definitions/{node.pk}/remove/")
    client.post(f"/process/definitions/{node.pk}/move/", {"direction": "down"})
    client.post(f"/process/versions/{version.pk}/publish/", {"note": "again"})
    assert version.nodes.count() == 6
    node.refresh_from_db()
    assert node.name == "首次拜访" and node.order == 1
    with pytest.raises(ValidationError):
        services.node_update(definition=node, name="改名")


def test_publishing_needs_a_note_and_retires_the_old_version(personas, login):
    draft = new_draft()
    client = login(personas.sysadmin)
    refused = client.post(f"/process/versions/{draft.pk}/publish/", {"note": ""})
    assert refused.status_code == 400
    assert refused.context["publish_form"].errors["note"]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT

    response = client.post(f"/process/versions/{draft.pk}/publish/", {"note": "加入技术交底"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert draft.note == "加入技术交底"
    assert draft.published_by == personas.sysadmin
    assert TemplateVersion.objects.get(template=standard(), number=1).status == "retired"


def test_new_projects_follow_the_new_version_running_ones_keep_theirs(personas, login):
    old = factories.project(personas.sales_a, name="老项目")
    old_process = services.process_start(project=old)
    draft = new_draft()
    client = login(personas.sysadmin)
    client.post(
        f"/process/versions/{draft.pk}/nodes/new/",
        node_data(fields=[BRIEFING_FIELD], checklist=[{"item": "交底纪要已签字"}]),
    )
    client.post(f"/process/versions/{draft.pk}/publish/", {"note": "加入技术交底"})

    new = factories.project(personas.sales_a, name="新项目")
    new_process = services.process_start(project=new)
    assert new_process.version == draft
    assert "tech-briefing" in new.nodes.values_list("definition__code", flat=True)
    old_process.refresh_from_db()
    assert old_process.version.number == 1
    assert "tech-briefing" not in old.nodes.values_list("definition__code", flat=True)


def test_discard_a_draft(personas, login):
    draft = new_draft()
    client = login(personas.hr)
    response = client.post(f"/process/versions/{draft.pk}/discard/")
    assert response.status_code == 302
    assert not TemplateVersion.objects.filter(pk=draft.pk).exists()
    assert published().nodes.count() == 6
    # A published version cannot be discarded.
    client.post(f"/process/versions/{published().pk}/discard/")
    assert published().nodes.count() == 6


def test_a_template_limited_to_a_category_is_proposed_for_it(personas):
    version = services.template_create(
        code="saving",
        name="节能改造流程",
        nodes=[{"code": "audit", "name": "能源审计", "due_days": 10}],
        publish_now=True,
    )
    services.template_update(
        template=version.template,
        categories=[Option.objects.get(kind="project_category", code="energy-saving")],
    )
    customer = factories.customer(personas.sales_a, name="钢铁厂", type_code="industrial")
    project = crm_services.project_create(
        actor=personas.sales_a,
        customer=customer,
        name="余热回收改造",
        category=Option.objects.get(kind="project_category", code="energy-saving"),
        estimated_amount=Decimal("500000"),
    )
    assert services.template_for(project) == version


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("viewer", ["sysadmin", "manager_a"])
def test_template_list_queries_do_not_grow(personas, login, viewer, django_assert_max_num_queries):
    client = login(personas.get(viewer))
    for number in range(2):
        services.template_create(
            code=f"t{number}",
            name=f"模板{number}",
            nodes=[{"code": "a", "name": "甲"}],
            publish_now=True,
        )
    few = count_queries(client, "/process/templates/")
    for number in range(2, 8):
        version = services.template_create(
            code=f"t{number}",
            name=f"模板{number}",
            nodes=[{"code": "a", "name": "甲"}],
            publish_now=True,
        )
        services.version_new_draft(template=version.template)
    with django_assert_max_num_queries(few):
        assert len(client.get("/process/templates/").context["object_list"]) == 10


def test_template_and_version_pages_queries_do_not_grow(
    personas, login, django_assert_max_num_queries
):
    client = login(personas.sysadmin)
    draft = new_draft()
    template_url = f"/process/templates/{standard().pk}/"
    version_url = f"/process/versions/{draft.pk}/"
    few_template, few_version = (
        count_queries(client, template_url),
        count_queries(client, version_url),
    )
    for number in range(6):
        services.node_add(version=draft, code=f"extra-{number}", name=f"附加{number}")
    services.version_publish(version=draft, note="更多节点")
    new_draft()
    with django_assert_max_num_queries(few_template):
        client.get(template_url)
    with django_assert_max_num_queries(few_version):
        client.get(version_url)
