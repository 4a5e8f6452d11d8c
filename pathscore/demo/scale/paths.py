"""A project's path through its process, planned day by day before any row is written.

Each node is worked on for a while (an on-time node takes a share of its allowed days, a
late one more, and now and then the customer holds it up for weeks), submitted, sometimes
returned and submitted again, and approved a day or three later; the next node starts the
day the previous one is approved (or skipped). A project may be lost or paused while a node
is worked on, and is won when its last node (the signing) is approved. The walk stops at
the as-of date: the node it stops in is the project's current node, in the state it has
then (in progress, perhaps overdue; awaiting review; returned).

The plan is pure: the same project and random stream give the same path, so the generator
can plan every project once to learn how long it ran (for sharing out the follow-ups) and
again when it writes the project's rows.
"""

from __future__ import annotations

import datetime as dt

from pathscore.crm.choices import ProjectStatus
from pathscore.demo.scale.vocabulary import KIND_LATENESS
from pathscore.process.choices import DueRule, NodeState

#: The chance that a project is lost while a node of this kind is worked on: most are lost
#: at the proposal and in the negotiation.
LOSS = {
    "first-visit": 0.03,
    "site-survey": 0.02,
    "requirement-report": 0.05,
    "pv-capacity": 0.04,
    "storage-assessment": 0.02,
    "proposal-demo": 0.14,
    "feedback-handling": 0.08,
    "contract-negotiation": 0.14,
    "contract-signing": 0.02,
}
PAUSE = 0.012
#: The share of its allowed days an on-time node takes, and a late one.
ON_TIME_SHARE = (0.55, 0.95)
LATE_STRETCH = (1.15, 1.6)
#: The chance that a late node waits on the customer for weeks, and for how long.
HOLD_UP_CHANCE = 0.5
HOLD_UP_DAYS = (20, 120)
RETURN_CHANCE = 0.12
SKIPPABLE = {"storage-assessment": 0.4}


class Step:
    """One node on the path: when it started, was due, was submitted and reviewed."""

    __slots__ = (
        "spec",
        "state",
        "started",
        "due",
        "attempts",
        "done_on",
        "days_late",
        "quality",
        "revision",
        "late",
    )

    def __init__(self, spec):
        self.spec = spec
        self.state = NodeState.NOT_STARTED
        self.started = None
        self.due = None
        #: ``[submitted_on, reviewed_on or None, "returned" | "approved" | None]``
        self.attempts: list[list] = []
        self.done_on = None
        self.days_late = 0
        self.quality = None
        self.revision = 0
        self.late = False

    @property
    def first_submitted(self) -> dt.date | None:
        return self.attempts[0][0] if self.attempts else None

    @property
    def last_submitted(self) -> dt.date | None:
        return self.attempts[-1][0] if self.attempts else None


class Path:
    """The whole plan of one project."""

    __slots__ = ("steps", "status", "status_day", "signed_on", "current", "completed_on")

    def __init__(self):
        self.steps: list[Step] = []
        self.status = ProjectStatus.ACTIVE
        #: The day the project was won, lost or paused.
        self.status_day: dt.date | None = None
        self.signed_on: dt.date | None = None
        #: Index of the current node; None once every node is done.
        self.current: int | None = None
        self.completed_on: dt.date | None = None

    def end_day(self, last_day: dt.date) -> dt.date:
        """The last day anyone worked on the project."""
        return self.status_day or last_day


def due_for(spec, started_on: dt.date, project_start: dt.date) -> dt.date | None:
    """The due date the process engine gives a node started on ``started_on``."""
    if spec.due_rule == DueRule.FIXED_DATE:
        return spec.due_date
    if spec.due_rule == DueRule.AFTER_START:
        return project_start + dt.timedelta(days=spec.due_days)
    return started_on + dt.timedelta(days=spec.due_days)


def plan(nodes, *, start: dt.date, last_day: dt.date, punctuality: float, rng) -> Path:
    """Walk a project started on ``start`` through ``nodes`` up to ``last_day``."""
    path = Path()
    slack = 1 - punctuality
    day = start
    days = dt.timedelta
    for index, spec in enumerate(nodes):
        step = Step(spec)
        path.steps.append(step)
        step.started = day
        step.due = due_for(spec, day, start)
        step.state = NodeState.IN_PROGRESS
        # The first node is made current by process_start; later ones by the engine's
        # advance, which bumps their revision.
        step.revision = 1 if index else 0
        skip_chance = SKIPPABLE.get(spec.code)
        if skip_chance and rng.random() < skip_chance:
            skipped_on = day + days(rng.randint(1, 4))
            if skipped_on > last_day:
                path.current = index
                break
            step.state = NodeState.SKIPPED
            step.done_on = skipped_on
            step.revision += 1
            day = skipped_on
            continue
        step.late = rng.random() < slack * KIND_LATENESS.get(spec.code, 1.0)
        allowed = max(spec.due_days, 1)
        if step.late:
            work = allowed * rng.uniform(*LATE_STRETCH)
            if rng.random() < HOLD_UP_CHANCE:
                work += rng.randint(*HOLD_UP_DAYS)
        else:
            work = allowed * rng.uniform(*ON_TIME_SHARE)
        work = max(1, round(work))
        roll = rng.random()
        loss = LOSS.get(spec.code, 0.05)
        if roll < loss + PAUSE:
            ends = day + days(rng.randint(1, work))
            if ends <= last_day:
                path.status = ProjectStatus.LOST if roll < loss else ProjectStatus.PAUSED
                path.status_day = ends
                path.current = index
                break
        submitted = day + days(work)
        if submitted > last_day:
            path.current = index
            break
        step.attempts.append([submitted, None, None])
        step.state = NodeState.SUBMITTED
        step.revision += 1
        if rng.random() < RETURN_CHANCE:
            returned_on = submitted + days(1)
            if returned_on > last_day:
                path.current = index
                break
            step.attempts[-1][1:] = [returned_on, "returned"]
            step.state = NodeState.RETURNED
            step.revision += 1
            submitted = returned_on + days(rng.randint(2, 4))
            if submitted > last_day:
                path.current = index
                break
            step.attempts.append([submitted, None, None])
            step.state = NodeState.SUBMITTED
            step.revision += 1
        reviewed = submitted + days(rng.randint(1, 3))
        if reviewed > last_day:
            path.current = index
            break
        step.attempts[-1][1:] = [reviewed, "approved"]
        step.state = NodeState.APPROVED
        step.revision += 1
        step.done_on = reviewed
        step.days_late = max((submitted - step.due).days, 0) if step.due else 0
        step.quality = rng.choice((65, 72, 78, 80, 84, 86, 88, 90, 92, 95))
        day = reviewed
    else:
        path.completed_on = day
        path.status = ProjectStatus.WON
        # The contract is signed the day the signing node is submitted.
        path.signed_on = path.steps[-1].last_submitted or day
        path.status_day = path.signed_on
    # The nodes after the current one were never started.
    path.steps.extend(Step(spec) for spec in nodes[len(path.steps) :])
    return path
