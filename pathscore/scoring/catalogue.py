"""Every indicator of the evaluation, defined over the records (docs/indicators.md).

Each ``compute`` runs one or two aggregate queries for all the people asked for at once;
each ``evidence`` returns the records behind one person's value. A record is credited to
the person who did it (the follow-up's author, the node's submitter, the uploader), never
to whoever owns the project today. Where the rule needs a fallback over two tables — a
node never submitted counts for the project's owner, a contract for whoever recorded its
signing, else the owner — the answer is stored on the row (``NodeInstance.credited_to``,
``Project.signed_by``, kept by the services, checked daily by ``process.credit``), so the
query filters one indexed column.

Periods are local dates ``[start, end]``, both included. A record with a date field
(``signed_on``, ``rated_on``, ``held_on``, ``completed_on``, ``planned_due``) counts when
that date lies in the period; a record with a timestamp counts when the timestamp falls
between the start of ``start`` and the end of ``end`` in the company's time zone.

Rates are percentages (0–100); amounts are in 10 000 CNY (万元).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pathscore.core.localtime import SecondsSum, day_start
from pathscore.crm import selectors as crm_selectors
from pathscore.crm.choices import PROPOSAL_KINDS, ProjectStatus, TermState
from pathscore.crm.models import (
    ContractTerm,
    CustomerNeed,
    DocumentVersion,
    FollowUp,
    Project,
)
from pathscore.process.choices import NodeState
from pathscore.process.models import HandoffTask, NodeDefinition, NodeInstance
from pathscore.scoring.choices import Dimension, Direction
from pathscore.scoring.indicators import Indicator, read_once, register
from pathscore.scoring.models import Attendance, CustomerRating, QualityRating

HIGHER, LOWER = Direction.HIGHER.value, Direction.LOWER.value
PROCESS, ABILITY = Dimension.PROCESS.value, Dimension.ABILITY.value
ATTITUDE, RESULTS = Dimension.ATTITUDE.value, Dimension.RESULTS.value

UNIT_COUNT = pgettext_lazy("indicator unit", "count")
UNIT_PERCENT = "%"
UNIT_DAYS = pgettext_lazy("indicator unit", "days")
UNIT_HOURS = pgettext_lazy("indicator unit", "hours")
UNIT_POINTS = pgettext_lazy("indicator unit", "points")
UNIT_10K_CNY = pgettext_lazy("indicator unit", "10k CNY")

HUNDRED = Decimal("100")
TWO_PLACES = Decimal("0.01")


# --- Helpers -------------------------------------------------------------------------------


def _q2(value) -> Decimal:
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _rate(part, whole) -> Decimal:
    """``part / whole`` as a percentage with two decimals; 0 when nothing counted."""
    if not whole:
        return Decimal("0.00")
    return _q2(Decimal(part) * HUNDRED / Decimal(whole))


def between(field: str, start: dt.date, end: dt.date) -> Q:
    """A timestamp ``field`` within the local days ``start``..``end`` (both included)."""
    return Q(
        **{
            f"{field}__gte": day_start(start),
            f"{field}__lt": day_start(end + dt.timedelta(days=1)),
        }
    )


def _on(field: str, start: dt.date, end: dt.date) -> Q:
    """A date ``field`` within ``start``..``end`` (both included)."""
    return Q(**{f"{field}__gte": start, f"{field}__lte": end})


def _counts(queryset, person_field: str, person_ids) -> dict[int, int]:
    """Rows of ``queryset`` per person. Every queryset counted here filters its own table
    (related rows through ``Exists``, never a join), so no row appears twice: rows are
    counted, not distinct keys — a DISTINCT made PostgreSQL sort the company's rows."""
    rows = (
        queryset.filter(**{f"{person_field}__in": person_ids})
        .order_by()
        .values(person_field)
        .annotate(n=Count("*"))
        .values_list(person_field, "n")
    )
    return dict(rows)


def _as_decimal(values: dict) -> dict[int, Decimal]:
    return {pk: Decimal(value) for pk, value in values.items()}


# --- Process -------------------------------------------------------------------------------


def _followups(start, end):
    return FollowUp.objects.filter(between("occurred_at", start, end))


def followup_count(person_ids, start, end, params):
    figures = _followup_figures(person_ids, start, end)
    return {pk: Decimal(figures[pk][0]) if pk in figures else Decimal(0) for pk in person_ids}


def _followup_figures(person_ids, start, end) -> dict[int, tuple[int, int, int]]:
    """Per author: their follow-ups in the period, the joint ones (cross-team
    interactions) and the unplanned ones (initiative) — one pass over the period's
    follow-ups, read once per evaluation for the three indicators that count them. Both
    conditions are stored on each follow-up when it is written (``FollowUp.joint``,
    crm.joint; ``FollowUp.planned``, crm.chain): counted here, listed as evidence by
    ``_joint_followups`` and ``_unplanned_followups``."""
    ids = sorted(set(person_ids))

    def read():
        rows = (
            _followups(start, end)
            .filter(author__in=ids)
            .order_by()
            .values("author")
            .annotate(
                n=Count("*"),
                joint_n=Count("pk", filter=Q(joint=True)),
                unplanned_n=Count("pk", filter=Q(planned=False)),
            )
            .values_list("author", "n", "joint_n", "unplanned_n")
        )
        return {author: (n, joint, unplanned) for author, n, joint, unplanned in rows}

    return read_once(("followups", tuple(ids), start, end), read)


def followup_count_evidence(person, start, end, params):
    return (
        _followups(start, end)
        .filter(author=person)
        .select_related("customer", "project", "mode")
        .order_by("-occurred_at")
    )


def nodes_due(start, end):
    """Nodes due in the period (skipped ones do not count), each annotated with its
    ``doer`` (the stored ``credited_to``: who submitted it, or — never submitted — the
    project's owner): the base of the node completion rate and of the node reports."""
    return (
        NodeInstance.objects.filter(_on("planned_due", start, end))
        .exclude(state=NodeState.SKIPPED)
        .annotate(doer=F("credited_to"))
    )


def node_completion_rate(person_ids, start, end, params):
    rows = (
        nodes_due(start, end)
        .filter(credited_to__in=person_ids)
        .order_by()
        .values("credited_to")
        .annotate(due=Count("pk"), approved=Count("pk", filter=Q(state=NodeState.APPROVED)))
    )
    return {row["credited_to"]: _rate(row["approved"], row["due"]) for row in rows}


def node_completion_rate_evidence(person, start, end, params):
    return (
        nodes_due(start, end)
        .filter(credited_to=person.pk)
        .annotate(
            done=Case(
                When(state=NodeState.APPROVED, then=Value(True)),
                default=Value(False),
            )
        )
        .select_related("definition", "project")
        .order_by("planned_due", "pk")
    )


def approved_submitted(start, end):
    """Approved nodes whose (last) submission falls in the period."""
    return NodeInstance.objects.filter(state=NodeState.APPROVED).filter(
        between("submitted_at", start, end)
    )


def node_on_time_rate(person_ids, start, end, params):
    rows = (
        approved_submitted(start, end)
        .filter(submitted_by__in=person_ids)
        .order_by()
        .values("submitted_by")
        # Counting rows and the lateness (not the key), PostgreSQL reads the index alone.
        .annotate(total=Count("*"), on_time=Count("days_late", filter=Q(days_late=0)))
    )
    return {row["submitted_by"]: _rate(row["on_time"], row["total"]) for row in rows}


def node_on_time_rate_evidence(person, start, end, params):
    """The nodes, each with ``on_time`` (False marks the late ones and ``days_late``)."""
    return (
        approved_submitted(start, end)
        .filter(submitted_by=person)
        .annotate(
            on_time=Case(When(days_late=0, then=Value(True)), default=Value(False)),
        )
        .select_related("definition", "project")
        .order_by("submitted_at", "pk")
    )


def _definitions(code: str) -> list[int]:
    """The ids of the node definitions of ``code`` (one per template version). Every
    definition's code is read once per evaluation: a few dozen rows."""

    def read():
        ids = defaultdict(list)
        for pk, each in NodeDefinition.objects.order_by("pk").values_list("pk", "code"):
            ids[each].append(pk)
        return ids

    return read_once(("definitions",), read).get(code, [])


def _conversions(end, params):
    from_code = params.get("from_node") or "first-visit"
    to_code = params.get("to_node") or "requirement-report"
    # The node definitions of each code as a list of ids: the scan and the per-node probe
    # stay inside the indexes (process_instance_credit_done, process_instance_reached),
    # with no join — as a subquery, PostgreSQL sorted the definitions again for every
    # probe (3 of the 5 ms of a team's conversion rate at scale L).
    reached = NodeInstance.objects.filter(
        project=OuterRef("project"),
        definition__in=_definitions(to_code),
        state=NodeState.APPROVED,
        completed_on__lte=end,
    )
    return NodeInstance.objects.filter(
        definition__in=_definitions(from_code),
        state=NodeState.APPROVED,
        completed_on__lte=end,
    ).annotate(doer=F("credited_to"), converted=Exists(reached))


def stage_conversion_rate(person_ids, start, end, params):
    rows = (
        _conversions(end, params)
        .filter(credited_to__in=person_ids)
        .order_by()
        .values("credited_to")
        .annotate(total=Count("pk"), converted_n=Count("pk", filter=Q(converted=True)))
    )
    return {row["credited_to"]: _rate(row["converted_n"], row["total"]) for row in rows}


def stage_conversion_rate_evidence(person, start, end, params):
    """The from-nodes the person completed, each with ``converted``."""
    return (
        _conversions(end, params)
        .filter(credited_to=person.pk)
        .select_related("definition", "project")
        .order_by("completed_on", "pk")
    )


def cycle_followups(start, end):
    """The period's follow-ups on active projects (``FollowUp.project_active``, crm.active:
    read from the author index, no project looked up)."""
    return _followups(start, end).filter(project_active=True)


def followup_cycle(person_ids, start, end, params):
    """Mean gap between consecutive follow-ups of one author on one project.

    Each follow-up stores the time of the one before it in its chain (``previous_at``,
    crm.chain), so the gaps within the period are the follow-ups of the period whose
    previous one falls in the period too: one grouped sum read from the author index,
    no window and no sort. (Per project the gaps add up to last − first over n − 1 gaps.)
    Someone with no two follow-ups on an active project in the period gets the period's
    length in days (nothing measured is no better than one follow-up per period).
    """
    rows = (
        cycle_followups(start, end)
        .filter(author__in=person_ids, previous_at__gte=day_start(start))
        .order_by()
        .values("author")
        # The gaps in seconds, computed natively (no timestamp parsed per row).
        # Rows, not keys, counted: PostgreSQL reads the index alone.
        .annotate(span=SecondsSum("occurred_at", "previous_at"), n=Count("*"))
        .values_list("author", "span", "n")
    )
    # Rounded to the millisecond: float noise must not tip a rounding boundary.
    found = {author: (round(seconds, 3), n) for author, seconds, n in rows}
    period_days = Decimal((end - start).days + 1)
    return {
        pk: _q2(found[pk][0] / 86400 / found[pk][1]) if pk in found else period_days
        for pk in person_ids
    }


def followup_cycle_evidence(person, start, end, params):
    return (
        cycle_followups(start, end)
        .filter(author=person)
        .select_related("customer", "project", "mode")
        .order_by("project_id", "occurred_at")
    )


def proposal_revision_count(person_ids, start, end, params):
    """Revisions per person, for the people who uploaded any version of a proposal in the
    period; the others wrote no proposal, so the indicator does not apply to them (a zero
    would be full marks for doing nothing)."""
    # One grouped pass over the period's proposal versions: whoever uploaded any of them
    # wrote a proposal; the versions after V1 among them are their revisions (the same
    # rows as crm.selectors.proposal_revisions, without a subquery per person).
    rows = (
        DocumentVersion.objects.filter(
            document__kind__in=PROPOSAL_KINDS, uploaded_by__in=person_ids
        )
        .filter(between("uploaded_at", start, end))
        .order_by()
        .values("uploaded_by")
        .annotate(n=Count("pk", filter=Q(number__gt=1)))
        .values_list("uploaded_by", "n")
    )
    return _as_decimal(dict(rows))


def proposal_revision_count_evidence(person, start, end, params):
    return (
        crm_selectors.proposal_revisions()
        .filter(uploaded_by=person)
        .filter(between("uploaded_at", start, end))
        .select_related("document__project")
        .order_by("uploaded_at", "pk")
    )


def _relayed_tasks(start, end):
    return HandoffTask.objects.filter(between("created_at", start, end)).filter(
        feedback_at__isnull=False
    )


def feedback_relay_time(person_ids, start, end, params):
    rows = (
        _relayed_tasks(start, end)
        .filter(created_by__in=person_ids)
        .order_by()
        .values("created_by")
        # Seconds computed natively: duration arithmetic is a Python call per row on SQLite.
        .annotate(total=SecondsSum("created_at", "feedback_at"), n=Count("pk"))
    )
    # Rounded to the millisecond: the native difference carries float noise far below
    # it, which must not tip a value sitting on a rounding boundary.
    return {
        row["created_by"]: _q2(max(round(row["total"], 3), 0) / 3600 / row["n"]) for row in rows
    }


def feedback_relay_time_evidence(person, start, end, params):
    return (
        _relayed_tasks(start, end)
        .filter(created_by=person)
        .annotate(
            relay=ExpressionWrapper(
                F("created_at") - F("feedback_at"), output_field=DurationField()
            )
        )
        .select_related("project", "kind", "assignee_department")
        .order_by("created_at", "pk")
    )


def _joint_followups(start, end):
    """Follow-ups someone from technical support took part in (``FollowUp.joint``)."""
    return _followups(start, end).filter(joint=True)


def _created_tasks(start, end):
    return HandoffTask.objects.filter(between("created_at", start, end))


def cross_team_interactions(person_ids, start, end, params):
    figures = _followup_figures(person_ids, start, end)
    joint = {pk: found[1] for pk, found in figures.items()}
    tasks = _counts(_created_tasks(start, end), "created_by", person_ids)
    return {pk: Decimal(joint.get(pk, 0) + tasks.get(pk, 0)) for pk in person_ids}


def cross_team_interactions_evidence(person, start, end, params):
    """Two lists: the joint follow-ups and the hand-off tasks."""
    return [
        _joint_followups(start, end)
        .filter(author=person)
        .select_related("customer", "project", "mode")
        .order_by("occurred_at"),
        _created_tasks(start, end)
        .filter(created_by=person)
        .select_related("project", "kind", "assignee_department")
        .order_by("created_at", "pk"),
    ]


# --- Ability -------------------------------------------------------------------------------


def _customer_ratings(start, end):
    return CustomerRating.objects.filter(_on("rated_on", start, end))


def customer_feedback_rating(person_ids, start, end, params):
    # ((knowledge + communication) / 2) / 5 × 100 = (knowledge + communication) × 10
    rows = (
        _customer_ratings(start, end)
        .filter(person__in=person_ids)
        .order_by()
        .values("person")
        .annotate(total=Sum(F("domain_knowledge") + F("communication")), n=Count("pk"))
    )
    return {row["person"]: _q2(Decimal(row["total"] * 10) / row["n"]) for row in rows}


def customer_feedback_rating_evidence(person, start, end, params):
    return (
        _customer_ratings(start, end)
        .filter(person=person)
        .select_related("customer", "project")
        .order_by("rated_on", "pk")
    )


def _quality_ratings(start, end):
    return QualityRating.objects.filter(_on("rated_on", start, end))


def _reviewed_nodes(start, end):
    return NodeInstance.objects.filter(
        state=NodeState.APPROVED, quality_score__isnull=False
    ).filter(_on("completed_on", start, end))


def quality_score(person_ids, start, end, params):
    totals = defaultdict(Decimal)
    counts = defaultdict(int)
    ratings = (
        _quality_ratings(start, end)
        .filter(person__in=person_ids)
        .order_by()
        .values("person")
        .annotate(total=Sum("score"), n=Count("pk"))
        .values_list("person", "total", "n")
    )
    nodes = (
        _reviewed_nodes(start, end)
        .filter(submitted_by__in=person_ids)
        .order_by()
        .values("submitted_by")
        .annotate(total=Sum("quality_score"), n=Count("pk"))
        .values_list("submitted_by", "total", "n")
    )
    for pk, total, n in [*ratings, *nodes]:
        totals[pk] += Decimal(str(total))
        counts[pk] += n
    return {pk: _q2(totals[pk] / counts[pk]) for pk in counts}


def quality_score_evidence(person, start, end, params):
    """Two lists: the quality ratings of their versions and their reviewed nodes."""
    return [
        _quality_ratings(start, end)
        .filter(person=person)
        .select_related("version__document__project", "rated_by")
        .order_by("rated_on", "pk"),
        _reviewed_nodes(start, end)
        .filter(submitted_by=person)
        .select_related("definition", "project")
        .order_by("completed_on", "pk"),
    ]


def _terms(start, end):
    return ContractTerm.objects.filter(between("updated_at", start, end))


def terms_agreed_rate(person_ids, start, end, params):
    rows = (
        _terms(start, end)
        .filter(updated_by__in=person_ids)
        .order_by()
        .values("updated_by")
        .annotate(total=Count("pk"), agreed=Count("pk", filter=Q(state=TermState.AGREED)))
    )
    return {row["updated_by"]: _rate(row["agreed"], row["total"]) for row in rows}


def terms_agreed_rate_evidence(person, start, end, params):
    return (
        _terms(start, end)
        .filter(updated_by=person)
        .select_related("project")
        .order_by("project_id", "topic", "pk")
    )


# --- Attitude ------------------------------------------------------------------------------


def _required_attendances(start, end):
    """Required attendances of sessions held in the period — up to today: a session still
    to come is not missed yet."""
    held_by = min(end, timezone.localdate())
    return Attendance.objects.filter(required=True).filter(_on("session__held_on", start, held_by))


def training_participation_rate(person_ids, start, end, params):
    rows = (
        _required_attendances(start, end)
        .filter(person__in=person_ids)
        .order_by()
        .values("person")
        .annotate(total=Count("pk"), attended_n=Count("pk", filter=Q(attended=True)))
    )
    return {row["person"]: _rate(row["attended_n"], row["total"]) for row in rows}


def training_participation_rate_evidence(person, start, end, params):
    return (
        _required_attendances(start, end)
        .filter(person=person)
        .select_related("session__course")
        .order_by("session__held_on", "pk")
    )


def _unplanned_followups(start, end):
    """Follow-ups that did not carry out a next action the same author had planned on the
    same project for a day within three days of the follow-up's (``FollowUp.planned``)."""
    return _followups(start, end).filter(planned=False)


def _handled_needs(start, end):
    return CustomerNeed.objects.filter(between("handled_at", start, end))


def initiative(person_ids, start, end, params):
    figures = _followup_figures(person_ids, start, end)
    unplanned = {pk: found[2] for pk, found in figures.items()}
    needs = _counts(_handled_needs(start, end), "handled_by", person_ids)
    return {pk: Decimal(unplanned.get(pk, 0) + needs.get(pk, 0)) for pk in person_ids}


def initiative_evidence(person, start, end, params):
    """Two lists: the unplanned follow-ups and the customer needs they handled."""
    return [
        _unplanned_followups(start, end)
        .filter(author=person)
        .select_related("customer", "project", "mode")
        .order_by("occurred_at", "pk"),
        _handled_needs(start, end)
        .filter(handled_by=person)
        .select_related("followup__customer", "followup__project")
        .order_by("handled_at", "pk"),
    ]


# --- Results -------------------------------------------------------------------------------


def _signed_projects(start, end):
    """Projects won with a signing date in the period, each with its ``signer`` (the
    stored ``signed_by``: who recorded the "signed" milestone, else the owner)."""
    return (
        Project.objects.filter(status=ProjectStatus.WON)
        .filter(_on("signed_on", start, end))
        .annotate(signer=F("signed_by"))
    )


def _signed_by_person(person_ids, start, end) -> list[dict]:
    """Per signer: contracts and amount — read once per evaluation for both indicators."""
    ids = sorted(set(person_ids))

    def read():
        return list(
            _signed_projects(start, end)
            .filter(signed_by__in=ids)
            .order_by()
            .values("signed_by")
            .annotate(n=Count("pk"), amount=Sum("signed_amount"))
        )

    return read_once(("signed", tuple(ids), start, end), read)


def contracts_signed(person_ids, start, end, params):
    return {
        row["signed_by"]: Decimal(row["n"]) for row in _signed_by_person(person_ids, start, end)
    }


def signed_amount(person_ids, start, end, params):
    return {
        row["signed_by"]: _q2(Decimal(str(row["amount"] or 0)) / Decimal("10000"))
        for row in _signed_by_person(person_ids, start, end)
    }


def signed_projects_evidence(person, start, end, params):
    return (
        _signed_projects(start, end)
        .filter(signed_by=person.pk)
        .select_related("customer", "owner")
        .order_by("signed_on", "pk")
    )


def _approved_in(start, end):
    return NodeInstance.objects.filter(state=NodeState.APPROVED).filter(
        _on("completed_on", start, end)
    )


def _approved_by_position(person_ids, start, end) -> list[tuple]:
    """``(submitter, order, template version, nodes, score sum)`` of the nodes approved in
    the period — read once per evaluation for the pipeline and the node score total."""
    ids = sorted(set(person_ids))

    def read():
        return list(
            _approved_in(start, end)
            .filter(submitted_by__in=ids)
            .order_by()
            .values_list("submitted_by", "order", "definition__version")
            .annotate(n=Count("pk"), score=Sum("score"))
        )

    return read_once(("approved", tuple(ids), start, end), read)


def pipeline_advanced(person_ids, start, end, params):
    """Σ order / (nodes of the template version) over the nodes approved in the period."""
    # The few template versions' node counts are read once, not as a subquery per node.
    node_totals = dict(
        NodeDefinition.objects.order_by()
        .values("version")
        .annotate(n=Count("pk"))
        .values_list("version", "n")
    )
    # Nodes of one person, position and version count are summed before dividing.
    counted = defaultdict(int)
    for person, order, version, n, _score in _approved_by_position(person_ids, start, end):
        counted[person, order, node_totals.get(version)] += n
    totals = defaultdict(Decimal)
    for (person, order, of), n in counted.items():
        if of:
            totals[person] += Decimal(n * order) / Decimal(of)
    return {pk: _q2(total) for pk, total in totals.items()}


def approved_nodes_evidence(person, start, end, params):
    return (
        _approved_in(start, end)
        .filter(submitted_by=person)
        .select_related("definition", "project")
        .order_by("completed_on", "pk")
    )


def node_score_total(person_ids, start, end, params):
    totals = {}
    for person, _order, _version, _n, score in _approved_by_position(person_ids, start, end):
        # Each group's sum is exact (a Decimal with the field's two places), so adding
        # them here gives the person's sum.
        totals[person] = totals.get(person, Decimal(0)) + (score or 0)
    return {pk: _q2(total) for pk, total in totals.items()}


# --- The catalogue -------------------------------------------------------------------------

INDICATORS = [
    Indicator(
        code="followup_count",
        name=_("Follow-up count"),
        dimension=PROCESS,
        unit=UNIT_COUNT,
        direction=HIGHER,
        definition=_(
            "Follow-ups the person recorded (as author) whose date and time falls in the "
            "period, on any customer or project."
        ),
        compute=followup_count,
        evidence=followup_count_evidence,
    ),
    Indicator(
        code="node_completion_rate",
        name=_("Node completion rate"),
        dimension=PROCESS,
        unit=UNIT_PERCENT,
        direction=HIGHER,
        definition=_(
            "Of the process nodes due in the period (skipped ones aside), the share that is "
            "approved. A node counts for whoever submitted it, or for the project's owner "
            "if it was never submitted."
        ),
        compute=node_completion_rate,
        evidence=node_completion_rate_evidence,
    ),
    Indicator(
        code="node_on_time_rate",
        name=_("Node on-time rate"),
        dimension=PROCESS,
        unit=UNIT_PERCENT,
        direction=HIGHER,
        definition=_(
            "Of the approved nodes the person submitted in the period, the share submitted "
            "on or before the node's due date."
        ),
        compute=node_on_time_rate,
        evidence=node_on_time_rate_evidence,
    ),
    Indicator(
        code="stage_conversion_rate",
        name=_("Stage conversion rate"),
        dimension=PROCESS,
        unit=UNIT_PERCENT,
        direction=HIGHER,
        definition=_(
            "Of the projects on which the person completed the from-node (approved by the "
            "end of the period), the share whose to-node was also approved by the end of "
            "the period."
        ),
        compute=stage_conversion_rate,
        evidence=stage_conversion_rate_evidence,
        params={"from_node": "first-visit", "to_node": "requirement-report"},
    ),
    Indicator(
        code="followup_cycle",
        name=_("Follow-up cycle"),
        dimension=PROCESS,
        unit=UNIT_DAYS,
        direction=LOWER,
        definition=_(
            "The average number of days between one follow-up and the person's next one "
            "on the same active project, within the period. With no two follow-ups on any "
            "active project, the period's length in days."
        ),
        compute=followup_cycle,
        evidence=followup_cycle_evidence,
    ),
    Indicator(
        code="proposal_revision_count",
        name=_("Proposal revisions"),
        dimension=PROCESS,
        unit=UNIT_COUNT,
        direction=LOWER,
        definition=_(
            "Versions after V1 of proposals and technical proposals that the person "
            "uploaded in the period."
        ),
        compute=proposal_revision_count,
        evidence=proposal_revision_count_evidence,
        not_applicable_without=_("No proposal written in the period."),
    ),
    Indicator(
        code="feedback_relay_time",
        name=_("Feedback relay time"),
        dimension=PROCESS,
        unit=UNIT_HOURS,
        direction=LOWER,
        definition=_(
            "The average number of hours from the customer's feedback to the hand-off task "
            "that passes it on, over the tasks the person created in the period."
        ),
        compute=feedback_relay_time,
        evidence=feedback_relay_time_evidence,
        not_applicable_without=_("No customer feedback passed on in the period."),
    ),
    Indicator(
        code="cross_team_interactions",
        name=_("Cross-team interactions"),
        dimension=PROCESS,
        unit=UNIT_COUNT,
        direction=HIGHER,
        definition=_(
            "Follow-ups the person recorded in the period with someone from technical "
            "support taking part, plus hand-off tasks the person created in the period."
        ),
        compute=cross_team_interactions,
        evidence=cross_team_interactions_evidence,
    ),
    Indicator(
        code="customer_feedback_rating",
        name=_("Customer feedback rating"),
        dimension=ABILITY,
        unit=UNIT_POINTS,
        direction=HIGHER,
        definition=_(
            "The average of the customers' ratings of the person dated in the period, each "
            "the mean of domain knowledge and communication (1–5), scaled to 100."
        ),
        compute=customer_feedback_rating,
        evidence=customer_feedback_rating_evidence,
        not_applicable_without=_("No customer feedback on the person was recorded in the period."),
    ),
    Indicator(
        code="quality_score",
        name=_("Report and proposal quality"),
        dimension=ABILITY,
        unit=UNIT_POINTS,
        direction=HIGHER,
        definition=_(
            "The average of the quality ratings (0–100) of the person's document versions "
            "rated in the period and the reviewers' quality scores of the nodes the person "
            "submitted that were approved in the period."
        ),
        compute=quality_score,
        evidence=quality_score_evidence,
    ),
    Indicator(
        code="terms_agreed_rate",
        name=_("Contract terms agreed rate"),
        dimension=ABILITY,
        unit=UNIT_PERCENT,
        direction=HIGHER,
        definition=_(
            "Of the contract terms the person last updated in the period, the share that is agreed."
        ),
        compute=terms_agreed_rate,
        evidence=terms_agreed_rate_evidence,
        not_applicable_without=_("No contract terms were negotiated by the person in the period."),
    ),
    Indicator(
        code="training_participation_rate",
        name=_("Training participation rate"),
        dimension=ATTITUDE,
        unit=UNIT_PERCENT,
        direction=HIGHER,
        definition=_(
            "Of the training sessions held in the period that the person was required to "
            "attend, the share they attended."
        ),
        compute=training_participation_rate,
        evidence=training_participation_rate_evidence,
        not_applicable_without=_("No training was required of the person in the period."),
    ),
    Indicator(
        code="initiative",
        name=_("Initiative"),
        dimension=ATTITUDE,
        unit=UNIT_COUNT,
        direction=HIGHER,
        definition=_(
            "Follow-ups the person recorded in the period that did not carry out a next "
            "action they had planned on the same project for a day within 3 days of it, "
            "plus customer needs the person marked handled in the period."
        ),
        compute=initiative,
        evidence=initiative_evidence,
    ),
    Indicator(
        code="contracts_signed",
        name=_("Contracts signed"),
        dimension=RESULTS,
        unit=UNIT_COUNT,
        direction=HIGHER,
        definition=_(
            "Projects won with a signing date in the period, credited to whoever recorded "
            "the signed milestone, or else to the project's owner."
        ),
        compute=contracts_signed,
        evidence=signed_projects_evidence,
    ),
    Indicator(
        code="signed_amount",
        name=_("Signed amount"),
        dimension=RESULTS,
        unit=UNIT_10K_CNY,
        direction=HIGHER,
        definition=_(
            "The signed amounts of the contracts counted in Contracts signed, in 10 000 CNY."
        ),
        compute=signed_amount,
        evidence=signed_projects_evidence,
    ),
    Indicator(
        code="pipeline_advanced",
        name=_("Pipeline advanced"),
        dimension=RESULTS,
        unit=UNIT_POINTS,
        direction=HIGHER,
        definition=_(
            "Nodes the person submitted that were approved in the period, each weighted by "
            "its stage: the node's position divided by the number of nodes in its process."
        ),
        compute=pipeline_advanced,
        evidence=approved_nodes_evidence,
    ),
    Indicator(
        code="node_score_total",
        name=_("Node score total"),
        dimension=RESULTS,
        unit=UNIT_POINTS,
        direction=HIGHER,
        definition=_(
            "The sum of the node scores of the nodes the person submitted that were "
            "approved in the period."
        ),
        compute=node_score_total,
        evidence=approved_nodes_evidence,
    ),
]

for _indicator in INDICATORS:
    register(_indicator)


def evidence_lists(code: str, person, start: dt.date, end: dt.date, params=None) -> list:
    """The evidence of an indicator as a list of querysets (most indicators have one)."""
    from pathscore.scoring.indicators import get

    indicator = get(code)
    if indicator.evidence is None:
        return []
    found = indicator.evidence(person, start, end, {**indicator.params, **(params or {})})
    return list(found) if isinstance(found, list) else [found]
