"""The demo company's evaluation: customer ratings of the salespeople, the technical team's
quality ratings of their reports and proposals, training courses with their sessions and
attendance, commendations, and three quarters of appraisal.

The two previous quarters were closed, acknowledged by most, each with an appeal resolved,
and published. Last quarter has since been reopened by HR as a new version, with a
manager's adjustment and one appeal still waiting for the manager. The current quarter is
open, its scores live.

Everything goes through the services, exactly as people's actions would. Records dated
inside a closed period are frozen, so every rating and attendance is recorded first and
the periods are closed last. The services stamp "now" on closings, acknowledgements and
appeals; those of the earlier quarters are then moved back to when they happened, as the
other parts of the demo do with their history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from pathscore.crm.choices import DocumentKind
from pathscore.crm.models import DocumentVersion, Project
from pathscore.notify.models import Notification
from pathscore.scoring import services
from pathscore.scoring.choices import PeriodKind, RatingSource
from pathscore.scoring.models import Adjustment, Appeal, Period, Result
from pathscore.scoring.notifications import KIND as NOTIFICATION_KIND

#: (code, name, description, the indicators it helps with)
COURSES = (
    (
        "storage-basics",
        "储能技术基础",
        "电化学储能原理、充放电策略、峰谷套利测算与安全规范，面向一线销售。",
        ["customer_feedback_rating", "quality_score"],
    ),
    (
        "proposal-writing",
        "方案写作规范",
        "需求分析报告与技术方案的结构、负荷测算依据、投资回收期测算与常见问题。",
        ["quality_score", "proposal_revision_count"],
    ),
    (
        "customer-communication",
        "客户沟通技巧",
        "需求挖掘、技术交流会组织、异议处理与客户反馈的及时传递。",
        ["customer_feedback_rating", "feedback_relay_time", "followup_cycle"],
    ),
    (
        "process-discipline",
        "销售流程与节点管理",
        "项目节点的计划、按期提交与延期说明，系统使用要点。",
        ["node_on_time_rate", "node_completion_rate"],
    ),
    (
        "contract-terms",
        "合同条款与风险防范",
        "价格、付款、质保与违约条款的谈判要点及风险识别。",
        ["terms_agreed_rate"],
    ),
)
LOCATIONS = ("公司培训中心301会议室", "线上（腾讯会议）", "公司培训中心二楼报告厅")

GOOD_COMMENTS = (
    "响应及时，方案讲解清楚",
    "对配网改造需求理解到位",
    "沟通顺畅，跟进积极",
    "技术交流准备充分，客户认可",
    "",
    "",
)
WEAK_COMMENTS = (
    "对储能技术细节不熟悉",
    "对光伏并网技术参数回答不准确，需技术人员补充",
    "储能系统充放电策略讲解不清楚",
    "技术问题多次需要回去确认，专业深度不够",
)
QUALITY_COMMENTS = (
    (85, "内容翔实，技术路线清晰，可直接提交客户"),
    (75, "结构完整，投资回收期测算需补充敏感性分析"),
    (65, "负荷测算依据不足，设备选型需细化"),
    (0, "缺少现状设备数据和需求预测依据，需较大修改"),
)


def _quarter_start(day: dt.date, back: int) -> dt.date:
    """The first day of the quarter ``back`` quarters before the one holding ``day``."""
    index = day.year * 4 + (day.month - 1) // 3 - back
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def _moment(day: dt.date, hour: int) -> dt.datetime:
    """``hour`` o'clock on ``day``, never later than a little before now."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    return min(moment, timezone.now() - dt.timedelta(minutes=30))


class _Evaluation:
    """What one load needs at hand: the people, who manages whom, the days it spans."""

    def __init__(self, ctx):
        self.rng = ctx.rng
        self.today = ctx.today
        self.hr = ctx.shared["hr_admin"]
        self.engineers = [e for e in ctx.shared["engineers"] if e.is_active]
        self.salespeople = [p for p in ctx.shared["salespeople"] if p.is_active]
        self.managers = {m.department_id: m for m in ctx.shared["managers"]}
        # The two newest salespeople are still weak on the technical side: customers say
        # so, their documents score lower, and the storage course is suggested to them.
        self.weak = sorted(self.salespeople, key=lambda p: p.hire_date)[-2:]
        #: The two quarters before this one, and this one.
        self.quarters = [_quarter_start(self.today, back) for back in (2, 1, 0)]
        #: The ratings and training go back about nine months.
        self.since = min(self.quarters[0], self.today - dt.timedelta(days=270))

    def manager_of(self, person):
        return self.managers.get(person.department_id, self.hr)

    def is_weak(self, person) -> bool:
        return person in self.weak


# --- Ratings -----------------------------------------------------------------------------


def _customer_ratings(ev: _Evaluation) -> None:
    """Every few weeks a customer rates a salesperson, entered by their manager."""
    rng, today = ev.rng, ev.today
    projects = list(
        Project.objects.filter(owner__in=ev.salespeople)
        .select_related("customer")
        .order_by("started_on", "pk")
    )
    sources = list(RatingSource.values)
    for person in ev.salespeople:
        mine = [p for p in projects if p.owner_id == person.pk]
        weak = ev.is_weak(person)
        knowledge = rng.uniform(2.4, 3.2) if weak else rng.uniform(3.7, 4.7)
        communication = rng.uniform(3.4, 4.2) if weak else rng.uniform(3.8, 4.8)
        day = ev.since + dt.timedelta(days=rng.randint(5, 30))
        while day <= today and mine:
            started = [p for p in mine if p.started_on + dt.timedelta(days=14) <= day]
            if started and rng.random() < 0.85:
                project = rng.choice(started)
                rating_k = max(1, min(5, round(rng.gauss(knowledge, 0.6))))
                rating_c = max(1, min(5, round(rng.gauss(communication, 0.5))))
                comment = (
                    rng.choice(WEAK_COMMENTS)
                    if rating_k <= 3 and (weak or rng.random() < 0.3)
                    else rng.choice(GOOD_COMMENTS)
                )
                services.customer_rating_create(
                    actor=ev.manager_of(person),
                    person=person,
                    customer=project.customer,
                    project=project,
                    rated_on=day,
                    domain_knowledge=rating_k,
                    communication=rating_c,
                    comment=comment,
                    source=rng.choice(sources),
                )
            day += dt.timedelta(days=rng.randint(18, 40))


def _quality_ratings(ev: _Evaluation) -> None:
    """The engineers rate most reports and proposals a few days after they are uploaded
    (each engineer the versions of the projects their team worked on)."""
    rng, today = ev.rng, ev.today
    kinds = [
        DocumentKind.REQUIREMENT_REPORT,
        DocumentKind.PROPOSAL,
        DocumentKind.TECHNICAL_PROPOSAL,
    ]
    versions = list(
        DocumentVersion.objects.filter(
            document__kind__in=kinds,
            uploaded_by__in=ev.salespeople,
            uploaded_at__date__gte=ev.since,
        )
        .select_related("document", "uploaded_by")
        .order_by("uploaded_at", "pk")
    )
    seen_by = {
        engineer.pk: set(
            DocumentVersion.objects.visible_to(engineer)
            .filter(pk__in=[v.pk for v in versions])
            .values_list("pk", flat=True)
        )
        for engineer in ev.engineers
    }
    skill = {
        person.pk: rng.uniform(64, 74) if ev.is_weak(person) else rng.uniform(74, 90)
        for person in ev.salespeople
    }
    for version in versions:
        raters = [e for e in ev.engineers if version.pk in seen_by[e.pk]]
        if not raters or rng.random() > 0.75:
            continue
        uploaded = timezone.localdate(version.uploaded_at)
        rated_on = min(uploaded + dt.timedelta(days=rng.randint(1, 6)), today)
        # Later versions answer the customer's feedback and usually read better.
        score = skill[version.uploaded_by_id] + 3 * (version.number - 1) + rng.gauss(0, 5)
        score = max(45, min(98, round(score)))
        comment = next(text for floor, text in QUALITY_COMMENTS if score >= floor)
        services.quality_rating_create(
            actor=rng.choice(raters),
            version=version,
            score=score,
            comment=comment,
            rated_on=rated_on,
        )


# --- Training ----------------------------------------------------------------------------


def _training(ev: _Evaluation) -> None:
    """HR's courses mapped to the indicators they help with; sessions (HR's monthly ones
    for every salesperson, each manager's for their team) with the people required and
    their attendance ticked; two sessions still to come, one of them suggested to the
    people weak on storage technology by their managers."""
    rng, today = ev.rng, ev.today
    courses = [
        services.training_course_create(
            actor=ev.hr, code=code, name=name, description=description, indicators=indicators
        )
        for code, name, description, indicators in COURSES
    ]
    # Whether someone tends to turn up: most do; a few often have a customer to see.
    presence = {
        person.pk: rng.choice([0.97, 0.95, 0.92, 0.9, 0.85, 0.7]) for person in ev.salespeople
    }

    def hold(actor, course, day, required, location) -> None:
        session = services.training_session_create(
            actor=actor,
            course=course,
            held_on=day,
            location=location,
            required=required,
            reason="季度必修培训",
        )
        attended = [p.pk for p in required if rng.random() < presence[p.pk]]
        services.attendance_record(actor=actor, session=session, attended_ids=attended)

    # HR trains every salesperson about once a month…
    day = ev.since + dt.timedelta(days=rng.randint(8, 16))
    index = 0
    while day < today - dt.timedelta(days=2):
        hold(ev.hr, courses[index % len(courses)], day, ev.salespeople, rng.choice(LOCATIONS))
        day += dt.timedelta(days=rng.randint(26, 36))
        index += 1
    # …and each manager trains their own team once a quarter or so.
    for manager in ev.managers.values():
        team = [p for p in ev.salespeople if p.department_id == manager.department_id]
        day = ev.since + dt.timedelta(days=rng.randint(30, 60))
        while day < today - dt.timedelta(days=2):
            course = rng.choice(courses[1:])
            hold(manager, course, day, team, f"{manager.department.name}会议室")
            day += dt.timedelta(days=rng.randint(80, 100))

    upcoming = services.training_session_create(
        actor=ev.hr,
        course=courses[0],
        held_on=today + dt.timedelta(days=9),
        location=LOCATIONS[0],
        required=[],
    )
    for person in ev.weak:
        services.training_assign(
            actor=ev.manager_of(person),
            session=upcoming,
            person=person,
            reason="客户反馈对储能技术细节不熟悉，建议参加",
        )
    services.training_session_create(
        actor=ev.hr,
        course=courses[1],
        held_on=today + dt.timedelta(days=23),
        location=LOCATIONS[1],
        required=list(ev.salespeople),
        reason="季度必修培训",
    )


# --- Periods -----------------------------------------------------------------------------


def _commendations(ev: _Evaluation, periods: list[Period]) -> None:
    rng = ev.rng
    strong = [p for p in ev.salespeople if not ev.is_weak(p)]
    awards = (
        ("季度客户满意之星", "客户回访满意度全组最高，多次获客户书面表扬。"),
        ("优秀方案奖", "储能项目技术方案一次通过客户评审，可作为同类项目范本。"),
        ("跨部门协作奖", "与技术支持部配合完成紧急投标，按期提交全部资料。"),
        ("季度客户满意之星", "主动回访老客户，挖掘出两项新的改造需求。"),
    )
    for position, (title, text) in enumerate(awards):
        period = periods[position % 2]
        person = rng.choice(strong)
        given_on = min(period.ends_on + dt.timedelta(days=rng.randint(3, 8)), ev.today)
        given_by = ev.hr if position % 2 else ev.manager_of(person)
        services.commendation_create(
            actor=given_by, person=person, title=title, text=text, given_on=given_on, period=period
        )


def _results(ev: _Evaluation, period: Period) -> list[Result]:
    """The salespeople's current results of ``period``, team by team, best first."""
    return list(
        Result.objects.filter(period=period, version=period.version, person__in=ev.salespeople)
        .select_related("person__department", "department", "period")
        .order_by("department_id", "rank", "pk")
    )


def _acknowledge(ev: _Evaluation, results: list[Result], closed_at, *, skip=()) -> None:
    """Most people read their score within a few days and acknowledge it."""
    rng = ev.rng
    for result in results:
        if result.person in skip or rng.random() > 0.75:
            continue
        services.result_acknowledge(result=result, person=result.person)
        Result.objects.filter(pk=result.pk).update(
            acknowledged_at=closed_at + dt.timedelta(hours=rng.randint(4, 96))
        )


def _past_quarter(ev: _Evaluation, period: Period, appeal: tuple, *, aside=()) -> None:
    """Closed a week after its end, one appeal resolved, most results acknowledged,
    published a few days later. The people ``aside`` neither appeal nor acknowledge."""
    rng = ev.rng
    services.period_close(period=period, actor=ev.hr)
    closed_at = _moment(period.ends_on + dt.timedelta(days=rng.randint(6, 9)), 10)
    results = _results(ev, period)
    reason, resolution, upheld, points = appeal
    # The appeal comes from the middle of the field: someone who expected better.
    candidates = [r for r in results if r.person not in aside]
    appellant = candidates[len(candidates) // 2]
    filed = services.appeal_submit(result=appellant, person=appellant.person, reason=reason)
    services.appeal_resolve(
        appeal=filed,
        actor=ev.manager_of(appellant.person),
        upheld=upheld,
        resolution=resolution,
        points=points if upheld else None,
    )
    submitted_at = closed_at + dt.timedelta(days=2, hours=3)
    resolved_at = submitted_at + dt.timedelta(days=2, hours=2)
    Appeal.objects.filter(pk=filed.pk).update(submitted_at=submitted_at, resolved_at=resolved_at)
    Adjustment.objects.filter(result=appellant).update(made_at=resolved_at)
    _acknowledge(ev, results, closed_at, skip=[appellant.person, *aside])
    services.period_publish(period=period, actor=ev.hr)
    Period.objects.filter(pk=period.pk).update(
        closed_at=closed_at, published_at=closed_at + dt.timedelta(days=12, hours=5)
    )


def _reopen_last_quarter(ev: _Evaluation, period: Period, wangfang) -> Appeal:
    """Last quarter, published, reopened two days ago as a new version to take in the
    work of the summer's power-supply duty: a manager's adjustment, a few people have
    acknowledged again, and one appeal waits for the manager."""
    rng = ev.rng
    services.period_new_version(
        period=period,
        actor=ev.hr,
        reason="经营分析会决定：迎峰度夏保电任务占用的工作量纳入三季度考核，开放经理调整。",
    )
    reopened_at = timezone.now() - dt.timedelta(days=2, hours=3)
    Period.objects.filter(pk=period.pk).update(closed_at=reopened_at)
    period.refresh_from_db()
    results = _results(ev, period)
    appellant = next((r for r in results if r.person == wangfang), results[0])
    colleagues = [
        r
        for r in results
        if r.department_id == appellant.department_id and r.person != appellant.person
    ]
    adjusted = rng.choice(colleagues or results)
    services.result_adjust(
        result=adjusted,
        actor=ev.manager_of(adjusted.person),
        points=Decimal("4"),
        reason="九月配合公司完成迎峰度夏保电任务两周，客户跟进量因此减少，酌情加分。",
    )
    Adjustment.objects.filter(result=adjusted).update(made_at=reopened_at + dt.timedelta(hours=20))
    for result in results:
        if result.person != appellant.person and rng.random() < 0.3:
            services.result_acknowledge(result=result, person=result.person)
            Result.objects.filter(pk=result.pk).update(
                acknowledged_at=reopened_at + dt.timedelta(hours=rng.randint(22, 44))
            )
    appeal = services.appeal_submit(
        result=appellant,
        person=appellant.person,
        reason=(
            "三季度有两个节点延期是客户预算审批推迟造成的，已提交延期说明并经经理认可，"
            "但节点按时率仍按延期计算，请复核该项得分。"
        ),
    )
    Appeal.objects.filter(pk=appeal.pk).update(submitted_at=timezone.now() - dt.timedelta(hours=20))
    return appeal


def _file_away_notifications(open_appeal_id: int) -> None:
    """Messages about closings, publications and resolved appeals were read at the time;
    the open appeal waits in its manager's and HR's inboxes."""
    waiting = reverse("scoring:appeal-resolve", args=[open_appeal_id])
    Notification.objects.filter(kind=NOTIFICATION_KIND, read_at__isnull=True).exclude(
        url=waiting
    ).update(read_at=timezone.now())


def load(ctx) -> None:
    ev = _Evaluation(ctx)
    periods = [
        services.period_create(actor=ev.hr, kind=PeriodKind.QUARTER, starts_on=start)
        for start in ev.quarters
    ]
    _customer_ratings(ev)
    _quality_ratings(ev)
    _training(ev)
    _commendations(ev, periods)

    # Closing freezes every record dated inside a period: the periods come last.
    wangfang = next((p for p in ev.salespeople if p.username == "wangfang"), ev.salespeople[0])
    _past_quarter(
        ev,
        periods[0],
        (
            "本季度抽调参加两次投标技术支持，客户跟进数量因此偏少，请予以考虑。",
            "情况属实，投标支持工作经公司安排，酌情加分。",
            True,
            Decimal("3"),
        ),
    )
    _past_quarter(
        ev,
        periods[1],
        (
            "客户满意度评分样本只有两份，不能反映本季度的实际服务情况，希望不计入考核。",
            "评分样本符合考核办法的规定，维持原结果；下季度将增加回访样本。",
            False,
            None,
        ),
        aside=[wangfang],
    )
    appeal = _reopen_last_quarter(ev, periods[1], wangfang)
    # The dashboard ranks stored live scores: store them now, as the periodic job would,
    # so that the first visit shows the ranking rather than "being computed".
    services.live_scores_refresh_current()

    # Registered last, so it runs after the messages of the history above are sent.
    transaction.on_commit(lambda: _file_away_notifications(appeal.pk))
    ctx.shared.update(periods=periods, open_appeal=appeal)
