"""Schema fuzzing: every operation of the live OpenAPI schema, driven by schemathesis with
all of its checks on, against the Django app in-process (WSGI, no server).

For each operation schemathesis sends the schema's edge cases (its coverage phase) and a
bounded number of generated requests, valid and invalid, as a signed-in persona with a
read-write token, and checks every answer: no server error, a status, content type,
headers and body the schema declares, valid input accepted, invalid input refused,
authentication enforced. On top of those, one check of our own: a 400 names the refused
fields, by the names the request used. Pass means zero failures.

The data is deterministic (a fixed seed), so a failure found in CI is found again locally:
``.venv/bin/pytest -m fuzz tests/api/test_schema_fuzz.py``.

Every built-in check is on. Two are configured rather than left at their defaults, each
with its reason next to it in ``CONFIG``: which statuses count as a correct answer to a
valid request (a 400 where the data, not the shape, is refused), and the upload operations,
whose multipart bodies the negative-data check cannot judge. ``object_level_authorization``
compares identities declared as peers to one another and has none here: one team not
reading another's records is what ``tests/core/test_authorization_matrix.py`` proves, and
here every 404 a manager gets for another team's records is held to the schema.

The world behind the API is small but complete: two teams' customers, projects, follow-ups,
documents, contract terms, a running process with a node awaiting review and a late one
with a delay reason, a hand-off task, a closed period with results and an appeal, training
and ratings. Generated requests that schemathesis marks valid name these records (see
``name_existing_records``), so valid requests reach the services instead of stopping at
"no such record".
"""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from hypothesis import HealthCheck, settings

from pathscore.core.models import Option
from pathscore.core.testing.personas import build_personas
from pathscore.crm import services as crm_services
from pathscore.crm.models import Contact, Customer, DocumentVersion, Project
from pathscore.org import services as org_services
from pathscore.org.models import Department, User
from pathscore.process import services as process_services
from pathscore.process.bundled import TASK_KIND
from pathscore.process.models import DelayCategory, NodeInstance
from pathscore.scoring import services as scoring_services
from pathscore.scoring.models import Period, TrainingCourse
from tests.conftest import ensure_bundled_defaults
from tests.crm import factories

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

#: Generated requests per operation (besides the schema's edge cases): bounded so the whole
#: module stays within a few minutes on two cores.
MAX_EXAMPLES = 12

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260701,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "checks": {
            # A request can be valid by the schema and still be refused by the data it
            # names: a project that does not exist or is another team's (the schema cannot
            # list which ids exist), a date before the project started, an open period
            # overlapping another. Those are 400s naming the field (our refusal_names_fields
            # check below holds them to that), so a 400 to a valid request is expected; and
            # so is a 412 when the generated If-Match is not the record's revision.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412", "429"]
            },
            # The If-Match precondition is checked before the body is read.
            # Overridden below for uploads.
            "negative_data_rejection": {
                "expected-statuses": [
                    "400",
                    "401",
                    "403",
                    "404",
                    "405",
                    "406",
                    "409",
                    "412",
                    "415",
                    "422",
                    "429",
                ]
            },
        },
        "operations": [
            {
                # Uploads are multipart/form-data, where every part is text or a file: a
                # "negative" body (a number where text belongs, a property left out as
                # null) reaches the server as the valid body it serialises to, so the
                # check cannot tell a wrong acceptance here. Refusals of bad uploads are
                # tested in tests/crm/test_uploads.py; the other checks still apply.
                "include-path-regex": "^/api/v1/documents/",
                "include-method": "POST",
                "checks": {"negative_data_rejection": {"enabled": False}},
            }
        ],
    }
)

APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APP, config=CONFIG)


# --- Our own check ---------------------------------------------------------------------------


def _request_names(case) -> set[str]:
    """The parameters and body properties the operation declares."""
    raw = case.operation.schema.raw_schema
    declared = raw["paths"][case.operation.path][case.method.lower()]
    names = {parameter["name"] for parameter in declared.get("parameters", [])}
    for content in declared.get("requestBody", {}).get("content", {}).values():
        body = content["schema"]
        while "$ref" in body:
            body = raw["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        names.update(body.get("properties", {}))
    return names


@schemathesis.check
def refusal_names_fields(ctx, response, case):
    """A 400 says which fields it refuses, by the request's own names (nested ones by their
    path, ``items.0.weight``), or ``non_field_errors`` when no single field is to blame."""
    if response.status_code != 400:
        return None
    errors = response.json().get("errors")
    assert isinstance(errors, dict) and errors, "A 400 must name the refused fields in `errors`."
    known = _request_names(case) | {"non_field_errors"}
    unknown = {name for name in errors if name.split(".")[0] not in known}
    assert not unknown, f"`errors` names fields the request does not have: {sorted(unknown)}"
    return None


# --- Valid requests name existing records ----------------------------------------------------

#: Request fields (bodies and query strings) that name a record by its id.
ID_FIELDS = {
    "project": Project,
    "customer": Customer,
    "contacts": Contact,
    "owner": User,
    "author": User,
    "person": User,
    "assignee": User,
    "to_owner": User,
    "participants": User,
    "required": User,
    "attended": User,
    "department": Department,
    "assignee_department": Department,
    "team": Department,
    "node": NodeInstance,
    "course": TrainingCourse,
    "period": Period,
    "documents": DocumentVersion,
}
#: Fields that name an option, by its code in bodies and by its id in filters.
OPTION_FIELDS = {
    "customer_type": "customer_type",
    "mode": "followup_mode",
    "task_kind": TASK_KIND,
}
#: The same name meaning different things on different lists.
PATH_SPECIFIC = {
    ("/api/v1/delay-reasons/", "category"): DelayCategory,
    ("/api/v1/quality-ratings/", "version"): DocumentVersion,
    ("/api/v1/projects/", "category"): "project_category",
    ("/api/v1/projects/{id}/", "category"): "project_category",
    ("/api/v1/tasks/", "kind"): TASK_KIND,
}


def _pool(target, as_code: bool) -> list:
    if isinstance(target, str):
        options = Option.objects.filter(kind=target).order_by("pk")
        return list(options.values_list("code" if as_code else "pk", flat=True))
    return list(target.objects.order_by("pk").values_list("pk", flat=True))


def _pick(pool: list, value, salt: str):
    """An existing value for most generated ones, chosen by the generated request itself
    (``salt``) so the run stays deterministic; one in four keeps the generated (likely
    unknown) value."""
    spread = zlib.crc32(f"{salt}|{value!r}".encode())
    if not pool or spread % 4 == 0:
        return value
    return pool[(spread // 4) % len(pool)]


def _target(path: str, name: str):
    return PATH_SPECIFIC.get((path, name)) or ID_FIELDS.get(name) or OPTION_FIELDS.get(name)


def _with_existing(values: dict, path: str, salt: str) -> dict:
    replaced = dict(values)
    for name, value in values.items():
        target = _target(path, name)
        if target is None:
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            replaced[name] = _pick(_pool(target, as_code=False), value, f"{salt}|{name}")
        elif isinstance(value, str) and isinstance(target, str):
            replaced[name] = _pick(_pool(target, as_code=True), value, f"{salt}|{name}")
        elif isinstance(value, list) and all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            pool = _pool(target, as_code=False)
            replaced[name] = [
                _pick(pool, item, f"{salt}|{name}|{index}") for index, item in enumerate(value)
            ]
    return replaced


def _model_behind(path: str):
    try:
        view = resolve(path.replace("{id}", "1")).func
    except Resolver404:
        return None
    viewset = getattr(view, "cls", None)
    queryset = getattr(viewset, "queryset", None)
    return None if queryset is None else queryset.model


def _is_revisioned(model) -> bool:
    return any(field.name == "revision" for field in model._meta.fields)


def name_existing_records(case) -> None:
    """Point the valid parts of a generated request at records that exist (some visible to
    the caller, some another team's), so valid requests get past "no such record"."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    path = case.operation.path
    salt = repr((case.operation.label, case.path_parameters, case.query, case.body))
    model = _model_behind(path) if "id" in (case.path_parameters or {}) else None
    if model is not None:
        pool = _pool(model, as_code=False)
        record_id = _pick(pool, case.path_parameters["id"], salt)
        case.path_parameters = {**case.path_parameters, "id": record_id}
        # Mostly the record's current ETag, so updates get past the precondition.
        sends_tag = "If-Match" in (case.headers or {}) and zlib.crc32(salt.encode()) % 4
        if sends_tag and record_id in pool and _is_revisioned(model):
            revision = model.objects.values_list("revision", flat=True).get(pk=record_id)
            case.headers = {**case.headers, "If-Match": f'W/"{revision}"'}
    if case.query:
        case.query = _with_existing(case.query, path, salt)
    if isinstance(case.body, dict):
        case.body = _with_existing(case.body, path, salt)


# --- The world behind the API ----------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _current_node(project):
    return (
        NodeInstance.objects.select_related("definition", "project__owner__department")
        .filter(project=project, state__in=["in_progress", "returned", "submitted"])
        .get()
    )


def build_world(personas):
    """Records of every kind the API serves, in two teams, in every interesting state."""
    today = timezone.localdate()
    sales_a, sales_b = personas.sales_a, personas.sales_b

    customer = factories.customer(sales_a, name="南京供电公司")
    project = factories.project(
        sales_a, customer, name="南京配网运维项目", started_on=today - dt.timedelta(days=40)
    )
    late = factories.project(
        sales_a, name="苏州光伏电站项目", started_on=today - dt.timedelta(days=40)
    )
    foreign = factories.project(sales_b, name="北京储能项目")
    contact = crm_services.contact_create(
        actor=sales_a, customer=customer, name="周建国", title="副总经理"
    )
    factories.followup(
        sales_a,
        project,
        needs=["储能系统需求评估"],
        next_action="发送配网改造方案",
        next_action_date=today + dt.timedelta(days=3),
        contacts=[contact],
    )
    factories.followup(sales_b, foreign)
    version = crm_services.document_create(
        actor=sales_a,
        project=project,
        kind="proposal",
        title="配网运维方案",
        file=ContentFile(PDF, name="方案.pdf"),
    )
    crm_services.term_create(actor=sales_a, project=project, topic="price", description="合同价格")
    crm_services.milestone_record(
        actor=sales_a, project=project, kind="customer_legal_review", reached_on=today
    )

    process_services.process_start(project=project)
    process_services.node_submit(
        node=_current_node(project),
        user=sales_a,
        data={"key_contact": "周建国 副总经理", "visit_date": today.isoformat()},
        checklist=["已确认客户决策链", "已记录跟进记录"],
    )
    process_services.process_start(project=late)
    overdue = _current_node(late)
    NodeInstance.objects.filter(pk=overdue.pk).update(planned_due=today - dt.timedelta(days=3))
    overdue.refresh_from_db()
    process_services.delay_reason_give(
        node=overdue,
        user=sales_a,
        category=DelayCategory.objects.filter(is_active=True).order_by("pk").first(),
        text="客户未提供完整的用电数据",
    )
    process_services.process_start(project=foreign)
    process_services.task_create(
        project=project,
        kind=Option.objects.get(kind=TASK_KIND, code="proposal-design"),
        title="配网改造方案设计",
        assignee_department=personas.tech_dept,
        due_date=today + dt.timedelta(days=5),
        created_by=sales_a,
    )

    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    closed = scoring_services.period_create(
        actor=personas.hr, kind="month", starts_on=last_month, appeal_days=30
    )
    scoring_services.period_close(period=closed, actor=personas.hr)
    scoring_services.period_create(actor=personas.hr, kind="month", starts_on=today.replace(day=1))
    result = closed.results.get(person=sales_a)
    scoring_services.appeal_submit(result=result, person=sales_a, reason="方案修改是客户要求的")
    course = scoring_services.training_course_create(
        actor=personas.hr, code="grid-storage", name="储能技术培训"
    )
    scoring_services.training_session_create(
        actor=personas.hr, course=course, held_on=today + dt.timedelta(days=7), required=[sales_a]
    )
    scoring_services.commendation_create(
        actor=personas.manager_a, person=sales_a, title="大客户攻关"
    )
    scoring_services.customer_rating_create(
        actor=personas.manager_a,
        person=sales_a,
        customer=customer,
        rated_on=today,
        domain_knowledge=4,
        communication=5,
    )
    scoring_services.quality_rating_create(actor=personas.tech, version=version, score=Decimal(85))


#: Who calls an operation: the person whose job it is, so valid requests get past "not
#: your role" to the services. Everything else is called by a sales manager (team A's
#: head), who reviews nodes, decides delays, adjusts and resolves, sees the team's records
#: and gets 404s for another team's.
ACTORS = {
    "POST /api/v1/nodes/{id}/submit/": "sales_a",
    "POST /api/v1/delay-reasons/": "sales_a",
    "POST /api/v1/followups/{id}/complete-next-action/": "sales_a",
    "POST /api/v1/results/{id}/acknowledge/": "sales_a",
    "POST /api/v1/results/{id}/appeal/": "sales_a",
    "POST /api/v1/tasks/{id}/acknowledge/": "tech",
    "POST /api/v1/tasks/{id}/complete/": "tech",
}
#: Settings only HR admins change.
HR_AREAS = (
    "/api/v1/periods/",
    "/api/v1/scorecards/",
    "/api/v1/training-courses/",
    "/api/v1/automation-rules/",
    "/api/v1/delay-categories/",
)
DEFAULT_ACTOR = "manager_a"


def actor_for(operation) -> str:
    if operation.label in ACTORS:
        return ACTORS[operation.label]
    if operation.path.startswith(HR_AREAS):
        return "hr"
    return DEFAULT_ACTOR


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world and the caller's token, built once for the module in a transaction that
    is rolled back at its end; each operation's test runs in a savepoint inside it (the
    ``db`` fixture), so every operation starts from the same records.

    Yields each caller's read-write token by persona name (see ``ACTORS``).
    """
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_bundled_defaults()
        personas = build_personas()
        build_world(personas)
        tokens = {}
        for name in {DEFAULT_ACTOR, "hr", *ACTORS.values()}:
            _, tokens[name] = org_services.token_create(
                user=personas.get(name), name="schema fuzz", scope="write", expires_in_days=30
            )
        yield tokens
        transaction.set_rollback(True)


@pytest.fixture
def tokens(world, db):
    return world


@pytest.fixture
def in_process_app():
    """The WSGI app answering inside the test's transaction: like Django's test client,
    keep the request signals from closing the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield APP
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
# Requests take what they take on a shared machine, and the generated data is what the
# schema allows: hypothesis's timing and data-shape health checks say nothing about the API.
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation_keeps_its_schema(
    case, tokens, in_process_app, django_capture_on_commit_callbacks
):
    token = tokens[actor_for(case.operation)]
    # Generated at collection, before there is a database; filled in now.
    name_existing_records(case)
    # The answers' side effects (events, notifications) run too, as after a real commit.
    with django_capture_on_commit_callbacks(execute=True):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
