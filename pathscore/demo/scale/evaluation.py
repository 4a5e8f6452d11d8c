"""The evaluation side of the generated year: customer ratings of the salespeople, training
courses with their sessions and attendance, commendations, and the four appraisal
quarters.

The oldest quarter is closed and published with its frozen results (computed by the
scoring engine, exactly as closing computes them), most of them acknowledged. The two full
quarters after it are left open, ready to be closed (closing a quarter for the whole
company is a benchmark of its own; at scale L the engine needs minutes for one quarter on
SQLite, so the generator closes only one), and the current quarter is open with live
scores.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import override

from pathscore.demo.scale import vocabulary as words
from pathscore.demo.scale.bulk import as_json, day, moment
from pathscore.demo.scale.world import World
from pathscore.scoring import engine
from pathscore.scoring.choices import PeriodKind, PeriodState, RatingSource
from pathscore.scoring.models import (
    Attendance,
    Commendation,
    CustomerRating,
    Period,
    Result,
    TrainingCourse,
    TrainingSession,
)
from pathscore.scoring.services import period_bounds, period_default_name, rank_in_teams

#: The oldest quarters that are closed and published.
CLOSED_QUARTERS = 1


def quarters(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The current quarter and the three before it, oldest first."""
    result = []
    day_in = as_of
    for _ in range(4):
        start, end = period_bounds(PeriodKind.QUARTER, day_in)
        result.append((start, end))
        day_in = start - dt.timedelta(days=1)
    return list(reversed(result))


def build(world: World, writer, projects_by_person: dict, phase) -> None:
    """Ratings, training and commendations (rows); the periods come after the flush."""
    _customer_ratings(world, writer, projects_by_person, phase)
    _training(world, writer, phase)


def _customer_ratings(world: World, writer, projects_by_person: dict, phase) -> None:
    """Every few weeks a customer rates a salesperson; their manager enters it."""
    rng = world.rng("ratings")
    ratings = writer.sink(
        CustomerRating,
        [
            "created_at",
            "updated_at",
            "person_id",
            "customer_id",
            "project_id",
            "rated_on",
            "domain_knowledge",
            "communication",
            "comment",
            "source",
            "recorded_by_id",
        ],
        ids=False,
    )
    sources = list(RatingSource.values)
    for person in world.people["salespeople"] + world.people["departed"]:
        mine = projects_by_person.get(person.id, [])
        weak = person.skill < 74
        knowledge = rng.uniform(2.4, 3.2) if weak else rng.uniform(3.7, 4.7)
        communication = rng.uniform(3.4, 4.2) if weak else rng.uniform(3.8, 4.8)
        on = max(world.start, person.hire_date) + dt.timedelta(days=rng.randint(5, 30))
        started = 0
        while on <= world.last_day and person.present_on(on) and mine:
            while started < len(mine) and mine[started][2] + dt.timedelta(days=14) <= on:
                started += 1
            if started and rng.random() < 0.85:
                project_id, customer_id, _start = mine[rng.randrange(started)]
                rating_k = max(1, min(5, round(rng.gauss(knowledge, 0.6))))
                rating_c = max(1, min(5, round(rng.gauss(communication, 0.5))))
                comment = (
                    rng.choice(words.WEAK_COMMENTS)
                    if rating_k <= 3 and (weak or rng.random() < 0.3)
                    else rng.choice(words.GOOD_COMMENTS)
                )
                at = moment(world.at(on, 16, 30))
                ratings.add(
                    (
                        at,
                        at,
                        person.id,
                        customer_id,
                        project_id,
                        day(on),
                        rating_k,
                        rating_c,
                        comment,
                        rng.choice(sources),
                        person.team.manager.id,
                    )
                )
            on += dt.timedelta(days=rng.randint(18, 40))
        phase.advance()


def _training(world: World, writer, phase) -> None:
    """HR's monthly sessions for every salesperson, each manager's quarterly one for their
    team, attendance ticked; two sessions still to come."""
    rng = world.rng("training")
    courses = writer.sink(TrainingCourse, ["id", "code", "name", "description", "indicators"])
    sessions = writer.sink(
        TrainingSession,
        ["id", "created_at", "updated_at", "course_id"]
        + [
            "held_on",
            "location",
        ],
    )
    attendances = writer.sink(
        Attendance,
        ["session_id", "person_id", "required", "attended", "assigned_by_id", "reason"],
        ids=False,
    )
    course_ids = []
    for code, name, description, indicators in words.COURSES:
        course_id = courses.new_id()
        courses.add((course_id, code, name, description, as_json(list(indicators))))
        course_ids.append(course_id)
    sellers = world.people["salespeople"] + world.people["departed"]
    presence = {p.id: rng.choice((0.97, 0.95, 0.92, 0.9, 0.85, 0.7)) for p in sellers}
    hr = world.people["hr"][0]

    def hold(course_id, on, people, by, location, *, future=False):
        session_id = sessions.new_id()
        created = moment(world.at(min(on, world.last_day) - dt.timedelta(days=14), 10))
        sessions.add((session_id, created, created, course_id, day(on), location))
        for person in people:
            attended = not future and rng.random() < presence[person.id]
            attendances.add((session_id, person.id, True, attended, by.id, "季度必修培训"))
        return session_id

    on = world.start + dt.timedelta(days=rng.randint(8, 16))
    index = 0
    while on < world.last_day - dt.timedelta(days=2):
        present = [p for p in sellers if p.present_on(on)]
        hold(course_ids[index % len(course_ids)], on, present, hr, rng.choice(words.LOCATIONS))
        on += dt.timedelta(days=rng.randint(26, 36))
        index += 1
    for team in world.teams:
        on = world.start + dt.timedelta(days=rng.randint(30, 60))
        while on < world.last_day - dt.timedelta(days=2):
            present = [p for p in team.members if p.present_on(on)]
            hold(rng.choice(course_ids[1:]), on, present, team.manager, "大区会议室")
            on += dt.timedelta(days=rng.randint(80, 100))
        phase.advance()
    active = world.people["salespeople"]
    hold(
        course_ids[1],
        world.as_of + dt.timedelta(days=23),
        active,
        hr,
        words.LOCATIONS[1],
        future=True,
    )
    upcoming = sessions.new_id()
    created = moment(world.at(world.last_day, 10))
    sessions.add(
        (
            upcoming,
            created,
            created,
            course_ids[0],
            day(world.as_of + dt.timedelta(days=9)),
            words.LOCATIONS[0],
        )
    )
    for person in [p for p in active if p.skill < 74][:50]:
        attendances.add(
            (
                upcoming,
                person.id,
                True,
                False,
                person.team.manager.id,
                "客户反馈对储能技术细节不熟悉，建议参加",
            )
        )


def periods(world: World, writer) -> list[Period]:
    """The four quarters; commendations in the past ones (rows, before the flush)."""
    rng = world.rng("periods")
    sink = writer.sink(
        Period,
        ["id", "created_at", "updated_at", "name", "kind", "starts_on", "ends_on"],
    )
    commendations = writer.sink(
        Commendation,
        [
            "created_at",
            "updated_at",
            "person_id",
            "period_id",
            "title",
            "text",
            "given_by_id",
            "given_on",
        ],
        ids=False,
    )
    ids = []
    with override("zh-hans"):
        for start, end in quarters(world.as_of):
            period_id = sink.new_id()
            opened = moment(world.at(min(start, world.last_day), 9))
            name = str(period_default_name(PeriodKind.QUARTER, start, end))
            sink.add((period_id, opened, opened, name, PeriodKind.QUARTER, day(start), day(end)))
            ids.append((period_id, start, end))
    hr = world.people["hr"][0]
    sellers = world.people["salespeople"]
    for period_id, _start, end in ids[:-1]:
        winners = rng.sample(sellers, k=max(1, len(sellers) // 50))
        for person in winners:
            given_on = min(end + dt.timedelta(days=rng.randint(3, 8)), world.last_day)
            title, text = rng.choice(words.COMMENDATIONS)
            by = hr if rng.random() < 0.5 else person.team.manager
            at = moment(world.at(given_on, 11))
            commendations.add((at, at, person.id, period_id, title, text, by.id, day(given_on)))
    return [period_id for period_id, _s, _e in ids]


def close_past_quarters(world: World, period_ids: list[int], phase) -> int:
    """Close and publish the oldest quarter(s) as HR did a week or so after each ended: every
    active person's result frozen by the engine, ranked in their team, most acknowledged."""
    from pathscore.org.models import User

    rng = world.rng("closing")
    hr = world.people["hr"][0]
    people = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    written = 0
    for period in Period.objects.filter(pk__in=period_ids[:CLOSED_QUARTERS]).order_by("starts_on"):
        closed_at = world.at(period.ends_on + dt.timedelta(days=rng.randint(6, 9)), 10)
        published_at = closed_at + dt.timedelta(days=12, hours=5)
        if published_at >= world.now:
            continue
        scores = engine.evaluate(people, period, use_cache=False)
        results = []
        for score in scores.values():
            items = []
            for item in score.items:
                frozen = engine.to_json(item)
                frozen["auto_points"] = frozen["points"]
                items.append(frozen)
            results.append(
                Result(
                    period=period,
                    version=period.version,
                    person_id=score.person_id,
                    department_id=score.department_id,
                    scorecard_id=score.scorecard_id,
                    computed_total=score.total,
                    adjustment=Decimal(0),
                    total=score.total,
                    dimensions={
                        "scores": engine.to_json(score.dimensions),
                        "weights": engine.to_json(score.dimension_weights),
                        "team": engine.to_json(score.team_dimensions),
                        "team_size": score.team_size,
                    },
                    items=items,
                )
            )
        rank_in_teams(results)
        for result in results:
            if rng.random() < 0.75:
                result.acknowledged_at = _aware(closed_at + dt.timedelta(hours=rng.randint(4, 96)))
        Result.objects.bulk_create(results, batch_size=500)
        Result.objects.filter(period=period).update(
            created_at=_aware(closed_at), updated_at=_aware(closed_at)
        )
        Period.objects.filter(pk=period.pk).update(
            state=PeriodState.PUBLISHED,
            closed_at=_aware(closed_at),
            closed_by_id=hr.id,
            published_at=_aware(published_at),
            published_by_id=hr.id,
            updated_at=_aware(published_at),
        )
        written += len(results)
        phase.advance()
    return written


def _aware(naive_utc: dt.datetime) -> dt.datetime:
    return naive_utc.replace(tzinfo=dt.UTC)
