"""One project's rows, as the services would have written them over its life.

For each project: the project itself (won ones with their amount and dates, lost and
paused ones with their reason), its hand-overs, its follow-ups (credited to whoever owned
the project that day) with contacts, participants, customer needs and next actions, its
documents and versions (proposal revisions with the customer's feedback), its process
(every node of its template, with submissions, reviews, skips, delay reasons, scores), the
contract terms and milestones of a negotiation, the hand-off tasks the automation rules
created (and the team's response clocks), and the technical team's quality ratings.

Rows are added parent first (the project before its follow-ups, versions before the
submissions that attach them), so a batch written at any moment never refers to a row
that is not written yet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext, override

from pathscore.crm.choices import DocumentKind, MilestoneKind, ProjectStatus, TermState
from pathscore.crm.models import (
    ContractMilestone,
    ContractTerm,
    CustomerNeed,
    Document,
    DocumentVersion,
    FollowUp,
    Project,
    ProjectHandover,
)
from pathscore.demo.scale import vocabulary as words
from pathscore.demo.scale.bulk import as_json, day, moment
from pathscore.demo.scale.paths import plan
from pathscore.process import rules
from pathscore.process.choices import (
    WAIVABLE,
    DelayDecision,
    NodeState,
    ReviewerRole,
    SubmissionState,
    TaskState,
)
from pathscore.process.models import (
    DelayReason,
    HandoffTask,
    NodeInstance,
    ProjectProcess,
    Submission,
)
from pathscore.scoring.models import QualityRating

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
#: When a planned next action counts as done: the end of its working day.
EVENING = dt.timedelta(hours=17, minutes=30)
MODE_WEIGHTS = (
    ("visit", 5),
    ("phone", 6),
    ("online", 3),
    ("survey", 2),
    ("tech-exchange", 2),
    ("demo", 2),
    ("dinner", 1),
)
JOINT_MODES = ("survey", "tech-exchange", "demo")
AMOUNTS = (35, 68, 120, 180, 260, 450, 800, 1200, 2000)
DOCUMENT_TITLES = {
    DocumentKind.REQUIREMENT_REPORT: "需求分析报告",
    DocumentKind.PROPOSAL: "技术方案",
    DocumentKind.TECHNICAL_PROPOSAL: "光伏储能技术方案",
    DocumentKind.CONTRACT_DRAFT: "合同草案",
}
RATED_KINDS = (
    DocumentKind.REQUIREMENT_REPORT,
    DocumentKind.PROPOSAL,
    DocumentKind.TECHNICAL_PROPOSAL,
)
REVISIONS = ((0, 25), (1, 35), (2, 25), (3, 15))
#: Values of the bundled nodes' fields, by field name.
NUMBERS = {
    "usable_area": lambda rng: rng.randint(20, 150) * 100,
    "capacity_kwp": lambda rng: rng.randint(4, 60) * 100,
    "self_use_ratio": lambda rng: rng.randint(55, 95),
    "storage_kwh": lambda rng: rng.randint(2, 40) * 250,
}
TEXTS = {
    "power_load": lambda rng: (
        f"最大负荷约{rng.randint(2, 40)}MW，年用电量约{rng.randint(800, 9000)}万千瓦时"
    ),
    "existing_equipment": lambda rng: (
        f"{rng.randint(2, 6)}台主变，10kV开关柜运行{rng.randint(8, 20)}年"
    ),
    "demand_forecast": lambda rng: f"未来3年负荷年均增长约{rng.randint(4, 15)}%，新增产线两条",
    "attendees": lambda rng: "客户总工程师、设备部主任、采购部经理等5人",
    "feedback_summary": lambda rng: rng.choice(
        ("客户认为造价偏高，要求优化设备选型", "客户要求补充运维响应承诺", "工期需提前两周")
    ),
    "grid_access": lambda rng: "厂区10kV配电房2号进线柜",
}


def _pool(rng, mode: str, size: int) -> list[str]:
    """Follow-up texts for ``mode`` with the contact, category and site left open."""
    texts = []
    for _ in range(size):
        template = rng.choice(words.FOLLOWUP_TEMPLATES[mode])
        texts.append(
            template.format(
                contact="{contact}",
                category="{category}",
                site="{site}",
                topic=rng.choice(words.TOPICS),
                season=rng.choice(["今年下半年", "明年一季度", "十四五后期"]),
                equipment=rng.choice(words.EQUIPMENT),
                years=rng.randint(8, 20),
                concern=rng.choice(words.CONCERNS),
                load=f"{rng.randint(2, 40)}MW",
                area=rng.randint(3, 60) * 100,
                version=rng.randint(1, 3),
            )
        )
    return texts


class _Doc:
    __slots__ = ("id", "kind", "title", "created_by", "versions")

    def __init__(self, doc_id, kind, title, created_by):
        self.id, self.kind, self.title, self.created_by = doc_id, kind, title, created_by
        self.versions: list[_Version] = []


class _Version:
    __slots__ = (
        "id",
        "number",
        "uploaded_on",
        "uploaded_at",
        "uploader",
        "note",
        "feedback",
        "feedback_on",
        "feedback_by",
        "name",
    )

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))


class ProjectWriter:
    """Writes projects one at a time; holds the sinks and what every project shares."""

    def __init__(self, world, writer, rules_by_event: dict, document_file: dict):
        self.world = world
        self.rules = rules_by_event
        self.file = document_file
        self.engineers = world.people["engineers"]
        self.tech_id = world.tech_department_id
        text_rng = world.rng("texts")
        self.pools = {code: _pool(text_rng, code, 300) for code, _w in MODE_WEIGHTS}
        self.mode_pool = [
            (world.modes[code].pk, code)
            for code, weight in MODE_WEIGHTS
            if code in world.modes
            for _ in range(weight)
        ]
        self.category_names = {code: option.name for code, option in world.categories.items()}
        self.kind_names = {code: option.name for code, option in world.task_kinds.items()}
        self.kind_ids = {code: option.pk for code, option in world.task_kinds.items()}
        self.long_categories = [
            c for c in world.delay_categories if c.code in words.LONG_DELAY_CATEGORIES
        ] or world.delay_categories
        with override("zh-hans"):
            self.by_rule = gettext("Created by the rule “%(rule)s”.")
            self.feedback_on = gettext("Customer feedback on %(version)s: %(feedback)s")
            self.needs_text = gettext("Customer needs: %(needs)s")
        self.days_after = [dt.timedelta(days=n) for n in range(world.scale.history_days + 400)]
        #: Follow-ups happen between 08:00 and 18:45, on the quarter hour.
        self.times_of_day = [
            dt.timedelta(hours=hour, minutes=minute)
            for hour in range(8, 19)
            for minute in (0, 15, 30, 45)
        ]
        self._scores: dict[tuple, tuple[str, dict]] = {}
        self._checklists: dict[int, str] = {}
        self.projects_by_person: dict[int, list] = {}
        self.counts = {"nodes": 0, "tasks": 0, "versions": 0}
        self._sinks(writer)

    def _sinks(self, writer) -> None:
        self.projects = writer.sink(
            Project,
            [
                "id",
                "created_at",
                "updated_at",
                "revision",
                "name",
                "customer_id",
                "owner_id",
                "category_id",
                "estimated_amount",
                "expected_sign_date",
                "started_on",
                "status",
                "status_reason",
                "signed_amount",
                "signed_on",
                "closed_on",
                "description",
                "signed_by_id",
            ],
        )
        self.handovers = writer.sink(
            ProjectHandover,
            [
                "project_id",
                "from_owner_id",
                "to_owner_id",
                "handed_over_by_id",
                "handed_over_at",
                "reason",
            ],
            ids=False,
        )
        self.followups = writer.sink(
            FollowUp,
            [
                "id",
                "created_at",
                "updated_at",
                "revision",
                "customer_id",
                "project_id",
                "author_id",
                "occurred_at",
                "mode_id",
                "content",
                "next_action",
                "next_action_date",
                "next_action_done_at",
            ],
        )
        self.participants = writer.sink(
            FollowUp.participants.through, ["followup_id", "user_id"], ids=False
        )
        self.followup_contacts = writer.sink(
            FollowUp.contacts.through, ["followup_id", "contact_id"], ids=False
        )
        self.needs = writer.sink(
            CustomerNeed,
            ["created_at", "updated_at", "followup_id", "text", "handled_at", "handled_by_id"],
            ids=False,
        )
        self.documents = writer.sink(
            Document,
            ["id", "created_at", "updated_at", "project_id", "kind", "title", "created_by_id"]
            + ["version_count"],
        )
        self.versions = writer.sink(
            DocumentVersion,
            [
                "id",
                "document_id",
                "number",
                "file",
                "original_name",
                "content_type",
                "size",
                "sha256",
                "change_note",
                "uploaded_by_id",
                "uploaded_at",
                "customer_feedback",
                "feedback_on",
                "feedback_recorded_by_id",
            ],
        )
        self.nodes = writer.sink(
            NodeInstance,
            [
                "id",
                "created_at",
                "updated_at",
                "project_id",
                "definition_id",
                "order",
                "state",
                "started_on",
                "planned_due",
                "submitted_at",
                "submitted_by_id",
                "completed_on",
                "days_late",
                "quality_score",
                "score",
                "score_explanation",
                "skip_reason",
                "revision",
                "credited_to_id",
            ],
        )
        self.processes = writer.sink(
            ProjectProcess,
            [
                "created_at",
                "updated_at",
                "project_id",
                "version_id",
                "current_node_id",
                "current_since",
                "completed_on",
            ],
            ids=False,
        )
        self.submissions = writer.sink(
            Submission,
            [
                "id",
                "node_id",
                "project_id",
                "number",
                "submitted_by_id",
                "submitted_at",
                "data",
                "checklist",
                "state",
                "reviewed_by_id",
                "reviewed_at",
                "quality_score",
                "comment",
            ],
        )
        self.attachments = writer.sink(
            Submission.documents.through, ["submission_id", "documentversion_id"], ids=False
        )
        self.delays = writer.sink(
            DelayReason,
            [
                "created_at",
                "updated_at",
                "node_id",
                "project_id",
                "category_id",
                "text",
                "given_by_id",
                "decision",
                "waived_share",
                "decided_by_id",
                "decided_at",
                "decision_note",
            ],
            ids=False,
        )
        self.terms = writer.sink(
            ContractTerm,
            [
                "created_at",
                "updated_at",
                "revision",
                "project_id",
                "topic",
                "description",
                "state",
                "updated_by_id",
            ],
            ids=False,
        )
        self.milestones = writer.sink(
            ContractMilestone,
            ["created_at", "updated_at", "project_id", "kind", "reached_on", "recorded_by_id"],
            ids=False,
        )
        self.tasks = writer.sink(
            HandoffTask,
            [
                "created_at",
                "updated_at",
                "project_id",
                "kind_id",
                "title",
                "description",
                "assignee_department_id",
                "assignee_id",
                "created_by_id",
                "rule_id",
                "source_event",
                "source_ref",
                "feedback_at",
                "due_date",
                "state",
                "acknowledged_at",
                "acknowledged_by_id",
                "done_at",
                "done_by_id",
                "result",
            ],
            ids=False,
        )
        self.quality = writer.sink(
            QualityRating,
            ["created_at", "updated_at", "person_id", "version_id", "score", "comment"]
            + ["rated_by_id", "rated_on"],
            ids=False,
        )

    # --- planning ------------------------------------------------------------------------

    def plan(self, spec):
        world = self.world
        return plan(
            spec.template.nodes,
            start=spec.start,
            last_day=world.last_day,
            punctuality=spec.owner.punctuality,
            rng=world.rng("path", spec.id),
        )

    def _owners(self, spec, path, rng) -> list[tuple[dt.date, object, object]]:
        """``(from_day, owner, handed_over_by)``: the first owner, then each hand-over."""
        world = self.world
        owners = [(spec.start, spec.owner, None)]
        closed = path.status in (ProjectStatus.WON, ProjectStatus.LOST)

        def still_open(on: dt.date) -> bool:
            return not closed or on < path.status_day

        first = spec.owner
        if first.left_on and spec.start < first.left_on and still_open(first.left_on):
            owners.append((first.left_on, world.successors[first.id], first.team.manager))
        elif first.left_on is None and rng.random() < 0.015:
            end = path.end_day(world.last_day)
            life = (end - spec.start).days
            if life > 20:
                on = spec.start + dt.timedelta(days=rng.randint(10, life - 5))
                mates = [
                    m
                    for m in first.team.members
                    if m is not first and m.left_on is None and m.present_on(on)
                ]
                if mates and still_open(on):
                    owners.append((on, rng.choice(mates), first.team.manager))
        return owners

    # --- writing ---------------------------------------------------------------------------

    def write(self, spec, n_followups: int) -> None:
        world = self.world
        path = self.plan(spec)
        rng = world.rng("detail", spec.id)
        owners = self._owners(spec, path, rng)

        def owner_at(on: dt.date):
            current = owners[0][1]
            for since, owner, _by in owners:
                if on >= since:
                    current = owner
            return current

        customer = spec.customer
        category_name = self.category_names[spec.category]
        name = rng.choice(words.PROJECT_PATTERNS[spec.category]).format(short=customer.short)
        created = world.at(spec.start, rng.randint(9, 16), rng.choice((0, 15, 30, 45)))
        end = path.end_day(world.last_day)
        changes = [created]
        for since, _owner, _by in owners[1:]:
            changes.append(world.at(since, 10))
        status_reason, signed_amount, signed_on, closed_on = "", None, None, None
        amount = Decimal(rng.choice(AMOUNTS) * 10000)
        if path.status == ProjectStatus.WON:
            signed_on = closed_on = path.signed_on
            signed_amount = (amount * Decimal(str(round(rng.uniform(0.85, 1.0), 3)))).quantize(
                Decimal("100")
            )
            changes.append(world.at(path.signed_on, 17))
        elif path.status == ProjectStatus.LOST:
            closed_on = path.status_day
            status_reason = rng.choice(words.LOST_REASONS)
            changes.append(world.at(path.status_day, 17))
        elif path.status == ProjectStatus.PAUSED:
            status_reason = rng.choice(words.PAUSED_REASONS)
            changes.append(world.at(path.status_day, 17))
        self.projects.add(
            (
                spec.id,
                moment(created),
                moment(max(changes)),
                1 + (path.status != ProjectStatus.ACTIVE) + len(owners) - 1,
                name,
                customer.id,
                owners[-1][1].id,
                world.categories[spec.category].pk,
                f"{amount:.2f}",
                day(spec.start + dt.timedelta(days=rng.randint(90, 330))),
                day(spec.start),
                path.status,
                status_reason,
                None if signed_amount is None else f"{signed_amount:.2f}",
                day(signed_on),
                day(closed_on),
                f"客户{customer.name}的{category_name}需求。",
                # The signer (crm.signer): the "signed" milestone is recorded by the
                # owner of that day, and hand-overs only happen before it, so the owner now.
                owners[-1][1].id,
            )
        )
        for since, owner, by in owners[1:]:
            previous = owner_at(since - DAY)
            reason = (
                words.DEPARTURE_REASON
                if previous.left_on == since
                else rng.choice(words.HANDOVER_REASONS)
            )
            self.handovers.add(
                (spec.id, previous.id, owner.id, by.id, moment(world.at(since, 10)), reason)
            )
        self.projects_by_person.setdefault(spec.owner.id, []).append(
            (spec.id, customer.id, spec.start)
        )
        context = _Context(spec, path, owner_at, name, end, rng)
        context.created = created
        context.single_owner = owners[0][1] if len(owners) == 1 else None
        context.owner_now = owners[-1][1]
        self._followups(context, n_followups)
        self._process(context)

    # --- follow-ups --------------------------------------------------------------------------

    def _followups(self, c, count: int) -> None:
        # The hot loop of the generator (2,000,000 rows at scale L): plain arithmetic on
        # the random stream instead of its convenience methods, bound methods held in
        # locals, dates from precomputed offsets.
        world, rng, spec = self.world, c.rng, c.spec
        rand = rng.random
        customer = spec.customer
        span = max((c.end - spec.start).days, 0)
        offsets = sorted(int(rand() * (span + 1)) for _ in range(count))
        if offsets:
            offsets[0] = 0
        active = c.path.status == ProjectStatus.ACTIVE
        category_name = self.category_names[spec.category]
        site = customer.name
        contacts = customer.contacts
        n_contacts = len(contacts)
        need_rule = self.rules.get("customer_need")
        need_since = need_rule["introduced"] if need_rule else None
        cutoff_for_handling = world.as_of - dt.timedelta(days=14)
        latest = world.now - dt.timedelta(minutes=5)
        as_of, last_day = world.as_of, world.last_day
        midnight, days_after, times = world.midnight, self.days_after, self.times_of_day
        n_times = len(times)
        mode_pool, n_modes, pools = self.mode_pool, len(self.mode_pool), self.pools
        next_actions, n_actions = words.NEXT_ACTIONS, len(words.NEXT_ACTIONS)
        engineers, n_engineers = self.engineers, len(self.engineers)
        add_followup, new_id = self.followups.add, self.followups.new_id
        add_contact, add_participant = self.followup_contacts.add, self.participants.add
        single_owner = c.single_owner
        visit = (world.modes["visit"].pk, "visit") if "visit" in world.modes else mode_pool[0]
        for position, offset in enumerate(offsets):
            on = spec.start + days_after[offset]
            author = single_owner or c.owner_at(on)
            followup_id = new_id()
            mode_id, mode = visit if position == 0 else mode_pool[int(rand() * n_modes)]
            occurred = midnight(on) + times[int(rand() * n_times)]
            recorded = occurred + HOUR * (author.lag * (0.3 + 1.2 * rand()))
            if recorded > latest:
                recorded = latest
            if rand() < 0.7 and n_contacts:
                contact_id, contact_label = contacts[int(rand() * n_contacts)]
                add_contact((followup_id, contact_id))
            else:
                contact_label = "客户相关负责人"
            pool = pools[mode]
            content = pool[int(rand() * len(pool))].format(
                contact=contact_label, category=category_name, site=site
            )
            next_action, next_date, done_at = "", None, None
            if position == count - 1 and active:
                next_action = next_actions[int(rand() * n_actions)]
                next_date = max(on, as_of + days_after[int(rand() * 19)] - days_after[6])
            elif rand() < 0.35:
                next_action = next_actions[int(rand() * n_actions)]
                next_date = on + days_after[2 + int(rand() * 9)]
                if next_date < as_of and rand() < 0.8:
                    done_at = midnight(next_date) + EVENING
            recorded_text = recorded.isoformat(" ")
            add_followup(
                (
                    followup_id,
                    recorded_text,
                    done_at.isoformat(" ") if done_at else recorded_text,
                    2 if done_at else 1,
                    customer.id,
                    spec.id,
                    author.id,
                    occurred.isoformat(" "),
                    mode_id,
                    content,
                    next_action,
                    next_date.isoformat() if next_date else None,
                    done_at.isoformat(" ") if done_at else None,
                )
            )
            if mode in JOINT_MODES and n_engineers:
                add_participant((followup_id, engineers[int(rand() * n_engineers)].id))
            if mode != "dinner" and rand() < 0.08:
                texts = rng.sample(words.NEEDS, k=rng.choice((1, 1, 2)))
                for text in texts:
                    handled_at, handled_by = None, None
                    if on < cutoff_for_handling and rand() < 0.7:
                        handled_on = min(on + dt.timedelta(days=rng.randint(2, 12)), last_day)
                        handled_at = world.at(handled_on, 16, 10)
                        handled_by = c.owner_at(handled_on).id
                    self.needs.add(
                        (
                            recorded_text,
                            moment(handled_at) or recorded_text,
                            followup_id,
                            text,
                            moment(handled_at),
                            handled_by,
                        )
                    )
                if need_since is not None and on >= need_since:
                    self._task(
                        c,
                        kind="tech-question",
                        title=f"{self.kind_names['tech-question']}：{c.name}",
                        created=recorded + dt.timedelta(minutes=1),
                        due_days=need_rule["due_days"],
                        rule=need_rule,
                        source_ref=f"followup:{followup_id}",
                        feedback_at=occurred,
                        created_by=author,
                        detail=self.needs_text % {"needs": "；".join(texts)},
                        speed=rng.choice((0.5, 0.8, 1.0, 1.5)),
                    )
        if rng.random() < 0.03 and span > 3:
            # A task handed off by hand: a quotation or a survey the customer asked for.
            kind = rng.choice(("quotation", "site-survey"))
            on = spec.start + dt.timedelta(days=rng.randint(1, span))
            if kind in self.kind_ids:
                self._task(
                    c,
                    kind=kind,
                    title=f"{self.kind_names[kind]}：{c.name}",
                    created=world.at(on, rng.randint(9, 17)),
                    due_days=rng.randint(2, 6),
                    created_by=c.owner_at(on),
                    detail="请协助完成，客户下周需要答复。",
                    speed=rng.choice((1.0, 3.0)),
                )

    # --- hand-off tasks -------------------------------------------------------------------------

    def _task(
        self,
        c,
        *,
        kind,
        title,
        created,
        due_days,
        rule=None,
        source_ref="",
        feedback_at=None,
        created_by=None,
        detail="",
        speed=1.0,
    ) -> None:
        world, rng = self.world, c.rng
        if created >= world.now:
            return
        engineer = rng.choice(self.engineers)
        acknowledged = world.working(
            created + HOUR * rng.choice((0.3, 0.5, 1, 1.5, 2, 3, 4, 6, 20, 26)) * speed
        )
        done = world.working(acknowledged + HOUR * rng.uniform(4, 24 * (due_days + 1)) * speed)
        state, assignee, ack_at, done_at, result = TaskState.OPEN, None, None, None, ""
        if acknowledged < world.now:
            state, assignee, ack_at = TaskState.ACKNOWLEDGED, engineer, acknowledged
            if done < world.now:
                state, done_at = TaskState.DONE, done
                result = rng.choice(words.TASK_RESULTS.get(kind, ["已完成"]))
        description = "\n".join(
            part for part in (detail, self.by_rule % {"rule": rule["name"]} if rule else "") if part
        )
        self.tasks.add(
            (
                moment(created),
                moment(done_at or ack_at or created),
                c.spec.id,
                self.kind_ids[kind],
                title[:150],
                description,
                self.tech_id,
                assignee.id if assignee else None,
                created_by.id if created_by else None,
                rule["id"] if rule else None,
                rule["event"] if rule else "",
                source_ref,
                moment(feedback_at),
                day(world.local_day(created) + dt.timedelta(days=due_days)),
                state,
                moment(ack_at),
                assignee.id if assignee else None,
                moment(done_at),
                assignee.id if done_at else None,
                result,
            )
        )
        self.counts["tasks"] += 1
        if c.first_task_on is None:
            c.first_task_on = world.local_day(created)

    # --- documents ------------------------------------------------------------------------------

    def _version(self, c, kind: str, on: dt.date, uploader, note: str) -> _Version:
        world, rng = self.world, c.rng
        doc = c.documents.get(kind)
        if doc is None:
            title = DOCUMENT_TITLES.get(kind, "资料")
            if kind == DocumentKind.PROPOSAL:
                title = f"{c.name}技术方案"[:150]
            doc = _Doc(self.documents.new_id(), kind, title, uploader)
            c.documents[kind] = doc
        number = len(doc.versions) + 1
        version = _Version(
            id=self.versions.new_id(),
            number=number,
            uploaded_on=on,
            uploaded_at=world.at(on, rng.randint(9, 17), rng.choice((5, 25, 45))),
            uploader=uploader,
            note=note,
            feedback="",
            name=f"{DOCUMENT_TITLES.get(kind, '资料')}V{number}.pdf",
        )
        doc.versions.append(version)
        return version

    def _latest(self, c, kind: str, before: dt.date, uploader, start: dt.date) -> _Version:
        doc = c.documents.get(kind)
        if doc is not None and doc.versions:
            return doc.versions[-1]
        on = max(before - dt.timedelta(days=c.rng.randint(1, 3)), start)
        return self._version(c, kind, on, uploader, "初版")

    def _revisions(self, c, step, proposal_kind: str) -> None:
        """Customer feedback on the proposal while the feedback node is worked on; each
        feedback hands a revision to the technical team, and a new version follows."""
        world, rng = self.world, c.rng
        doc = c.documents.get(proposal_kind)
        rule = self.rules.get("document_feedback")
        if doc is None or not doc.versions:
            return
        window_end = step.first_submitted - DAY if step.first_submitted else c.end
        count = rng.choices([n for n, _w in REVISIONS], [w for _n, w in REVISIONS])[0]
        on = max(step.started, doc.versions[-1].uploaded_on) + dt.timedelta(days=rng.randint(1, 3))
        for _ in range(count):
            if on > window_end:
                break
            version = doc.versions[-1]
            recorder = c.owner_at(on)
            concern = rng.choice(words.FEEDBACK)
            version.feedback = f"客户反馈：{concern}"
            version.feedback_on = on
            version.feedback_by = recorder
            given = world.at(on, 9)
            recorded = world.before_now(
                world.working(given + HOUR * recorder.lag * rng.uniform(0.5, 1.5))
            )
            if rule is not None:
                self._task(
                    c,
                    kind="proposal-revision",
                    title=f"{self.kind_names['proposal-revision']}：{doc.title} V{version.number}",
                    created=recorded,
                    due_days=rule["due_days"],
                    rule=rule,
                    source_ref=f"version:{version.id}",
                    feedback_at=given,
                    created_by=recorder,
                    detail=self.feedback_on
                    % {"version": f"V{version.number}", "feedback": version.feedback},
                    speed=0.8,
                )
            uploaded = on + dt.timedelta(days=rng.randint(3, 7))
            if uploaded > window_end:
                break
            self._version(
                c, proposal_kind, uploaded, c.owner_at(uploaded), f"根据客户反馈调整：{concern}"
            )
            on = uploaded + dt.timedelta(days=rng.randint(3, 8))

    # --- the process ------------------------------------------------------------------------------

    def _field_value(self, field: dict, rng, submitted: dt.date, amount_hint, labels) -> str:
        """A value for a node's field, as the owner would have typed it."""
        name, kind = field["name"], field.get("type", "text")
        if kind == "date":
            return submitted.isoformat()
        if kind == "choice":
            choices = field.get("choices") or [""]
            return choices[0] if name == "customer_confirmed" else rng.choice(choices)
        if kind == "number":
            make = NUMBERS.get(name)
            return (
                amount_hint
                if name == "contract_amount"
                else str(make(rng) if make else rng.randint(1, 100))
            )
        if name == "key_contact":
            return rng.choice(labels) if labels else "客户负责人"
        make = TEXTS.get(name)
        return make(rng) if make else "已完成"

    def _checklist(self, node) -> str:
        cached = self._checklists.get(node.id)
        if cached is None:
            cached = self._checklists[node.id] = as_json(list(node.checklist))
        return cached

    def _reviewer(self, c, step, owner):
        if step.spec.reviewer_role == ReviewerRole.TECHNICAL_SUPPORT:
            return c.rng.choice(self.engineers)
        return owner.team.manager

    def _process(self, c) -> None:
        world, rng, spec, path = self.world, c.rng, c.spec, c.path
        steps = path.steps
        node_ids = [self.nodes.new_id() for _ in steps]
        process_created = c.created + dt.timedelta(seconds=1)
        amount_hint = str(rng.randint(30, 2000))
        labels = [label for _id, label in spec.customer.contacts]
        node_rows, submission_rows, link_rows, delay_rows = [], [], [], []
        proposal_kinds = {}
        for index, step in enumerate(steps):
            node = step.spec
            node_id = node_ids[index]
            touched = [process_created]
            if index and step.started:
                touched.append(world.at(step.started, 18))
            # Documents the node requires, uploaded before its first submission.
            versions_for = {}
            if node.code == "feedback-handling" and step.started and proposal_kinds:
                self._revisions(c, step, DocumentKind.PROPOSAL)
            if step.attempts:
                first_owner = c.owner_at(step.first_submitted)
                for kind in node.document_kinds:
                    versions_for[kind] = self._latest(
                        c, kind, step.first_submitted, first_owner, step.started
                    )
                    if kind == DocumentKind.PROPOSAL:
                        proposal_kinds[kind] = True
            submitted_at = submitted_by = None
            approved_at = None
            reviewer_ids = []
            for number, (submitted_on, reviewed_on, outcome) in enumerate(step.attempts, 1):
                owner = c.owner_at(submitted_on)
                if number > 1 and node.document_kinds and rng.random() < 0.6:
                    # The returned deliverable comes back as a new version.
                    for kind in node.document_kinds:
                        versions_for[kind] = self._version(
                            c,
                            kind,
                            max(submitted_on - DAY, step.attempts[number - 2][1]),
                            owner,
                            "根据评审意见补充修改",
                        )
                submission_id = self.submissions.new_id()
                at = world.at(submitted_on, rng.randint(9, 17), rng.choice((0, 10, 20, 30, 40, 50)))
                submitted_at, submitted_by = at, owner
                touched.append(at)
                reviewer = reviewed_at = None
                quality = comment = None
                state = SubmissionState.PENDING
                if outcome is not None:
                    reviewer = self._reviewer(c, step, owner)
                    reviewed_at = world.at(reviewed_on, rng.randint(10, 18), rng.choice((5, 35)))
                    touched.append(reviewed_at)
                    reviewer_ids.append(reviewer.id)
                    if outcome == "returned":
                        state = SubmissionState.RETURNED
                        comment = rng.choice(words.RETURN_COMMENTS)
                    else:
                        state = SubmissionState.APPROVED
                        quality = f"{step.quality}.00"
                        comment = rng.choice(words.APPROVE_COMMENTS)
                        approved_at = reviewed_at
                data = {
                    field["name"]: self._field_value(field, rng, submitted_on, amount_hint, labels)
                    for field in node.fields
                }
                submission_rows.append(
                    (
                        submission_id,
                        node_id,
                        spec.id,
                        number,
                        owner.id,
                        moment(at),
                        as_json(data),
                        self._checklist(node),
                        state,
                        reviewer.id if reviewer else None,
                        moment(reviewed_at),
                        quality,
                        comment or "",
                    )
                )
                for version in versions_for.values():
                    link_rows.append((submission_id, version.id))
            # Delay reasons: an overdue node's owner explains; the manager decides.
            waived = Decimal("0")
            overdue_now = (
                step.state in (NodeState.IN_PROGRESS, NodeState.RETURNED)
                and step.due is not None
                and step.due < world.last_day
                and path.status == ProjectStatus.ACTIVE
            )
            late_done = step.attempts and step.due and step.last_submitted > step.due
            if (late_done and rng.random() < 0.7) or (overdue_now and rng.random() < 0.5):
                limit = step.last_submitted if late_done else world.last_day
                given = min(step.due + dt.timedelta(days=rng.randint(1, 3)), limit)
                waived, delay_row = self._delay(c, step, node_id, given, late=bool(late_done))
                delay_rows.append(delay_row)
                touched.append(world.at(given, 11))
            score = explanation = None
            if step.state == NodeState.APPROVED:
                score, result = self._score(node, step.quality, step.days_late, waived)
                explanation = {
                    "rule": "process.node_score/1",
                    "inputs": {
                        "base": str(node.base_score),
                        "quality_score": f"{step.quality}.00",
                        "planned_due": step.due.isoformat() if step.due else None,
                        "submitted_on": step.last_submitted.isoformat(),
                        "days_late": step.days_late,
                        "deduction_rule": node.deduction,
                    },
                    "result": result,
                }
                if node.code == "requirement-report":
                    rule = self.rules.get("node_approved")
                    if rule is not None and step.done_on >= rule["introduced"]:
                        self._task(
                            c,
                            kind="proposal-design",
                            title=f"{self.kind_names['proposal-design']}：{c.name}",
                            created=approved_at + dt.timedelta(minutes=1),
                            due_days=rule["due_days"],
                            rule=rule,
                            source_ref=f"node:{node_id}:{step.revision}",
                            speed=rng.choice((0.6, 1.0, 1.4)),
                        )
            skip_reason = ""
            if step.state == NodeState.SKIPPED:
                skip_reason = words.SKIP_REASON
                touched.append(world.at(step.done_on, 11))
            if node.code == "contract-negotiation" and step.started:
                self._negotiation(c, step)
            node_rows.append(
                (
                    node_id,
                    moment(process_created),
                    moment(max(touched)),
                    spec.id,
                    node.id,
                    node.order,
                    step.state,
                    day(step.started),
                    day(step.due),
                    moment(submitted_at),
                    submitted_by.id if submitted_by else None,
                    day(step.done_on),
                    step.days_late,
                    f"{step.quality}.00" if step.state == NodeState.APPROVED else None,
                    score,
                    as_json(explanation) if explanation else as_json({}),
                    skip_reason,
                    step.revision,
                    # Whom the node counts for: its submitter, else the owner now.
                    submitted_by.id if submitted_by else c.owner_now.id,
                )
            )
        # Parents first: documents and versions, nodes, the process, then what hangs on them.
        self._write_documents(c)
        for row in node_rows:
            self.nodes.add(row)
        self.counts["nodes"] += len(node_rows)
        current = path.current
        current_step = steps[current] if current is not None else None
        last_change = max(
            [process_created] + [world.at(s.done_on, 18) for s in steps if s.done_on is not None]
        )
        self.processes.add(
            (
                moment(process_created),
                moment(last_change),
                spec.id,
                spec.template.version_id,
                node_ids[current] if current is not None else None,
                day(current_step.started) if current_step else None,
                day(path.completed_on),
            )
        )
        for row in submission_rows:
            self.submissions.add(row)
        for row in link_rows:
            self.attachments.add(row)
        for row in delay_rows:
            self.delays.add(row)
        self._rate_versions(c)

    def _score(self, node, quality: int, days_late: int, waived: Decimal) -> tuple[str, dict]:
        """The node score and its explanation's result, as ``process.services.rescore``
        computes them (the same few inputs recur, so each is computed once)."""
        key = (node.id, quality, days_late, waived)
        cached = self._scores.get(key)
        if cached is None:
            result = rules.node_score(
                base=node.base_score,
                quality_score=Decimal(f"{quality}.00"),
                rule=node.delay_rule,
                days_late=days_late,
                waived_share=waived,
            )
            cached = (f"{result.points:.2f}", result.as_dict())
            self._scores[key] = cached
        return cached

    def _delay(self, c, step, node_id, given: dt.date, *, late: bool):
        world, rng = self.world, c.rng
        days_late = step.days_late if late else (world.as_of - step.due).days
        categories = self.long_categories if days_late > 20 else self.world.delay_categories
        category = rng.choice(categories)
        owner = c.owner_at(given)
        manager = owner.team.manager
        created = world.at(given, rng.randint(9, 17), rng.choice((0, 20, 40)))
        pending = (world.as_of - given).days < (10 if late else 12) and rng.random() < 0.5
        decision, share, decided_by, decided_at, note = DelayDecision.PENDING, "0", None, None, ""
        waived = Decimal("0")
        if not pending:
            waivable = category.attribution in WAIVABLE
            accept = (waivable and rng.random() < 0.8) or (not waivable and rng.random() < 0.3)
            share_value = (
                Decimal(rng.choice(("1.00", "1.00", "0.50"))) if accept and waivable else None
            )
            decision = DelayDecision.ACCEPTED if accept else DelayDecision.REJECTED
            share = str(share_value) if share_value is not None else "0"
            if share_value:
                waived = share_value
            decided_on = min(given + dt.timedelta(days=rng.randint(1, 4)), world.last_day)
            decided_at = max(world.at(decided_on, 15, 30), created + dt.timedelta(minutes=30))
            decided_at = world.before_now(decided_at)
            decided_by = manager.id
            note = (
                "客户原因属实，免除延期扣分"
                if share_value == 1
                else (
                    "客户原因属实，减半扣分"
                    if share_value
                    else ("情况属实" if accept else "应提前协调")
                )
            )
        row = (
            moment(created),
            moment(decided_at or created),
            node_id,
            c.spec.id,
            category.pk,
            rng.choice(words.DELAY_TEXTS.get(category.code, ["客户方原因导致延期"])),
            owner.id,
            decision,
            share,
            decided_by,
            moment(decided_at),
            note,
        )
        return waived, row

    def _negotiation(self, c, step) -> None:
        """Terms discussed while the contract is negotiated; the milestones that follow."""
        world, rng, path = self.world, c.rng, c.path
        end = min(step.done_on or c.end, c.end)
        span = max((end - step.started).days, 0)
        opened = step.started + dt.timedelta(days=min(rng.randint(1, 5), span))
        if opened > world.last_day:
            return
        agreed_all = step.state == NodeState.APPROVED
        for topic, text in rng.sample(words.TERMS, k=rng.randint(3, 5)):
            state = (
                TermState.AGREED
                if agreed_all
                else rng.choice((TermState.AGREED, TermState.OPEN, TermState.DISPUTED))
            )
            owner = c.owner_at(opened)
            created = world.at(opened, rng.randint(9, 17))
            changed_on = opened + dt.timedelta(days=rng.randint(0, max((end - opened).days, 0)))
            updated = max(world.at(changed_on, 16), created) if state != TermState.OPEN else created
            self.terms.add(
                (
                    moment(created),
                    moment(updated),
                    1 if state == TermState.OPEN else 2,
                    c.spec.id,
                    topic,
                    text,
                    state,
                    c.owner_at(changed_on).id if state != TermState.OPEN else owner.id,
                )
            )
        marks = [
            (MilestoneKind.INTERNAL_REVIEW, step.started + dt.timedelta(days=int(span * 0.3))),
            (
                MilestoneKind.CUSTOMER_LEGAL_REVIEW,
                step.started + dt.timedelta(days=int(span * 0.7)),
            ),
        ]
        if step.done_on:
            marks.append((MilestoneKind.AWAITING_SIGNATURE, step.done_on))
        if path.status == ProjectStatus.WON:
            marks.append((MilestoneKind.SIGNED, path.signed_on))
        for kind, reached in marks:
            if reached > c.end or reached > world.last_day:
                break
            recorded = world.at(reached, 17, 40)
            self.milestones.add(
                (
                    moment(recorded),
                    moment(recorded),
                    c.spec.id,
                    kind,
                    day(reached),
                    c.owner_at(reached).id,
                )
            )

    def _write_documents(self, c) -> None:
        file = self.file
        for doc in c.documents.values():
            first = doc.versions[0]
            self.documents.add(
                (
                    doc.id,
                    moment(first.uploaded_at),
                    moment(first.uploaded_at),
                    c.spec.id,
                    doc.kind,
                    doc.title,
                    first.uploader.id,
                    len(doc.versions),
                )
            )
            for version in doc.versions:
                self.versions.add(
                    (
                        version.id,
                        doc.id,
                        version.number,
                        file["name"],
                        version.name,
                        "application/pdf",
                        file["size"],
                        file["sha256"],
                        version.note,
                        version.uploader.id,
                        moment(version.uploaded_at),
                        version.feedback or "",
                        day(version.feedback_on),
                        version.feedback_by.id if version.feedback_by else None,
                    )
                )
            self.counts["versions"] += len(doc.versions)

    def _rate_versions(self, c) -> None:
        """The technical team rates most reports and proposals a few days after upload,
        once the project is theirs to see (it has a hand-off task)."""
        world, rng = self.world, c.rng
        for doc in c.documents.values():
            if doc.kind not in RATED_KINDS:
                continue
            for version in doc.versions:
                if rng.random() > 0.75:
                    continue
                rated_on = version.uploaded_on + dt.timedelta(days=rng.randint(1, 6))
                if rated_on > world.last_day or c.first_task_on is None:
                    continue
                if c.first_task_on > rated_on:
                    continue
                score = version.uploader.skill + 3 * (version.number - 1) + rng.gauss(0, 5)
                score = max(45, min(98, round(score)))
                comment = next(text for floor, text in words.QUALITY_COMMENTS if score >= floor)
                at = moment(world.at(rated_on, 15, 20))
                self.quality.add(
                    (
                        at,
                        at,
                        version.uploader.id,
                        version.id,
                        score,
                        comment,
                        rng.choice(self.engineers).id,
                        day(rated_on),
                    )
                )


class _Context:
    """One project while it is written."""

    __slots__ = (
        "spec",
        "path",
        "owner_at",
        "name",
        "end",
        "rng",
        "documents",
        "first_task_on",
        "created",
        "single_owner",
        "owner_now",
    )

    def __init__(self, spec, path, owner_at, name, end, rng):
        self.spec, self.path, self.owner_at, self.name, self.end, self.rng = (
            spec,
            path,
            owner_at,
            name,
            end,
            rng,
        )
        self.documents: dict[str, _Doc] = {}
        self.first_task_on = None
        self.created = None
        self.single_owner = None
        self.owner_now = None
