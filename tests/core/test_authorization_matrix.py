"""The authorisation matrix: every page and API endpoint, discovered from the URLconf and
the router, tried by every persona.

A world of records is built twice — team A's (王销售 / sales_a) and team B's (赵销售 /
sales_b), every record of team B named with a canary string — and then:

* no persona gets a server error from any page or endpoint;
* a foreign object is a 404 (or a 403 where the role may not use the page at all), never
  a page that shows it;
* no list, export or API list shows a team-B record to team A's people;
* every URL is resolvable here: a new view whose arguments this file does not know fails
  ``test_every_url_is_in_the_matrix`` until it is added, so no view escapes the matrix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from pathscore.core.testing.personas import PERSONA_NAMES

pytestmark = pytest.mark.django_db

CANARY = "金丝雀"  # in the name of every team-B record

#: Pages outside the matrix, each with the reason.
EXEMPT = {
    "accounts/login/": "public sign-in page",
    "accounts/logout/": "signs out (POST)",
    "language/": "language switch (POST), no data",
    "api/schema/": "the OpenAPI schema: no records",
    "api/docs/": "the API documentation page: no records",
    "api/redoc/": "the API documentation page: no records",
}


# --- Discovery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "projects/<int:pk>/" or "api/v1/^nodes/(?P<pk>[^/.]+)/$"
    name: str
    view: object  # the view class (Django CBV or DRF viewset)
    actions: dict | None  # a DRF viewset's {method: action}

    @property
    def kwargs(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", self.template) and [
            a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", self.template)
        ]

    @property
    def is_api(self) -> bool:
        return self.template.startswith("api/v1/")

    def model(self):
        model = getattr(self.view, "model", None)
        queryset = getattr(self.view, "queryset", None)
        if model is None and queryset is not None:
            model = queryset.model
        return model

    def path(self, values: dict) -> str:
        path = self.template
        for key, value in values.items():
            path = re.sub(rf"\(\?P<{key}>[^)]*\)", str(value), path)
            path = re.sub(rf"<(?:\w+:)?{key}>", str(value), path)
        path = path.replace("^", "").replace("$", "")
        return "/" + path


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def routes() -> list[Route]:
    found = []
    for template, pattern in _walk(get_resolver().url_patterns):
        if template.startswith(("admin/", "^admin", "static/")) or "format" in template:
            continue
        callback = pattern.callback
        view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        found.append(
            Route(
                template=template,
                name=pattern.name or "",
                view=view,
                actions=getattr(callback, "actions", None),
            )
        )
    return found


# --- The world ----------------------------------------------------------------------------


def pdf(marker: str) -> ContentFile:
    body = b"%PDF-1.4\n" + f"% {marker}\n".encode() + b"trailer\n<<>>\n%%EOF\n"
    return ContentFile(body, name=f"{marker}.pdf")


@dataclass
class Side:
    """One team's records."""

    customer: object
    contact: object
    project: object
    followup: object
    need: object
    document: object
    version: object
    term: object
    node: object
    delay_reason: object
    milestone: object
    task: object
    rating: object
    quality: object
    commendation: object
    result: object
    appeal: object
    notification: object
    alert: object = None
    import_batch: object = None


def build_side(personas, owner, manager, label: str, period) -> Side:
    from pathscore.core.models import Option
    from pathscore.crm import services as crm
    from pathscore.crm.models import CustomerNeed
    from pathscore.notify.services import notify_inbox
    from pathscore.process import services as process
    from pathscore.process.models import DelayCategory, NodeInstance
    from pathscore.scoring import services as scoring
    from tests.crm import factories

    customer = factories.customer(owner, name=f"{label}电网公司")
    contact = crm.contact_create(actor=owner, customer=customer, name=f"{label}联系人")
    project = factories.project(owner, customer, name=f"{label}配网项目")
    followup = factories.followup(
        owner, project, content=f"{label}拜访记录", needs=[f"{label}需求"], contacts=[contact]
    )
    need = CustomerNeed.objects.get(followup=followup)
    version = crm.document_create(
        actor=owner, project=project, kind="proposal", title=f"{label}方案", file=pdf(label)
    )
    term = crm.term_create(
        actor=owner, project=project, topic="payment", description=f"{label}付款条款"
    )
    process.process_start(project=project)
    node = NodeInstance.objects.filter(project=project).order_by("order").first()
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=5)
    )
    node.refresh_from_db()
    delay_reason = process.delay_reason_give(
        node=node, user=owner, category=DelayCategory.objects.first(), text=f"{label}延期原因"
    )
    task = process.task_create(
        project=project,
        kind=Option.objects.filter(kind="task_kind").first(),
        title=f"{label}协作任务",
        assignee_department=personas.tech_dept,
        due_date=timezone.localdate() + dt.timedelta(days=3),
        created_by=owner,
    )
    rating = scoring.customer_rating_create(
        actor=manager,
        person=owner,
        customer=customer,
        project=project,
        rated_on=timezone.localdate(),
        domain_knowledge=3,
        communication=4,
        comment=f"{label}客户评价",
        source="call",
    )
    quality = scoring.quality_rating_create(
        actor=personas.tech, version=version, score=80, comment=f"{label}质量评价"
    )
    commendation = scoring.commendation_create(
        actor=manager, person=owner, title=f"{label}表彰", text=f"{label}表彰内容"
    )
    notification = notify_inbox(recipient=owner, title=f"{label}通知")
    import_batch = _import_batch_of(owner, name=f"{label}客户导入.xlsx")
    return Side(
        customer=customer,
        contact=contact,
        project=project,
        followup=followup,
        need=need,
        document=version.document,
        version=version,
        term=term,
        node=node,
        delay_reason=delay_reason,
        milestone=crm.milestone_record(
            actor=owner,
            project=project,
            kind="internal_review",
            reached_on=timezone.localdate(),
            note=f"{label}合同评审",
        ),
        task=task,
        rating=rating,
        quality=quality,
        commendation=commendation,
        result=None,
        appeal=None,
        notification=notification,
        import_batch=import_batch,
    )


@pytest.fixture
def world(personas):
    from pathscore.scoring import services as scoring
    from pathscore.scoring.bundled import DEFAULT_CODE  # noqa: F401 (the default card applies)
    from pathscore.scoring.models import Result

    today = timezone.localdate()
    period = scoring.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today,
        name="矩阵考核期",
    )
    course = scoring.training_course_create(actor=personas.hr, code="m-course", name="储能技术基础")
    session = scoring.training_session_create(
        actor=personas.hr,
        course=course,
        held_on=today + dt.timedelta(days=7),
        required=[personas.sales_a, personas.sales_b],
    )
    a = build_side(personas, personas.sales_a, personas.manager_a, "本队", period)
    b = build_side(personas, personas.sales_b, personas.manager_b, CANARY, period)
    scoring.period_close(period=period, actor=personas.hr)
    from pathscore.insights.models import Alert
    from pathscore.insights.services import alerts_detect

    alerts_detect()  # both projects are stalled at their first node
    for side, person in ((a, personas.sales_a), (b, personas.sales_b)):
        side.alert = Alert.objects.filter(person=person).first()
        side.result = Result.objects.get(period=period, person=person)
        side.appeal = scoring.appeal_submit(
            result=side.result, person=person, reason=f"申诉{person.name}"
        )
    return {"a": a, "b": b, "period": period, "session": session}


#: Which record a page's ``pk`` names, by the start of its path (the API's viewsets say it
#: themselves). The first match wins, so longer prefixes come first.
PAGE_MODELS = [
    ("org/people/", "User"),
    ("org/departments/", "Department"),
    ("org/robots/", "DepartmentRobot"),
    ("inbox/", "Notification"),
    ("accounts/profile/tokens/", "ApiToken"),
    ("notify/webhooks/deliveries/", "WebhookDelivery"),
    ("notify/webhooks/", "Webhook"),
    ("customers/", "Customer"),
    ("contacts/", "Contact"),
    ("projects/", "Project"),
    ("followups/", "FollowUp"),
    ("needs/", "CustomerNeed"),
    ("documents/", "Document"),
    ("versions/", "DocumentVersion"),
    ("terms/", "ContractTerm"),
    ("process/projects/", "Project"),
    ("process/nodes/", "NodeInstance"),
    ("process/tasks/", "HandoffTask"),
    ("process/rules/", "AutomationRule"),
    ("process/delay-categories/", "DelayCategory"),
    ("process/templates/", "ProcessTemplate"),
    ("process/versions/", "TemplateVersion"),
    ("process/definitions/", "NodeDefinition"),
    ("scoring/scorecards/", "Scorecard"),
    ("scoring/training/sessions/", "TrainingSession"),
    ("scoring/training/courses/", "TrainingCourse"),
    ("scoring/periods/", "Period"),
    ("scoring/results/", "Result"),
    ("scoring/appeals/", "Appeal"),
    ("insights/alerts/", "Alert"),
    ("imports/batches/", "ImportBatch"),
]

#: Records of the company rather than of a team: the same for both sides.
COMPANY_WIDE = {
    "ProcessTemplate",
    "TemplateVersion",
    "NodeDefinition",
    "AutomationRule",
    "DelayCategory",
    "Scorecard",
    "TrainingCourse",
    "TrainingSession",
    "DepartmentRobot",
    "Period",
    "Webhook",
    "WebhookDelivery",
}


def model_name(route: Route) -> str | None:
    if route.is_api:
        model = route.model()
        return model.__name__ if model is not None else None
    for prefix, name in PAGE_MODELS:
        if route.template.startswith(prefix):
            return name
    return None


class Missing:
    """A company-wide record of a kind the world has none of: a number nothing has."""

    pk = 999_999


def _company_record(name: str):
    from django.apps import apps

    model = next(m for m in apps.get_models() if m.__name__ == name)
    return model.objects.order_by("pk").first() or Missing()


def _api_token_of(owner):
    """The owner's personal API token (made on first use): personal, so never company-wide."""
    from pathscore.org import services
    from pathscore.org.models import ApiToken

    token = ApiToken.objects.filter(user=owner).first()
    if token is None:
        token, _ = services.token_create(
            user=owner, name="矩阵令牌", scope="read", expires_in_days=90
        )
    return token


def _import_batch_of(owner, name="客户导入.xlsx"):
    """An uploaded (not yet checked) import of ``owner``'s: personal, like a token."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pathscore.transfer import services
    from pathscore.transfer.models import ImportBatch
    from pathscore.transfer.pipelines import pipelines_for
    from tests.transfer.conftest import xlsx

    batch = ImportBatch.objects.filter(created_by=owner).order_by("pk").first()
    if batch is not None:
        return batch
    allowed = pipelines_for(owner.scope)
    if not allowed:  # a role that imports nothing: any import will do, it is refused anyway
        return ImportBatch.objects.order_by("pk").first()
    content = xlsx(["客户名称", "客户类型"], [["矩阵客户", "电网公司"]], sheet="客户")
    return services.batch_upload(
        actor=owner, entity=allowed[0].entity, file=SimpleUploadedFile(name, content)
    )


def values_for(route: Route, side: Side, world, personas, owner) -> dict | None:
    """The URL arguments pointing at ``side``'s records, or None when unknown."""
    by_model = {
        "Customer": side.customer,
        "Contact": side.contact,
        "Project": side.project,
        "FollowUp": side.followup,
        "CustomerNeed": side.need,
        "Document": side.document,
        "DocumentVersion": side.version,
        "ContractTerm": side.term,
        "ContractMilestone": side.milestone,
        "NodeInstance": side.node,
        "DelayReason": side.delay_reason,
        "HandoffTask": side.task,
        "CustomerRating": side.rating,
        "QualityRating": side.quality,
        "Commendation": side.commendation,
        "Result": side.result,
        "Appeal": side.appeal,
        "Notification": side.notification,
        "Alert": side.alert,
        "ImportBatch": side.import_batch,
        "User": owner,
        "ApiToken": _api_token_of(owner),
        "Department": owner.department,
        "Period": world["period"],
        "TrainingSession": world["session"],
    }
    values = {}
    for name in route.kwargs:
        if name == "pk":
            model = model_name(route)
            if model is None:
                return None
            target = by_model.get(model)
            if target is None and model in COMPANY_WIDE:
                target = _company_record(model)
            if target is None:
                return None
            values[name] = target.pk
        elif name == "project_pk":
            values[name] = side.project.pk
        elif name == "person_pk":
            values[name] = owner.pk
        elif name == "reason_pk":
            values[name] = side.delay_reason.pk
        elif name == "session_pk":
            values[name] = world["session"].pk
        elif name == "version":
            values[name] = _company_record("TemplateVersion").pk
        elif name == "code":
            values[name] = "followup_count"
        elif name == "key":
            values[name] = "requirement-report"
        elif name == "entity":
            values[name] = "customers"
        else:
            return None
    return values


# --- The tests ----------------------------------------------------------------------------


def _get(client, route: Route, path: str):
    if route.is_api:
        return client.get(path, HTTP_ACCEPT="application/json")
    return client.get(path)


def _readable(route: Route) -> bool:
    """Routes answering GET (a DRF route only when it has a GET action)."""
    if route.actions is not None:
        return "get" in route.actions
    return route.view is None or hasattr(route.view, "get") or not hasattr(route.view, "post")


def test_every_url_is_in_the_matrix(world, personas):
    unknown = []
    for route in routes():
        if route.template in EXEMPT:
            continue
        if values_for(route, world["a"], world, personas, personas.sales_a) is None:
            unknown.append(route.template)
    assert not unknown, f"add these URLs' arguments to the matrix: {unknown}"


def test_no_persona_gets_a_server_error(world, personas, client):
    failures = []
    for name in PERSONA_NAMES:
        person = getattr(personas, name)
        client.logout()
        if person.is_active:
            client.force_login(person)
        for route in routes():
            if route.template in EXEMPT or not _readable(route):
                continue
            values = values_for(route, world["a"], world, personas, personas.sales_a)
            response = _get(client, route, route.path(values))
            if response.status_code >= 500:
                failures.append((name, route.template, response.status_code))
    assert not failures


@pytest.mark.parametrize("viewer", ["sales_a", "manager_a", "regional_head"])
def test_foreign_objects_are_not_found(world, personas, client, viewer):
    """Team B's records through any URL naming them: 404 (403 where the role may not use
    the page at all), and never their content."""
    client.force_login(getattr(personas, viewer))
    shown = []
    for route in routes():
        if route.template in EXEMPT or not route.kwargs or not _readable(route):
            continue
        foreign = values_for(route, world["b"], world, personas, personas.sales_b)
        own = values_for(route, world["a"], world, personas, personas.sales_a)
        if foreign == own:
            continue  # company-wide records: not a team's
        response = _get(client, route, route.path(foreign))
        if response.status_code not in (403, 404, 405) or CANARY in response.content.decode(
            errors="replace"
        ):
            shown.append((route.template, response.status_code))
    assert not shown, f"foreign records reachable: {shown}"


def _writes(route: Route) -> list[str]:
    """The write methods a route answers (POST for pages; a viewset's own for the API)."""
    if route.actions is not None:
        return [m for m in route.actions if m in ("post", "put", "patch", "delete")]
    view = route.view
    return ["post"] if view is not None and hasattr(view, "post") else []


def _snapshot(side: Side) -> dict:
    """Team B's records as stored, to prove a refused write changed nothing."""
    from django.forms.models import model_to_dict

    return {
        name: model_to_dict(type(obj).objects.get(pk=obj.pk))
        for name, obj in vars(side).items()
        if hasattr(obj, "pk") and type(obj).objects.filter(pk=obj.pk).exists()
    }


@pytest.mark.parametrize("viewer", ["sales_a", "manager_a"])
def test_writes_to_foreign_objects_are_refused_and_change_nothing(world, personas, client, viewer):
    """Every write (form posts, API create/update/delete/actions) naming a team-B record:
    403/404/405, never a success, and team B's records stay exactly as they were."""
    client.force_login(getattr(personas, viewer))
    before = _snapshot(world["b"])
    accepted, tried = [], 0
    for route in routes():
        if route.template in EXEMPT or not route.kwargs:
            continue
        foreign = values_for(route, world["b"], world, personas, personas.sales_b)
        own = values_for(route, world["a"], world, personas, personas.sales_a)
        if foreign == own:
            continue
        for method in _writes(route):
            tried += 1
            response = (
                getattr(client, method)(route.path(foreign), {}, content_type="application/json")
                if route.is_api
                else client.post(route.path(foreign), {})
            )
            if response.status_code not in (403, 404, 405):
                accepted.append((method, route.template, response.status_code))
    assert tried >= 60, tried  # the matrix really covers the write routes
    assert not accepted, f"writes to foreign records not refused: {accepted}"
    assert _snapshot(world["b"]) == before


# The technical team is left out: it sees the projects behind its hand-off tasks, and team
# B has one (tests/process covers what it may see).
@pytest.mark.parametrize("viewer", ["sales_a", "manager_a", "regional_head"])
def test_lists_and_exports_leave_foreign_records_out(world, personas, client, viewer):
    client.force_login(getattr(personas, viewer))
    leaked = []
    for route in routes():
        if route.template in EXEMPT or route.kwargs or not _readable(route):
            continue
        path = route.path({})
        attempts = [path]
        if not route.is_api:
            attempts += [f"{path}?export=csv"]
        for url in attempts:
            response = client.get(url)
            if response.status_code >= 500:
                leaked.append((url, response.status_code))
                continue
            body = (
                b"".join(response.streaming_content) if response.streaming else response.content
            ).decode(errors="replace")
            if CANARY in body:
                leaked.append((url, response.status_code))
    assert not leaked, f"team B's records shown to {viewer}: {leaked}"


def test_a_salesperson_cannot_set_owner_or_scores(world, personas, client):
    """Mass assignment: fields a salesperson may not set are ignored or refused."""
    from pathscore.crm.models import Project

    client.force_login(personas.sales_a)
    response = client.post(
        "/api/v1/projects/",
        {
            "customer": world["a"].customer.pk,
            "name": "自行指定负责人",
            "category": world["a"].project.category_id,
            "owner": personas.sales_b.pk,
        },
        content_type="application/json",
    )
    if response.status_code == 201:
        assert Project.objects.get(pk=response.json()["id"]).owner == personas.sales_a
    else:
        assert response.status_code == 400
    node = world["a"].node
    response = client.patch(
        f"/api/v1/nodes/{node.pk}/",
        {"quality_score": 100, "reviewer": personas.sales_a.pk},
        content_type="application/json",
    )
    assert response.status_code in (400, 403, 405)
    result = world["a"].result
    response = client.post(
        f"/api/v1/results/{result.pk}/adjust/",
        {"points": "5", "reason": "给自己加分"},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    result.refresh_from_db()
    assert result.adjustment == Decimal(0)
