"""The demo company's process history: every project follows its template, with nodes
submitted, returned, approved and scored over the past months, late nodes with their
reasons (some accepted with a waiver, some awaiting the manager), nodes overdue today,
stalled projects, and hand-off tasks to the technical team with their response clocks.

Everything goes through the services, exactly as people's actions would. The services
stamp "now" on what they write; the history is then moved back to the day it happened
with plain updates, the way the records' demo back-dates document uploads.

The three bundled automation rules are created switched off and switched on only once the
demo is committed: the records' and the nodes' events of the demo's history are delivered
at commit, and must not create a second, today-dated copy of the tasks the history
already holds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pathscore.core.models import Option
from pathscore.crm import services as crm_services
from pathscore.crm.choices import DocumentKind, ProjectStatus
from pathscore.crm.demo import _pdf as demo_pdf
from pathscore.crm.models import DocumentVersion, FollowUp, Project
from pathscore.notify.models import Notification
from pathscore.process import bundled, services
from pathscore.process.choices import DONE_STATES, DueRule, ReviewerRole, SubmissionState
from pathscore.process.models import (
    AutomationRule,
    DelayCategory,
    DelayReason,
    HandoffTask,
    NodeInstance,
    ProjectProcess,
    Submission,
)

#: How much a kind of node tends to run late, relative to the owner's usual punctuality:
#: proposals and the technical assessments wait on the technical team and the customer's
#: decision, negotiations on the customer's lawyers; a first visit rarely slips.
KIND_LATENESS = {
    "first-visit": 0.4,
    "site-survey": 0.8,
    "requirement-report": 0.9,
    "pv-capacity": 1.6,
    "storage-assessment": 1.6,
    "proposal-demo": 1.8,
    "feedback-handling": 0.9,
    "contract-negotiation": 1.5,
    "contract-signing": 0.8,
}
#: The share of its allowed days an on-time node takes, and the least a late one takes.
ON_TIME_SHARE = (0.55, 0.95)
LATE_STRETCH = (1.15, 1.6)
#: The most days beyond its usual length a late node waits for the customer.
LONGEST_HOLD_UP = 80
#: Delay reasons for a node held up for weeks: the customer's side, or outside events.
LONG_DELAY_CATEGORIES = ("customer-decision", "customer-budget", "customer-data", "policy")
#: The automation rules were introduced this many days ago: events before that had none.
RULES_INTRODUCED_DAYS_AGO = {"node_approved": 240, "document_feedback": 240, "customer_need": 40}

DELAY_TEXTS = {
    "customer-data": [
        "客户未提供完整的用电数据，近12个月负荷曲线仍在整理",
        "客户配电房图纸和设备台账迟迟未提供",
    ],
    "customer-decision": ["客户内部评审会推迟两周", "客户分管领导出差，方案确认会改期"],
    "customer-budget": ["客户年度预算尚未批复", "客户上级单位预算审批延迟"],
    "tech-team": ["技术支持部同时承担两个投标方案，方案设计排期推迟"],
    "internal-review": ["公司内部方案评审会改期"],
    "sales-workload": ["本人同时跟进三个项目投标，未能按期提交"],
    "policy": ["当地分时电价政策调整，需重新测算收益", "新能源并网政策调整，方案需复核"],
    "weather": ["台风天气导致现场勘查推迟", "连续降雨，现场勘查无法进行"],
}
RETURN_COMMENTS = [
    "缺少未来3年负荷预测的依据，请补充测算过程",
    "现有设备情况描述不完整，请补充主变和开关柜的运行年限",
    "附件不是最新版本，请上传客户确认后的版本",
    "客户参会人记录不全，请补充客户方技术负责人意见",
]
APPROVE_COMMENTS = ["内容完整", "按时提交，质量较好", "数据翔实，可作为后续方案依据", "同意", ""]
TASK_RESULTS = {
    "proposal-design": ["已完成技术方案初稿并上传", "方案设计完成，含设备选型清单"],
    "proposal-revision": ["已按客户反馈调整方案并上传新版本", "已优化造价，方案新版本已上传"],
    "tech-question": ["已电话答复客户技术问题", "已安排工程师现场答疑并形成纪要"],
    "site-survey": ["已完成现场勘查并提交勘查报告"],
    "quotation": ["报价测算完成，已发销售确认"],
}
#: Required document kinds of the bundled nodes, and the title a demo upload gets.
DOCUMENT_TITLES = {
    DocumentKind.REQUIREMENT_REPORT: "需求分析报告",
    DocumentKind.PROPOSAL: "技术方案",
    DocumentKind.TECHNICAL_PROPOSAL: "光伏储能技术方案",
    DocumentKind.CONTRACT_DRAFT: "合同草案",
}


def _at(day: dt.date, rng, hour_from=9, hour_to=17) -> dt.datetime:
    """A working-hours moment on ``day``, never later than a little before now."""
    naive = dt.datetime.combine(
        day, dt.time(rng.randint(hour_from, hour_to), rng.choice([0, 10, 20, 30, 40, 50]))
    )
    latest = timezone.now() - dt.timedelta(minutes=rng.randint(5, 60))
    return min(timezone.make_aware(naive), latest)


def _working(moment: dt.datetime) -> dt.datetime:
    """The same moment, or the start of the next working hours if it fell at night."""
    local = timezone.localtime(moment)
    if local.hour < 8:
        return local.replace(hour=8, minute=local.minute % 30)
    if local.hour >= 20:
        return (local + dt.timedelta(days=1)).replace(hour=8, minute=local.minute % 30)
    return moment


def _due_for(definition, project: Project, previous_done: dt.date) -> dt.date | None:
    """The due date the engine gives a node started on ``previous_done``."""
    if definition.due_rule == DueRule.FIXED_DATE:
        return definition.due_date
    if definition.due_rule == DueRule.AFTER_START:
        return project.started_on + dt.timedelta(days=definition.due_days)
    return previous_done + dt.timedelta(days=definition.due_days)


class _Story:
    """What one load needs at hand: people, categories, documents."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.today = ctx.today
        self.engineers = [e for e in ctx.shared["engineers"] if e.is_active]
        self.managers = {m.department_id: m for m in ctx.shared["managers"]}
        self.director = ctx.shared.get("director")
        self.categories = list(DelayCategory.objects.filter(is_active=True))
        self.task_kinds = {
            o.code: o for o in Option.objects.filter(kind=bundled.TASK_KIND, is_active=True)
        }
        self.approved_requirement_reports: list[tuple[NodeInstance, dt.datetime]] = []
        self.punctuality = self._punctuality(ctx.shared.get("salespeople", []))

    def _punctuality(self, salespeople) -> dict[int, float]:
        """Each salesperson's chance of finishing a node of average difficulty on time:
        experience helps; two people carry more projects than they can handle this year."""
        rng = self.rng
        profile = {}
        for person in salespeople:
            years = (self.today - person.hire_date).days / 365 if person.hire_date else 2
            profile[person.pk] = min(0.96, 0.8 + 0.03 * min(years, 5) + rng.uniform(-0.05, 0.05))
        for person in rng.sample(salespeople, k=min(2, len(salespeople))):
            profile[person.pk] -= 0.35
        return profile

    def late_nodes(self, owner, codes: list[str]) -> set[int]:
        """Which of a project's nodes its owner will finish late."""
        slack = 1 - self.punctuality.get(owner.pk, 0.75)
        return {
            index
            for index, code in enumerate(codes)
            if self.rng.random() < slack * KIND_LATENESS.get(code, 1.0)
        }

    def manager_of(self, owner):
        return self.managers.get(owner.department_id) or self.director


# --- Automation rules ----------------------------------------------------------------------


def _bundle_rules(story: _Story, team) -> list[AutomationRule]:
    admin = story.ctx.shared["admin"]
    rules = []
    for name, event, node_code, document_kind, kind_code, due_days in bundled.AUTOMATION_RULES:
        rule = services.rule_create(
            actor=admin,
            name=name,
            event=event,
            node_code=node_code,
            document_kind=document_kind,
            task_kind=story.task_kinds[kind_code],
            assignee_department=team,
            due_days=due_days,
            # Switched on after the commit (see the module's docstring).
            is_active=False,
        )
        introduced = story.today - dt.timedelta(days=RULES_INTRODUCED_DAYS_AGO[event])
        AutomationRule.objects.filter(pk=rule.pk).update(
            created_at=_at(introduced, story.rng), updated_at=_at(introduced, story.rng)
        )
        rule.introduced_on = introduced
        rules.append(rule)
    return rules


def _after_commit(rule_ids: list[int], admin) -> None:
    """Once the history's events are delivered: switch the rules on, and file away the
    messages about nodes long finished (people read those at the time)."""
    for rule in AutomationRule.objects.filter(pk__in=rule_ids, is_active=False):
        services.rule_set_active(rule=rule, actor=admin, active=True)
    finished = NodeInstance.objects.filter(state__in=DONE_STATES).values_list("pk", flat=True)
    urls = [reverse("process:node-detail", args=[pk]) for pk in finished]
    Notification.objects.filter(read_at__isnull=True, url__in=urls).update(read_at=timezone.now())


# --- Node history --------------------------------------------------------------------------


def _field_value(spec: dict, story: _Story, project: Project, day: dt.date) -> str:
    rng = story.rng
    name, kind = spec["name"], spec.get("type", "text")
    if kind == "date":
        return day.isoformat()
    if kind == "choice":
        choices = spec.get("choices") or [""]
        return choices[0] if name == "customer_confirmed" else rng.choice(choices)
    if kind == "number":
        numbers = {
            "contract_amount": (project.estimated_amount or Decimal(1000000)) / 10000,
            "usable_area": rng.randint(20, 150) * 100,
            "capacity_kwp": rng.randint(4, 60) * 100,
            "self_use_ratio": rng.randint(55, 95),
            "storage_kwh": rng.randint(2, 40) * 250,
        }
        return str(numbers.get(name, rng.randint(1, 100)))
    texts = {
        "key_contact": f"{rng.choice(['周建国', '王立新', '郑海燕', '沈国平'])} "
        f"{rng.choice(['副总经理', '总工程师', '设备部主任'])}",
        "power_load": f"最大负荷约{rng.randint(2, 40)}MW，"
        f"年用电量约{rng.randint(800, 9000)}万千瓦时",
        "existing_equipment": f"{rng.randint(2, 6)}台主变，10kV开关柜运行{rng.randint(8, 20)}年",
        "demand_forecast": f"未来3年负荷年均增长约{rng.randint(4, 15)}%，新增产线两条",
        "attendees": "客户总工程师、设备部主任、采购部经理等5人",
        "feedback_summary": rng.choice(
            ["客户认为造价偏高，要求优化设备选型", "客户要求补充运维响应承诺", "工期需提前两周"]
        ),
        "grid_access": "厂区10kV配电房2号进线柜",
    }
    return texts.get(name, "已完成")


def _version_of_kind(story: _Story, project: Project, owner, kind: str, before: dt.date):
    """A version of the project's ``kind`` document to attach, uploading one if needed."""
    version = (
        DocumentVersion.objects.filter(document__project=project, document__kind=kind)
        .select_related("document")
        .order_by("number")
        .first()
    )
    if version is not None:
        return version
    title = DOCUMENT_TITLES.get(kind, "资料")
    version = crm_services.document_create(
        actor=owner,
        project=project,
        kind=kind,
        title=title,
        file=ContentFile(demo_pdf(f"{kind} {project.pk}"), name=f"{title}.pdf"),
        change_note="初版",
    )
    uploaded = max(before - dt.timedelta(days=story.rng.randint(1, 4)), project.started_on)
    DocumentVersion.objects.filter(pk=version.pk).update(uploaded_at=_at(uploaded, story.rng))
    return version


def _submit(story: _Story, node: NodeInstance, owner, day: dt.date) -> Submission:
    definition = node.definition
    project = node.project
    documents = [
        _version_of_kind(story, project, owner, kind, day)
        for kind in definition.required_document_kinds or []
    ]
    submission = services.node_submit(
        node=node,
        user=owner,
        data={spec["name"]: _field_value(spec, story, project, day) for spec in definition.fields},
        checklist=list(definition.checklist or []),
        documents=documents,
    )
    moment = _at(day, story.rng)
    Submission.objects.filter(pk=submission.pk).update(submitted_at=moment)
    NodeInstance.objects.filter(pk=node.pk).update(submitted_at=moment)
    return submission


def _reviewer(story: _Story, node: NodeInstance, owner):
    if node.definition.reviewer_role == ReviewerRole.TECHNICAL_SUPPORT:
        return story.rng.choice(story.engineers)
    return story.manager_of(owner)


def _give_reason(
    story: _Story, node, owner, day: dt.date, *, decide_on: dt.date | None, long: bool = False
):
    """The owner explains the delay; the manager decides on ``decide_on`` (or not yet).
    A ``long`` delay (weeks) is the customer's or the outside world's doing."""
    rng = story.rng
    categories = story.categories
    if long:
        categories = [c for c in categories if c.code in LONG_DELAY_CATEGORIES] or categories
    category = rng.choice(categories)
    reason = services.delay_reason_give(
        node=node,
        user=owner,
        category=category,
        text=rng.choice(DELAY_TEXTS.get(category.code, ["客户方原因导致延期"])),
    )
    moment = _at(day, rng)
    DelayReason.objects.filter(pk=reason.pk).update(created_at=moment, updated_at=moment)
    if decide_on is None:
        return reason
    waivable = category.attribution in ("customer", "external")
    accept = waivable and rng.random() < 0.8 or (not waivable and rng.random() < 0.3)
    share = Decimal(rng.choice(["1", "1", "0.5"])) if accept and waivable else Decimal(0)
    note = (
        "客户原因属实，免除延期扣分"
        if share == 1
        else ("客户原因属实，减半扣分" if share else ("情况属实" if accept else "应提前协调"))
    )
    services.delay_reason_decide(
        reason=reason, manager=story.manager_of(owner), accept=accept, waived_share=share, note=note
    )
    DelayReason.objects.filter(pk=reason.pk).update(decided_at=_at(decide_on, rng))
    return reason


def _approve(story: _Story, node, owner, day: dt.date):
    rng = story.rng
    services.review_approve(
        node=node,
        reviewer=_reviewer(story, node, owner),
        quality_score=Decimal(rng.choice([65, 72, 78, 80, 84, 86, 88, 90, 92, 95])),
        comment=rng.choice(APPROVE_COMMENTS),
    )
    moment = _at(day, rng, 10, 18)
    Submission.objects.filter(node=node, state=SubmissionState.APPROVED).update(reviewed_at=moment)
    NodeInstance.objects.filter(pk=node.pk).update(completed_on=day)
    if node.definition.code == "requirement-report":
        story.approved_requirement_reports.append((node, moment))


def _move_on(project: Project, node: NodeInstance, following, day: dt.date) -> None:
    """After an approval or a skip "today", put the next node's start where it belongs."""
    if following is None:
        ProjectProcess.objects.filter(project=project).update(completed_on=day, current_since=None)
        return
    due = _due_for(following.definition, project, day)
    NodeInstance.objects.filter(pk=following.pk).update(started_on=day, planned_due=due)
    ProjectProcess.objects.filter(project=project).update(current_since=day)


def _work(story: _Story, due_days: int, late: bool) -> int:
    """Days from a node's start to its submission: within its allowed days, or beyond."""
    share = story.rng.uniform(*(LATE_STRETCH if late else ON_TIME_SHARE))
    return max(1, round(due_days * share))


def _work_to_plan(story: _Story, nodes: list, index: int, start: dt.date, plan: dict) -> int:
    """Days to spend on an active project's node so that it reaches its current node when
    planned: on-time nodes take their usual share of the allowed days, and the late ones
    absorb whatever else the project waited (a customer's budget round, a long
    negotiation). A young project squeezes its nodes instead. Reviews take a day or two
    each."""
    rng = story.rng
    remaining = range(index, plan["stop_at"])
    due = nodes[index].definition.due_days
    left = (plan["target_end"] - start).days - 2 * len(remaining)
    usual = sum(_usual_days(nodes[i].definition.due_days, i in plan["late"]) for i in remaining)
    spare = left - usual
    if index in plan["late"]:
        late_days = sum(nodes[i].definition.due_days for i in remaining if i in plan["late"])
        work = _usual_days(due, True) + max(0, spare) * due / late_days
        return max(1, round(work * rng.uniform(0.9, 1.1)))
    work = due * rng.uniform(*ON_TIME_SHARE)
    if spare < 0:
        all_days = sum(nodes[i].definition.due_days for i in remaining) or 1
        work = min(work, due * max(left, 0) / all_days)
    return max(1, round(work))


def _usual_days(due_days: int, late: bool) -> float:
    low, high = LATE_STRETCH if late else ON_TIME_SHARE
    return due_days * (low + high) / 2


def _walk(story: _Story, project: Project, plan: dict) -> None:
    """Play the project's path from its start: each node worked on for a while, submitted,
    sometimes returned, approved; stop where the project stands today."""
    rng, today = story.rng, story.today
    owner = project.owner
    deadline = plan["deadline"]
    nodes = list(
        NodeInstance.objects.filter(project=project).select_related("definition").order_by("order")
    )
    for index, node in enumerate(nodes):
        node.project = project  # one project object: its owner and scope are loaded once
        following = nodes[index + 1] if index + 1 < len(nodes) else None
        if index:
            node.refresh_from_db(fields=["state", "started_on", "planned_due", "revision"])
        start = node.started_on or project.started_on
        if index >= plan["stop_at"]:
            _leave_current(story, node, owner, start, plan)
            return
        if plan.get("skip") == node.definition.code:
            manager = story.manager_of(owner)
            services.node_skip(node=node, manager=manager, reason="客户暂不考虑储能，本节点不适用")
            skipped_on = min(start + dt.timedelta(days=rng.randint(1, 4)), today)
            NodeInstance.objects.filter(pk=node.pk).update(completed_on=skipped_on)
            _move_on(project, node, following, skipped_on)
            continue
        late = index in plan["late"]
        if plan.get("target_end"):
            work = _work_to_plan(story, nodes, index, start, plan)
        elif plan.get("pace"):
            # A won project: it moved briskly to the signing.
            work = max(2, round(node.definition.due_days * plan["pace"] * rng.uniform(0.6, 1.35)))
        else:
            work = _work(story, node.definition.due_days, late)
        submit_day = start + dt.timedelta(days=work)
        review_days = rng.randint(1, 3)
        if submit_day + dt.timedelta(days=review_days) > deadline:
            if plan["finish"]:
                # A won project got there: squeeze what is left into the time it had.
                submit_day = max(start, deadline - dt.timedelta(days=review_days))
            else:
                _leave_current(story, node, owner, start, plan)
                return
        days_late = (submit_day - node.planned_due).days if node.planned_due else 0
        if days_late > 0 and rng.random() < 0.7:
            given = min(node.planned_due + dt.timedelta(days=rng.randint(1, 3)), submit_day)
            decide_on = min(given + dt.timedelta(days=rng.randint(1, 4)), today)
            undecided = (today - given).days < 10 and rng.random() < 0.5
            _give_reason(
                story,
                node,
                owner,
                given,
                decide_on=None if undecided else decide_on,
                long=days_late > 20,
            )
        # A returned submission comes back within a week; an on-time node only when the
        # owner submitted early enough to fix it before the due date.
        room = node.planned_due is None or submit_day + dt.timedelta(days=5) <= node.planned_due
        returned = (
            rng.random() < 0.15 and submit_day + dt.timedelta(days=6) < deadline and (late or room)
        )
        _submit(story, node, owner, submit_day)
        if returned:
            services.review_return(
                node=node,
                reviewer=_reviewer(story, node, owner),
                comment=rng.choice(RETURN_COMMENTS),
            )
            back_on = submit_day + dt.timedelta(days=1)
            Submission.objects.filter(node=node, state=SubmissionState.RETURNED).update(
                reviewed_at=_at(back_on, rng, 10, 18)
            )
            submit_day = back_on + dt.timedelta(days=rng.randint(2, 4))
            _submit(story, node, owner, submit_day)
        approve_day = min(submit_day + dt.timedelta(days=review_days), deadline)
        _approve(story, node, owner, approve_day)
        _move_on(project, node, following, approve_day)


def _leave_current(story: _Story, node, owner, start: dt.date, plan: dict) -> None:
    """Where the project stands today: still being worked on (perhaps overdue, with or
    without a reason), awaiting review, or returned to the owner."""
    rng, today = story.rng, story.today
    if plan["status"] != ProjectStatus.ACTIVE:
        return
    overdue = node.planned_due is not None and node.planned_due < today
    roll = rng.random()
    if not plan.get("stuck") and roll < 0.2 and (today - start).days >= 3:
        _submit(story, node, owner, today - dt.timedelta(days=rng.randint(0, 2)))
        return
    if not plan.get("stuck") and roll < 0.3 and (today - start).days >= 6:
        submitted = today - dt.timedelta(days=rng.randint(3, 5))
        _submit(story, node, owner, submitted)
        services.review_return(
            node=node, reviewer=_reviewer(story, node, owner), comment=rng.choice(RETURN_COMMENTS)
        )
        Submission.objects.filter(node=node, state=SubmissionState.RETURNED).update(
            reviewed_at=_at(submitted + dt.timedelta(days=1), rng, 10, 18)
        )
        return
    if overdue and rng.random() < 0.5:
        given = min(node.planned_due + dt.timedelta(days=rng.randint(1, 3)), today)
        decide_on = min(given + dt.timedelta(days=rng.randint(1, 3)), today)
        pending = (today - given).days < 12 or rng.random() < 0.5
        _give_reason(story, node, owner, given, decide_on=None if pending else decide_on)


def _plan(story: _Story, project: Project, nodes: list[tuple[str, int]], stuck: bool) -> dict:
    """How far a project got, given its nodes' codes and allowed days, and which nodes its
    owner finished late: won ones went to the signing, lost and paused ones stopped
    midway, active ones stand at a node fitting their age (a few stuck at an early node
    for far too long), never past the last node while active."""
    rng, today = story.rng, story.today
    codes = [code for code, _days in nodes]
    days = [due_days for _code, due_days in nodes]
    age = (today - project.started_on).days
    total = sum(days) or 1
    late = story.late_nodes(project.owner, codes)
    plan = {
        "status": project.status,
        "finish": False,
        "deadline": today,
        "stop_at": len(days),
        "late": late,
    }
    if project.category.code == "new-energy" and rng.random() < 0.4:
        plan["skip"] = "storage-assessment"
    if project.status == ProjectStatus.WON:
        deadline = min(project.signed_on or today, today)
        available = (deadline - project.started_on).days
        plan.update(
            finish=True, deadline=deadline, pace=max(0.3, min(0.9, available / total / 1.3))
        )
        return plan
    if project.status in (ProjectStatus.LOST, ProjectStatus.PAUSED):
        plan.update(stop_at=rng.randint(1, 3))
        return plan
    if stuck:
        plan.update(stop_at=rng.randint(1, 2), stuck=True)
        return plan
    # Where it stands: as far along as its age allows at the owner's usual pace, held up
    # now and then by the customer (older projects more), at its current node for a few
    # days to a few weeks.
    at_current = rng.randint(1, 18)
    budget = age - at_current
    tempo = rng.uniform(0.9, 1.2) if age < 90 else rng.uniform(1.1, 1.7)

    def cost(stop: int) -> float:
        return sum(_usual_days(days[i], i in late) + 2 for i in range(stop))

    stop_at = 0
    for index in range(1, len(days)):
        if cost(index) * tempo <= budget:
            stop_at = index
    # The weeks the project waited went somewhere: to nodes that wait on others (each
    # held up a few weeks at most), and what is left to the current node.
    spare = budget - cost(stop_at)
    candidates = [i for i in range(stop_at) if i not in late]
    while candidates and spare > LONGEST_HOLD_UP * len(late & set(range(stop_at))):
        weights = [KIND_LATENESS.get(codes[i], 1.0) ** 2 for i in candidates]
        chosen = rng.choices(candidates, weights=weights)[0]
        late.add(chosen)
        candidates.remove(chosen)
        spare -= _usual_days(days[chosen], True) - _usual_days(days[chosen], False)
    held = len(late & set(range(stop_at)))
    at_current += max(0, round(spare - LONGEST_HOLD_UP * held))
    plan.update(stop_at=stop_at, target_end=today - dt.timedelta(days=at_current))
    return plan


# --- Hand-off tasks ------------------------------------------------------------------------


def _play_task(
    story: _Story,
    *,
    project: Project,
    kind_code: str,
    title: str,
    created: dt.datetime,
    due_days: int,
    rule: AutomationRule | None = None,
    source_ref: str = "",
    feedback_at: dt.datetime | None = None,
    created_by=None,
    description: str = "",
    speed: float = 1.0,
    answer: bool = True,
) -> HandoffTask | None:
    """Create a task as it was created then, and let the team answer it at their pace."""
    rng, now = story.rng, timezone.now()
    team = story.engineers[0].department
    task = services.task_create(
        project=project,
        kind=story.task_kinds[kind_code],
        title=title,
        assignee_department=team,
        due_date=story.today,
        created_by=created_by,
        description="\n".join(
            part for part in (description, f"由规则“{rule.name}”创建。" if rule else "") if part
        ),
        rule=rule,
        source_event=rule.event if rule else "",
        source_ref=source_ref,
        feedback_at=feedback_at,
    )
    if task is None:
        return None
    due = timezone.localdate(created) + dt.timedelta(days=due_days)
    HandoffTask.objects.filter(pk=task.pk).update(
        created_at=created, updated_at=created, due_date=due
    )
    HandoffTask.history.filter(id=task.pk).update(history_date=created, history_user=created_by)
    engineer = rng.choice(story.engineers)
    acknowledged = _working(
        created + dt.timedelta(hours=rng.choice([0.3, 0.5, 1, 1.5, 2, 3, 4, 6, 20, 26]) * speed)
    )
    done = _working(acknowledged + dt.timedelta(hours=rng.uniform(4, 24 * (due_days + 1)) * speed))
    if not answer or acknowledged >= now:
        return task
    services.task_acknowledge(task=task, user=engineer)
    HandoffTask.objects.filter(pk=task.pk).update(acknowledged_at=acknowledged)
    if done >= now:
        return task
    services.task_complete(
        task=task, user=engineer, result=rng.choice(TASK_RESULTS.get(kind_code, ["已完成"]))
    )
    HandoffTask.objects.filter(pk=task.pk).update(done_at=done, updated_at=done)
    return task


def _tasks(story: _Story, rules: dict[str, AutomationRule], projects: list[Project]) -> None:
    rng, today = story.rng, story.today
    # The proposal design that follows an approved requirement report.
    design = rules["node_approved"]
    for node, approved_at in story.approved_requirement_reports:
        if timezone.localdate(approved_at) < design.introduced_on:
            continue
        _play_task(
            story,
            project=node.project,
            kind_code="proposal-design",
            title=f"方案设计：{node.project.name}",
            created=approved_at + dt.timedelta(minutes=1),
            due_days=design.due_days,
            rule=design,
            source_ref=f"node:{node.pk}:{node.revision}",
            speed=rng.choice([0.6, 1.0, 1.4]),
        )
    # A revision for every proposal version the customer commented on.
    revision = rules["document_feedback"]
    versions = (
        DocumentVersion.objects.filter(
            document__project__in=projects,
            document__kind=DocumentKind.PROPOSAL,
            feedback_on__isnull=False,
        )
        .select_related("document__project", "feedback_recorded_by")
        .order_by("feedback_on", "pk")
    )
    relay_hours = {}  # each salesperson relays at their own pace
    for version in versions:
        if version.feedback_on < revision.introduced_on:
            continue
        project = version.document.project
        person = version.feedback_recorded_by or project.owner
        pace = relay_hours.setdefault(person.pk, rng.choice([2, 4, 8, 20, 30, 50]))
        given = timezone.make_aware(dt.datetime.combine(version.feedback_on, dt.time(9)))
        created = min(
            _working(given + dt.timedelta(hours=pace * rng.uniform(0.5, 1.5))),
            timezone.now() - dt.timedelta(hours=1),
        )
        _play_task(
            story,
            project=project,
            kind_code="proposal-revision",
            title=f"方案调整：{version.document.title} {version.label}",
            created=created,
            due_days=revision.due_days,
            rule=revision,
            source_ref=f"version:{version.pk}",
            feedback_at=given,
            created_by=person,
            description=version.customer_feedback,
            speed=0.8,
        )
    # Technical questions for customer needs raised since that rule exists.
    question = rules["customer_need"]
    since = timezone.make_aware(dt.datetime.combine(question.introduced_on, dt.time()))
    followups = (
        FollowUp.objects.filter(project__in=projects, occurred_at__gte=since, needs__isnull=False)
        .distinct()
        .select_related("project", "author")
        .prefetch_related("needs")
        .order_by("occurred_at", "pk")
    )
    for followup in followups:
        pace = relay_hours.setdefault(followup.author_id, rng.choice([2, 4, 8, 20, 30, 50]))
        created = min(
            _working(followup.occurred_at + dt.timedelta(hours=pace * rng.uniform(0.3, 1.2))),
            timezone.now() - dt.timedelta(minutes=30),
        )
        _play_task(
            story,
            project=followup.project,
            kind_code="tech-question",
            title=f"技术答疑：{followup.project.name}",
            created=created,
            due_days=question.due_days,
            rule=question,
            source_ref=f"followup:{followup.pk}",
            feedback_at=followup.occurred_at,
            created_by=followup.author,
            description="客户需求：" + "；".join(n.text for n in followup.needs.all()),
            speed=rng.choice([0.5, 0.8, 1.0, 1.5]),
        )
    # A few tasks handed off by hand, some of them late.
    active = [p for p in projects if p.status == ProjectStatus.ACTIVE]
    for index, project in enumerate(rng.sample(active, k=min(6, len(active)))):
        kind_code = ["quotation", "site-survey"][index % 2]
        created = _at(today - dt.timedelta(days=rng.randint(1, 12)), rng)
        task = _play_task(
            story,
            project=project,
            kind_code=kind_code,
            title=f"{story.task_kinds[kind_code].name}：{project.name}",
            created=created,
            due_days=rng.randint(2, 6),
            created_by=project.owner,
            description="请协助完成，客户下周需要答复。",
            speed=rng.choice([1.0, 3.0, 6.0]),
            answer=index >= 2,
        )
        if task is not None and index < 2:
            # Still not answered, and past its date.
            HandoffTask.objects.filter(pk=task.pk).update(
                due_date=today - dt.timedelta(days=rng.randint(1, 3))
            )


# --- Loading -------------------------------------------------------------------------------


def load(ctx) -> None:
    story = _Story(ctx)
    rng, today = story.rng, story.today
    team = story.engineers[0].department
    rules = {rule.event: rule for rule in _bundle_rules(story, team)}
    projects = list(
        Project.objects.filter(pk__in=[p.pk for p in ctx.shared.get("projects", [])])
        .select_related("customer__customer_type", "owner__department", "category")
        .order_by("pk")
    )
    old_active = [
        p.pk
        for p in projects
        if p.status == ProjectStatus.ACTIVE and (today - p.started_on).days > 120
    ]
    stuck = set(rng.sample(old_active, k=min(4, len(old_active))))
    for project in projects:
        process = services.process_start(project=project)
        if process is None:
            continue
        nodes = list(process.version.nodes.order_by("order").values_list("code", "due_days"))
        _walk(story, project, _plan(story, project, nodes, project.pk in stuck))
    _tasks(story, rules, projects)
    admin = ctx.shared["admin"]
    rule_ids = [rule.pk for rule in rules.values()]
    # Registered last, so it runs after every event of the history above is delivered.
    transaction.on_commit(lambda: _after_commit(rule_ids, admin))
    ctx.shared.update(automation_rules=list(rules.values()))


def after_seed(*, today: dt.date, now: dt.datetime) -> None:
    """After a generated company (``pathscore seed --scale``) is loaded: learn the stall
    thresholds from its history, as the daily job would have by now."""
    from pathscore.process.stalls import refresh_thresholds

    refresh_thresholds(now=now)
