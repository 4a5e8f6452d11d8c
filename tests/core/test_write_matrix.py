"""The write matrix: every state-changing page and API action, discovered from the URLconf
and the router, tried by every persona on records of their own scope.

``POLICY`` declares, for each write route, which roles may use it. "Allowed" means the
role gets past the role check: the request may still be refused by a rule about the one
record (only its author ticks off a follow-up's next action) or by its state (a 400, 409 or
a message), but never with 403/404/405. Everybody else is refused with 403, 404 or 405 —
with a body that would be valid for their own records, so a validation error cannot hide a
missing role check — and a refused request writes no business row at all. A new write
route without a declared policy fails ``test_every_write_route_has_a_policy``, so no action
escapes the matrix; a policy for a route that no longer exists fails it too.

Each request runs in a savepoint rolled back afterwards: every route sees the same world,
and the order of the routes does not matter. Foreign records (another team's) are the
read matrix's subject (``test_authorization_matrix.py``).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pathscore.core.testing.personas import PERSONA_NAMES
from tests.core.test_authorization_matrix import (
    EXEMPT,
    Route,
    _api_token_of,
    _import_batch_of,
    model_name,
    routes,
    values_for,
    world,  # noqa: F401 (the fixture)
)

pytestmark = pytest.mark.django_db

# --- Who is who ------------------------------------------------------------------------------

SALES, MANAGER, TECH, HR, EXECUTIVE, AUDITOR, ADMIN = (
    "sales",
    "manager",
    "tech",
    "hr",
    "executive",
    "auditor",
    "admin",
)
EVERYONE = frozenset({SALES, MANAGER, TECH, HR, EXECUTIVE, AUDITOR, ADMIN})

#: Each signed-in persona's role in the policy.
ROLE_OF = {
    "sales_a": SALES,
    "sales_b": SALES,
    "manager_a": MANAGER,
    "manager_b": MANAGER,
    "regional_head": MANAGER,
    "tech": TECH,
    "hr": HR,
    "executive": EXECUTIVE,
    "auditor": AUDITOR,
    "sysadmin": ADMIN,
}

#: Team B's people act on team B's records, everybody else on team A's.
SIDE_OF = {"sales_b": "b", "manager_b": "b"}
OWNER_OF_SIDE = {"a": "sales_a", "b": "sales_b"}

#: Tables a refused request may still write: the security log, the session, the
#: cache (rate-limit counters) and the sign-in lockout bookkeeping.
BOOKKEEPING = re.compile(r"^(core_securityevent|django_session|pathscore_cache|axes_\w+)$")
WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def key(route: Route, method: str) -> str:
    """``POST /customers/{pk}/edit/`` — a route and method as the policy names them."""
    path = route.template.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    return f"{method.upper()} /{path}"


def write_methods(route: Route) -> list[str]:
    if route.actions is not None:
        return [m for m in route.actions if m in ("post", "put", "patch", "delete")]
    view = route.view
    return ["post"] if view is not None and hasattr(view, "post") else []


def write_routes() -> list[tuple[Route, str]]:
    return [
        (route, method)
        for route in routes()
        if route.template not in EXEMPT
        for method in write_methods(route)
    ]


#: Roles that create and change customers, contacts, projects and contracts.
RECORD_WRITERS = frozenset({SALES, MANAGER, HR})
#: ... and documents, follow-ups and customer needs, where the technical team joins in.
RECORD_AND_TECH = RECORD_WRITERS | {TECH}
ORG_ADMINS = frozenset({HR, ADMIN})
NOBODY: frozenset = frozenset()


def only(*roles) -> frozenset:
    return frozenset(roles)


#: Who may use each write route on records of their own scope. In this world the nodes'
#: reviewer is the owner's manager, and team A's hand-off task is the technical team's.
POLICY: dict[str, frozenset] = {
    # Personal: one's own password, API tokens and inbox.
    "POST /accounts/profile/tokens/": EVERYONE,
    "POST /accounts/profile/tokens/{pk}/revoke/": EVERYONE,
    "POST /accounts/password/": EVERYONE,
    "POST /inbox/{pk}/open/": EVERYONE,
    "POST /inbox/read-all/": EVERYONE,
    # The organisation: people, departments, group robots.
    "POST /org/people/new/": ORG_ADMINS,
    "POST /org/people/{pk}/edit/": ORG_ADMINS,
    "POST /org/people/{pk}/active/": ORG_ADMINS,
    "POST /org/people/{pk}/password/": ORG_ADMINS,
    "POST /org/departments/new/": ORG_ADMINS,
    "POST /org/departments/{pk}/edit/": ORG_ADMINS,
    "POST /org/departments/{pk}/deactivate/": ORG_ADMINS,
    "POST /org/robots/new/": ORG_ADMINS,
    "POST /org/robots/{pk}/edit/": ORG_ADMINS,
    # Outbound webhooks: system administrators only.
    "POST /notify/webhooks/new/": only(ADMIN),
    "POST /notify/webhooks/{pk}/edit/": only(ADMIN),
    "POST /notify/webhooks/{pk}/deactivate/": only(ADMIN),
    "POST /notify/webhooks/{pk}/rotate-secret/": only(ADMIN),
    "POST /notify/webhooks/{pk}/test/": only(ADMIN),
    "POST /notify/webhooks/deliveries/{pk}/redeliver/": only(ADMIN),
    # Records.
    "POST /customers/new/": RECORD_WRITERS,
    "POST /customers/{pk}/edit/": RECORD_WRITERS,
    "POST /contacts/new/": RECORD_WRITERS,
    "POST /contacts/{pk}/edit/": RECORD_WRITERS,
    "POST /projects/new/": RECORD_WRITERS,
    "POST /projects/{pk}/edit/": RECORD_WRITERS,
    "POST /projects/{pk}/status/": RECORD_WRITERS,
    "POST /projects/{pk}/handover/": only(MANAGER, HR),
    "POST /followups/new/": RECORD_AND_TECH,
    "POST /followups/{pk}/edit/": RECORD_AND_TECH,
    "POST /followups/{pk}/done/": RECORD_AND_TECH,
    "POST /needs/{pk}/handled/": RECORD_AND_TECH,
    "POST /projects/{project_pk}/documents/new/": RECORD_AND_TECH,
    "POST /documents/{pk}/versions/new/": RECORD_AND_TECH,
    "POST /versions/{pk}/feedback/": RECORD_AND_TECH,
    "POST /projects/{project_pk}/terms/new/": RECORD_WRITERS,
    "POST /terms/{pk}/edit/": RECORD_WRITERS,
    "POST /projects/{project_pk}/milestones/": RECORD_WRITERS,
    # The process: the owner submits and explains delays, the manager reviews, skips and
    # decides, the technical team answers hand-off tasks.
    "POST /process/projects/{pk}/start/": only(SALES, MANAGER),
    "POST /process/nodes/{pk}/submit/": only(SALES),
    "POST /process/nodes/{pk}/approve/": only(MANAGER),
    "POST /process/nodes/{pk}/return/": only(MANAGER),
    "POST /process/nodes/{pk}/skip/": only(MANAGER),
    "POST /process/nodes/{pk}/delay-reason/": only(SALES),
    "POST /process/nodes/{pk}/delay-reasons/{reason_pk}/decide/": only(MANAGER),
    "POST /process/tasks/{pk}/acknowledge/": only(TECH),
    "POST /process/tasks/{pk}/complete/": only(TECH),
    "POST /process/projects/{project_pk}/tasks/new/": only(SALES, MANAGER),
    # Process settings: system and HR admins; managers move their projects to a new version.
    "POST /process/rules/new/": ORG_ADMINS,
    "POST /process/rules/{pk}/edit/": ORG_ADMINS,
    "POST /process/rules/{pk}/active/": ORG_ADMINS,
    "POST /process/delay-categories/new/": ORG_ADMINS,
    "POST /process/delay-categories/{pk}/edit/": ORG_ADMINS,
    "POST /process/templates/new/": ORG_ADMINS,
    "POST /process/templates/{pk}/edit/": ORG_ADMINS,
    "POST /process/templates/{pk}/new-draft/": ORG_ADMINS,
    "POST /process/templates/{pk}/migrate/": only(MANAGER, HR, ADMIN),
    "POST /process/versions/{pk}/publish/": ORG_ADMINS,
    "POST /process/versions/{pk}/discard/": ORG_ADMINS,
    "POST /process/versions/{version}/nodes/new/": ORG_ADMINS,
    "POST /process/definitions/{pk}/edit/": ORG_ADMINS,
    "POST /process/definitions/{pk}/move/": ORG_ADMINS,
    "POST /process/definitions/{pk}/remove/": ORG_ADMINS,
    # Evaluation: HR keeps scorecards, courses and periods; managers and HR rate, train,
    # commend, adjust and resolve; the person assessed acknowledges and appeals.
    "POST /scoring/scorecards/new/": only(HR),
    "POST /scoring/scorecards/{pk}/edit/": only(HR),
    "POST /scoring/scorecards/{pk}/publish/": only(HR),
    "POST /scoring/scorecards/{pk}/new-draft/": only(HR),
    "POST /scoring/scorecards/{pk}/discard/": only(HR),
    "POST /scoring/ratings/new/": only(MANAGER, HR),
    "POST /scoring/quality/new/": only(MANAGER, HR, TECH),
    "POST /scoring/training/sessions/new/": only(MANAGER, HR),
    "POST /scoring/training/sessions/{pk}/": only(MANAGER, HR),
    "POST /scoring/training/courses/new/": only(HR),
    "POST /scoring/training/courses/{pk}/": only(HR),
    "POST /scoring/commendations/new/": only(MANAGER, HR),
    "POST /scoring/periods/new/": only(HR),
    "POST /scoring/periods/{pk}/edit/": only(HR),
    "POST /scoring/periods/{pk}/close/": only(HR),
    "POST /scoring/periods/{pk}/publish/": only(HR),
    "POST /scoring/periods/{pk}/new-version/": only(HR),
    "POST /scoring/results/{pk}/acknowledge/": only(SALES),
    "POST /scoring/results/{pk}/appeal/": only(SALES),
    "POST /scoring/results/{pk}/adjust/": only(MANAGER, HR),
    "POST /scoring/appeals/{pk}/resolve/": only(MANAGER, HR),
    "POST /scoring/periods/{pk}/people/{person_pk}/training/{session_pk}/assign/": only(
        MANAGER, HR
    ),
    # Insights: thresholds are settings; the manager acts on an alert.
    "POST /insights/alerts/settings/": ORG_ADMINS,
    "POST /insights/alerts/{pk}/interventions/": only(MANAGER),
    "POST /insights/alerts/{pk}/resolve/": only(MANAGER),
    # Imports: record writers import records, org admins people and departments; a batch
    # is committed by whoever uploaded it.
    "POST /imports/": only(SALES, MANAGER, HR, ADMIN),
    "POST /imports/batches/{pk}/commit/": only(SALES, MANAGER, HR, ADMIN),
    # The API: the same rules as the pages. Nothing is deleted (history matters).
    "POST /api/v1/customers/": RECORD_WRITERS,
    "PUT /api/v1/customers/{pk}/": RECORD_WRITERS,
    "PATCH /api/v1/customers/{pk}/": RECORD_WRITERS,
    "DELETE /api/v1/customers/{pk}/": NOBODY,
    "POST /api/v1/contacts/": RECORD_WRITERS,
    "PUT /api/v1/contacts/{pk}/": RECORD_WRITERS,
    "PATCH /api/v1/contacts/{pk}/": RECORD_WRITERS,
    "DELETE /api/v1/contacts/{pk}/": NOBODY,
    "POST /api/v1/projects/": RECORD_WRITERS,
    "PUT /api/v1/projects/{pk}/": RECORD_WRITERS,
    "PATCH /api/v1/projects/{pk}/": RECORD_WRITERS,
    "DELETE /api/v1/projects/{pk}/": NOBODY,
    "POST /api/v1/projects/{pk}/handover/": only(MANAGER, HR),
    "POST /api/v1/projects/{pk}/status/": RECORD_WRITERS,
    "POST /api/v1/followups/": RECORD_AND_TECH,
    "PUT /api/v1/followups/{pk}/": RECORD_AND_TECH,
    "PATCH /api/v1/followups/{pk}/": RECORD_AND_TECH,
    "DELETE /api/v1/followups/{pk}/": NOBODY,
    "POST /api/v1/followups/{pk}/complete-next-action/": RECORD_AND_TECH,
    "POST /api/v1/customer-needs/{pk}/handled/": RECORD_AND_TECH,
    "POST /api/v1/documents/": RECORD_AND_TECH,
    "POST /api/v1/documents/{pk}/versions/": RECORD_AND_TECH,
    "POST /api/v1/document-versions/{pk}/feedback/": RECORD_AND_TECH,
    "POST /api/v1/contract-terms/": RECORD_WRITERS,
    "PUT /api/v1/contract-terms/{pk}/": RECORD_WRITERS,
    "PATCH /api/v1/contract-terms/{pk}/": RECORD_WRITERS,
    "DELETE /api/v1/contract-terms/{pk}/": NOBODY,
    "POST /api/v1/contract-milestones/": RECORD_WRITERS,
    "POST /api/v1/nodes/{pk}/approve/": only(MANAGER),
    "POST /api/v1/nodes/{pk}/return/": only(MANAGER),
    "POST /api/v1/nodes/{pk}/skip/": only(MANAGER),
    "POST /api/v1/nodes/{pk}/submit/": only(SALES),
    "POST /api/v1/delay-reasons/": only(SALES),
    "POST /api/v1/delay-reasons/{pk}/decide/": only(MANAGER),
    "POST /api/v1/tasks/": only(SALES, MANAGER),
    "POST /api/v1/tasks/{pk}/acknowledge/": only(TECH),
    "POST /api/v1/tasks/{pk}/complete/": only(TECH),
    "POST /api/v1/automation-rules/": ORG_ADMINS,
    "PUT /api/v1/automation-rules/{pk}/": ORG_ADMINS,
    "PATCH /api/v1/automation-rules/{pk}/": ORG_ADMINS,
    "DELETE /api/v1/automation-rules/{pk}/": NOBODY,
    "POST /api/v1/delay-categories/": ORG_ADMINS,
    "PUT /api/v1/delay-categories/{pk}/": ORG_ADMINS,
    "PATCH /api/v1/delay-categories/{pk}/": ORG_ADMINS,
    "DELETE /api/v1/delay-categories/{pk}/": NOBODY,
    "POST /api/v1/scorecards/": only(HR),
    "POST /api/v1/scorecards/{pk}/new-draft/": only(HR),
    "POST /api/v1/scorecards/{pk}/publish/": only(HR),
    "POST /api/v1/scorecards/{pk}/dimensions/": only(HR),
    "POST /api/v1/scorecards/{pk}/items/": only(HR),
    "POST /api/v1/customer-ratings/": only(MANAGER, HR),
    "POST /api/v1/quality-ratings/": only(MANAGER, HR, TECH),
    "POST /api/v1/training-courses/": only(HR),
    "PUT /api/v1/training-courses/{pk}/": only(HR),
    "PATCH /api/v1/training-courses/{pk}/": only(HR),
    "DELETE /api/v1/training-courses/{pk}/": NOBODY,
    "POST /api/v1/training-sessions/": only(MANAGER, HR),
    "POST /api/v1/training-sessions/{pk}/assign/": only(MANAGER, HR),
    "POST /api/v1/training-sessions/{pk}/attendance/": only(MANAGER, HR),
    "POST /api/v1/commendations/": only(MANAGER, HR),
    "POST /api/v1/periods/": only(HR),
    "PUT /api/v1/periods/{pk}/": only(HR),
    "PATCH /api/v1/periods/{pk}/": only(HR),
    "POST /api/v1/periods/{pk}/close/": only(HR),
    "POST /api/v1/periods/{pk}/new-version/": only(HR),
    "POST /api/v1/periods/{pk}/publish/": only(HR),
    "POST /api/v1/results/{pk}/acknowledge/": only(SALES),
    "POST /api/v1/results/{pk}/adjust/": only(MANAGER, HR),
    "POST /api/v1/results/{pk}/appeal/": only(SALES),
    "POST /api/v1/appeals/{pk}/resolve/": only(MANAGER, HR),
}


# --- What each write sends -------------------------------------------------------------------
#
# A write that names a record is refused before its body is looked at, so an empty body is
# enough for most routes. Where the serializer checks the body before the service checks
# the role (the API's creates and updates), the body is valid for the persona's own side:
# a refusal then comes from the role check, never from a validation error hiding it.


def _pdf(label: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        f"{label}.pdf", b"%PDF-1.4\n% matrix\ntrailer\n<<>>\n%%EOF\n", "application/pdf"
    )


def _today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


def _now() -> str:
    from django.utils import timezone

    return timezone.now().isoformat()


def _task_kind() -> str:
    from pathscore.core.models import Option

    return Option.objects.filter(kind="task_kind").order_by("pk").first().code


def _delay_category() -> int:
    from pathscore.process.models import DelayCategory

    return DelayCategory.objects.order_by("pk").first().pk


#: Bodies by policy key: ``f(scene, side, personas, person) -> dict``; an upload is sent
#: as a multipart form, everything else as JSON.
BODIES = {
    "POST /api/v1/customers/": lambda sc, side, p, me: {
        "name": "矩阵新客户",
        "customer_type": "grid",
    },
    "PUT /api/v1/customers/{pk}/": lambda sc, side, p, me: {
        "name": "矩阵客户（改）",
        "customer_type": "grid",
    },
    "PATCH /api/v1/customers/{pk}/": lambda sc, side, p, me: {"region": "江苏南通"},
    "POST /api/v1/contacts/": lambda sc, side, p, me: {
        "customer": side.customer.pk,
        "name": "矩阵联系人",
    },
    "PUT /api/v1/contacts/{pk}/": lambda sc, side, p, me: {
        "customer": side.customer.pk,
        "name": "矩阵联系人（改）",
    },
    "PATCH /api/v1/contacts/{pk}/": lambda sc, side, p, me: {"title": "设备部主任"},
    "POST /api/v1/projects/": lambda sc, side, p, me: {
        "customer": side.customer.pk,
        "name": "矩阵新项目",
        "category": "grid-om",
    },
    "PUT /api/v1/projects/{pk}/": lambda sc, side, p, me: {
        "customer": side.customer.pk,
        "name": "矩阵项目（改）",
        "category": "grid-om",
    },
    "PATCH /api/v1/projects/{pk}/": lambda sc, side, p, me: {"description": "矩阵说明"},
    "POST /api/v1/projects/{pk}/handover/": lambda sc, side, p, me: {
        "to_owner": side.project.owner_id,
        "reason": "矩阵交接",
    },
    "POST /api/v1/projects/{pk}/status/": lambda sc, side, p, me: {
        "status": "paused",
        "reason": "客户预算冻结",
    },
    "POST /api/v1/followups/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "occurred_at": _now(),
        "mode": "visit",
        "content": "矩阵跟进",
    },
    "PUT /api/v1/followups/{pk}/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "occurred_at": _now(),
        "mode": "visit",
        "content": "矩阵跟进（改）",
    },
    "PATCH /api/v1/followups/{pk}/": lambda sc, side, p, me: {"content": "矩阵跟进（补）"},
    "POST /api/v1/documents/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "kind": "proposal",
        "title": "矩阵方案",
        "file": _pdf("矩阵方案"),
    },
    "POST /api/v1/documents/{pk}/versions/": lambda sc, side, p, me: {
        "file": _pdf("矩阵方案V2"),
        "change_note": "调整报价",
    },
    "POST /api/v1/document-versions/{pk}/feedback/": lambda sc, side, p, me: {
        "feedback": "客户认为造价偏高",
        "feedback_on": _today(),
    },
    "POST /api/v1/contract-terms/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "topic": "payment",
        "description": "矩阵付款条款",
    },
    "PUT /api/v1/contract-terms/{pk}/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "topic": "payment",
        "description": "矩阵付款条款（改）",
    },
    "PATCH /api/v1/contract-terms/{pk}/": lambda sc, side, p, me: {"note": "待法务确认"},
    "POST /api/v1/contract-milestones/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "kind": "internal_review",
        "reached_on": _today(),
    },
    "POST /api/v1/nodes/{pk}/approve/": lambda sc, side, p, me: {"quality_score": 80},
    "POST /api/v1/nodes/{pk}/return/": lambda sc, side, p, me: {"comment": "请补充决策链"},
    "POST /api/v1/nodes/{pk}/skip/": lambda sc, side, p, me: {"reason": "客户已熟悉我司"},
    "POST /api/v1/nodes/{pk}/submit/": lambda sc, side, p, me: {
        "data": {"key_contact": "周建国 副总经理", "visit_date": _today()},
        "checklist": ["已确认客户决策链", "已记录跟进记录"],
    },
    "POST /api/v1/delay-reasons/": lambda sc, side, p, me: {
        "node": side.node.pk,
        "category": _delay_category(),
        "text": "客户未提供完整的用电数据",
    },
    "POST /api/v1/delay-reasons/{pk}/decide/": lambda sc, side, p, me: {"decision": "reject"},
    "POST /api/v1/tasks/": lambda sc, side, p, me: {
        "project": side.project.pk,
        "kind": _task_kind(),
        "assignee_department": p.tech_dept.pk,
        "due_date": _today(),
    },
    "POST /api/v1/tasks/{pk}/complete/": lambda sc, side, p, me: {"result": "方案已调整"},
    "POST /api/v1/automation-rules/": lambda sc, side, p, me: {
        "name": "矩阵规则",
        "event": "node_approved",
        "action": "notify",
    },
    "PUT /api/v1/automation-rules/{pk}/": lambda sc, side, p, me: {
        "name": "矩阵规则（改）",
        "event": "node_approved",
        "action": "notify",
    },
    "PATCH /api/v1/automation-rules/{pk}/": lambda sc, side, p, me: {"due_days": 4},
    "POST /api/v1/delay-categories/": lambda sc, side, p, me: {
        "name": "矩阵延期类别",
        "name_en": "Matrix delay",
        "attribution": "customer",
    },
    "PUT /api/v1/delay-categories/{pk}/": lambda sc, side, p, me: {
        "name": "客户原因（改）",
        "attribution": "customer",
    },
    "PATCH /api/v1/delay-categories/{pk}/": lambda sc, side, p, me: {"sort_order": 7},
    "POST /api/v1/scorecards/": lambda sc, side, p, me: {"code": "matrix-card", "name": "矩阵方案"},
    "POST /api/v1/scorecards/{pk}/dimensions/": lambda sc, side, p, me: {
        "dimensions": {"process": "40", "ability": "20", "attitude": "10", "results": "30"}
    },
    "POST /api/v1/scorecards/{pk}/items/": lambda sc, side, p, me: {
        "items": [
            {
                "indicator": "followup_count",
                "dimension": "process",
                "weight": "100",
                "rule_kind": "target",
                "params": {"target": 20},
            }
        ]
    },
    "POST /api/v1/customer-ratings/": lambda sc, side, p, me: {
        "person": side.project.owner_id,
        "customer": side.customer.pk,
        "rated_on": _today(),
        "domain_knowledge": 4,
        "communication": 4,
    },
    "POST /api/v1/quality-ratings/": lambda sc, side, p, me: {
        "version": side.version.pk,
        "score": 85,
    },
    "POST /api/v1/training-courses/": lambda sc, side, p, me: {
        "code": "m-course-2",
        "name": "配网自动化",
    },
    "PUT /api/v1/training-courses/{pk}/": lambda sc, side, p, me: {
        "code": "m-course",
        "name": "储能技术基础（改）",
    },
    "PATCH /api/v1/training-courses/{pk}/": lambda sc, side, p, me: {"description": "矩阵课程"},
    "POST /api/v1/training-sessions/": lambda sc, side, p, me: {
        "course": sc["session"].course_id,
        "held_on": _today(),
    },
    "POST /api/v1/training-sessions/{pk}/assign/": lambda sc, side, p, me: {
        "person": side.project.owner_id
    },
    "POST /api/v1/training-sessions/{pk}/attendance/": lambda sc, side, p, me: {
        "attended": [side.project.owner_id]
    },
    "POST /api/v1/commendations/": lambda sc, side, p, me: {
        "person": side.project.owner_id,
        "title": "矩阵表彰",
    },
    "POST /api/v1/periods/": lambda sc, side, p, me: {
        "kind": "custom",
        "starts_on": _today(),
        "ends_on": _today(),
        "name": "矩阵新周期",
    },
    "PUT /api/v1/periods/{pk}/": lambda sc, side, p, me: {"name": "矩阵考核期（改）"},
    "PATCH /api/v1/periods/{pk}/": lambda sc, side, p, me: {"name": "矩阵考核期（改）"},
    "POST /api/v1/periods/{pk}/new-version/": lambda sc, side, p, me: {"reason": "矩阵重算"},
    "POST /api/v1/results/{pk}/adjust/": lambda sc, side, p, me: {
        "points": "1",
        "reason": "矩阵调整",
    },
    "POST /api/v1/results/{pk}/appeal/": lambda sc, side, p, me: {"reason": "矩阵申诉"},
    "POST /api/v1/appeals/{pk}/resolve/": lambda sc, side, p, me: {
        "decision": "reject",
        "resolution": "证据不足",
    },
}


#: Form fields some pages need to know which record or action is meant (the rest refuse
#: or accept before reading the form).
PAGE_DATA = {
    "POST /scoring/quality/new/": lambda sc, side, p, me: {"version": side.version.pk},
    "POST /projects/{pk}/status/": lambda sc, side, p, me: {"status": "paused"},
}


# --- The scene -------------------------------------------------------------------------------


@pytest.fixture
def scene(world, personas):  # noqa: F811 (the imported fixture)
    """The authorisation matrix's world, plus one company setting of each kind the write
    routes name (a group robot, a webhook with a delivery, an automation rule)."""
    from pathscore.notify import services as notify
    from pathscore.notify.models import WebhookDelivery
    from pathscore.org import services as org
    from pathscore.process import services as process
    from pathscore.process.models import AutomationRule

    org.robot_create(
        actor=personas.sysadmin,
        department=personas.team_a,
        provider="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix",
    )
    hook, _secret = notify.webhook_create(
        actor=personas.sysadmin,
        name="矩阵ERP",
        url="http://127.0.0.1:9/hook",
        events=["project.created"],
        allow_private=True,
    )
    WebhookDelivery.objects.create(
        webhook=hook, event="project.created", payload={"event": "project.created", "data": {}}
    )
    if not AutomationRule.objects.exists():
        process.rule_create(
            actor=personas.hr,
            name="矩阵自动化",
            event="node_approved",
            action="notify",
        )
    return world


# --- Running one request ---------------------------------------------------------------------


def _own_values(route, scene, personas, name):
    side_name = SIDE_OF.get(name, "a")
    side = scene[side_name]
    owner = getattr(personas, OWNER_OF_SIDE[side_name])
    values = values_for(route, side, scene, personas, owner)
    if values is None:
        return None
    model = model_name(route)
    person = getattr(personas, name)
    if model == "ApiToken" and "pk" in values:
        values["pk"] = _api_token_of(person).pk
    if model == "ImportBatch" and "pk" in values:
        values["pk"] = _import_batch_of(person).pk
    if model == "Notification" and "pk" in values:
        from pathscore.notify.services import notify_inbox

        values["pk"] = notify_inbox(recipient=person, title="矩阵消息").pk
    return values


def _send(client, route, method, path, body):
    if not route.is_api:
        return client.post(path, body)
    if any(hasattr(value, "read") for value in body.values()):
        return getattr(client, method)(path, body)  # multipart: an upload
    return getattr(client, method)(path, body, content_type="application/json")


def attempt(client, route, method, path, body):
    """One write, rolled back; its status, where it redirects and the tables it wrote."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = _send(client, route, method, path, body)
        transaction.set_rollback(True)
    written = set()
    for query in queries.captured_queries:
        match = WRITE.match(query["sql"])
        if match and not BOOKKEEPING.match(match.group(1)):
            written.add(match.group(1))
    return response.status_code, response.get("Location", ""), written


def outcomes(client, scene, personas, name):
    person = getattr(personas, name)
    client.logout()
    if person.is_active:
        client.force_login(person)
    side = scene[SIDE_OF.get(name, "a")]
    found = {}
    for route, method in write_routes():
        values = _own_values(route, scene, personas, name)
        if values is None:
            continue
        policy_key = key(route, method)
        body_for = BODIES.get(policy_key) or PAGE_DATA.get(policy_key)
        body = body_for(scene, side, personas, person) if body_for else {}
        found[policy_key] = attempt(client, route, method, route.path(values), body)
    return found


REFUSED = (403, 404, 405)


def _signed_out(status: int, location: str) -> bool:
    return status in (401, 403) or (status == 302 and location.startswith("/accounts/login/"))


def test_every_write_route_has_a_policy():
    discovered = {key(route, method) for route, method in write_routes()}
    undeclared = sorted(discovered - POLICY.keys())
    stale = sorted(POLICY.keys() - discovered)
    assert not undeclared, f"declare who may use these write routes in POLICY: {undeclared}"
    assert not stale, f"these POLICY entries name routes that no longer exist: {stale}"


@pytest.mark.parametrize("name", [n for n in PERSONA_NAMES if n in ROLE_OF])
def test_each_role_writes_only_what_the_policy_allows(scene, personas, client, name):
    role = ROLE_OF[name]
    found = outcomes(client, scene, personas, name)
    assert len(found) > 150, "the matrix really covers the write routes"
    wrong = []
    for policy_key, (status, location, written) in found.items():
        allowed = role in POLICY[policy_key]
        if allowed and (status in REFUSED or _signed_out(status, location)):
            wrong.append(f"{policy_key}: refused ({status}) but {role} may use it")
        if not allowed and status not in REFUSED:
            wrong.append(f"{policy_key}: answered {status}, but {role} must be refused")
        if not allowed and written:
            wrong.append(f"{policy_key}: refused, yet wrote {sorted(written)}")
    assert not wrong, "\n".join(wrong)


def test_a_deactivated_persons_session_and_token_write_nothing(scene, personas, client):
    """Signed in and holding a read-write API token, then deactivated: from the next
    request on, every write route is refused (the sign-in page, or 401 on the API) and
    nothing is written."""
    from django.test import Client

    from pathscore.org import services

    person = personas.sales_a
    _token, secret = services.token_create(
        user=person, name="离职前的脚本", scope="write", expires_in_days=90
    )
    client.force_login(person)
    scripted = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    services.user_deactivate(user=person, actor=personas.sysadmin)

    side = scene["a"]
    wrong = []
    for route, method in write_routes():
        values = values_for(route, side, scene, personas, person)
        if values is None:
            continue
        policy_key = key(route, method)
        body_for = BODIES.get(policy_key) or PAGE_DATA.get(policy_key)
        body = body_for(scene, side, personas, person) if body_for else {}
        callers = [("session", client)] + ([("token", scripted)] if route.is_api else [])
        for how, caller in callers:
            status, location, written = attempt(caller, route, method, route.path(values), body)
            if not _signed_out(status, location) or written:
                wrong.append(f"{policy_key} by {how}: {status} {location} {sorted(written)}")
    assert not wrong, "\n".join(wrong)
