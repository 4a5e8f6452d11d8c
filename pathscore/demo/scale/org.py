"""The generated company's organisation: company → sales centre → regions → teams, the
technical support centre, HR, IT and audit, and everybody in them with their roles.

Every account gets the same password, hashed once (hashing it per person with Argon2 would
take minutes at scale L). Salespeople differ in how much they do (a long-tailed activity
weight), how punctual they are and how good their documents are; a few left during the
history (deactivated; their projects were handed over to a teammate).
"""

from __future__ import annotations

import datetime as dt

from pathscore.core.choices import Role
from pathscore.demo.scale import vocabulary as words
from pathscore.demo.scale.bulk import day, moment
from pathscore.demo.scale.world import Person, Team, World
from pathscore.org.choices import DepartmentKind
from pathscore.org.models import Department, RoleGrant, User

EMAIL_DOMAIN = "yuanjing-power.example"


def _name(rng) -> str:
    given = rng.choice(words.GIVEN)
    if rng.random() < 0.7:
        given += rng.choice(words.GIVEN)
    return rng.choice(words.SURNAMES) + given


def build(world: World, writer, phase) -> None:
    scale = world.scale
    rng = world.rng("org")
    departments = writer.sink(
        Department,
        [
            "id",
            "created_at",
            "updated_at",
            "name",
            "code",
            "kind",
            "parent_id",
            "head_id",
            "path",
            "depth",
            "sort_order",
        ],
    )
    users = writer.sink(
        User,
        [
            "id",
            "password",
            "username",
            "name",
            "employee_no",
            "email",
            "mobile",
            "department_id",
            "title",
            "hire_date",
            "is_active",
            "date_joined",
        ],
    )
    grants = writer.sink(RoleGrant, ["user_id", "role"], ids=False)
    founded = world.start - dt.timedelta(days=3 * 365)
    founded_at = moment(world.at(founded, 9))

    # Department ids first: people belong to departments and departments have heads.
    dept_rows: list[dict] = []

    def department(code, name, kind, parent, order):
        row = {
            "id": departments.new_id(),
            "code": code,
            "name": name,
            "kind": kind,
            "parent": parent,
            "order": order,
            "head": None,
        }
        row["path"] = (parent["path"] if parent else "/") + f"{row['id']}/"
        row["depth"] = parent["depth"] + 1 if parent else 0
        dept_rows.append(row)
        world.departments[code] = row["id"]
        return row

    company = department("company", words.COMPANY_NAME, DepartmentKind.COMPANY, None, 0)
    sales = department("sales", "销售中心", DepartmentKind.BRANCH, company, 1)
    regions, team_rows = [], []
    for region_index in range(scale.regions):
        region_name, cities = words.REGIONS[region_index % len(words.REGIONS)]
        region = department(
            f"region-{region_index + 1:02d}",
            f"{region_name}大区",
            DepartmentKind.BRANCH,
            sales,
            region_index + 1,
        )
        regions.append(region)
        for number in range(scale.teams_per_region):
            city = cities[number % len(cities)]
            rank = number // len(cities)
            team_name = f"{city[1]}销售{words.TEAM_NUMBERS[rank % len(words.TEAM_NUMBERS)]}部"
            team_rows.append(
                (
                    department(
                        f"team-{len(team_rows) + 1:03d}",
                        team_name,
                        DepartmentKind.TEAM,
                        region,
                        number + 1,
                    ),
                    region_index,
                )
            )
    tech = department("tech-support", "技术支持中心", DepartmentKind.TEAM, company, 2)
    hr = department("hr", "人力资源部", DepartmentKind.TEAM, company, 3)
    it = department("it", "信息中心", DepartmentKind.TEAM, company, 4)
    audit = department("audit", "审计部", DepartmentKind.TEAM, company, 5)

    employee_numbers = iter(range(1, 10**6))
    user_rows: list[tuple] = []

    def person(username, roles, department_row, title, *, years, left_on=None, name=None):
        hire = world.as_of - dt.timedelta(days=int(365 * years))
        someone = Person(
            id=users.new_id(),
            username=username,
            name=name or _name(rng),
            department_id=department_row["id"],
            hire_date=hire,
            left_on=left_on,
            is_active=left_on is None,
        )
        user_rows.append(
            (
                someone.id,
                world.password_hash,
                username,
                someone.name,
                f"YJ{next(employee_numbers):06d}",
                f"{username}@{EMAIL_DOMAIN}",
                f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                department_row["id"],
                title,
                day(hire),
                someone.is_active,
                moment(world.at(min(hire, world.last_day), 9)),
            )
        )
        for role in roles:
            grants.add((someone.id, role))
        return someone

    def seniority() -> float:
        # Most have a few years behind them; about one in twenty joined during the history.
        if rng.random() < 0.05:
            return rng.uniform(0.15, scale.history_days / 365 - 0.05)
        return min(14.0, rng.lognormvariate(1.2, 0.6))

    executives = [
        person("ceo", [Role.EXECUTIVE], company, "总经理", years=15),
        person("vp", [Role.EXECUTIVE], company, "副总经理", years=11),
    ]
    company["head"] = executives[0].id
    director = person("director", [Role.SALES_MANAGER], sales, "销售总监", years=10)
    sales["head"] = director.id
    region_heads = []
    for index, region in enumerate(regions):
        head = person(f"region{index + 1:02d}", [Role.SALES_MANAGER], region, "大区总监", years=9)
        region["head"] = head.id
        region_heads.append(head)
    for index, (team_row, region_index) in enumerate(team_rows):
        manager = person(
            f"manager{index + 1:03d}",
            [Role.SALES_MANAGER],
            team_row,
            f"{team_row['name']}经理",
            years=rng.uniform(4, 10),
        )
        team_row["head"] = manager.id
        _region_name, cities = words.REGIONS[region_index % len(words.REGIONS)]
        world.teams.append(
            Team(
                index=index,
                department_id=team_row["id"],
                region=region_index,
                manager=manager,
                members=[],
                cities=cities,
                centre=words.REGION_CENTRES[region_index % len(words.REGION_CENTRES)],
            )
        )

    salespeople = []
    for index in range(scale.salespeople):
        team = world.teams[index % len(world.teams)]
        years = seniority()
        someone = person(
            f"sales{index + 1:04d}",
            [Role.SALESPERSON],
            next(row for row, _r in team_rows if row["id"] == team.department_id),
            "高级客户经理" if years >= 5 else ("客户经理" if years >= 1.5 else "销售代表"),
            years=years,
        )
        someone.team = team
        team.members.append(someone)
        salespeople.append(someone)
    departed = []
    for index in range(scale.departed):
        team = world.teams[(index * 7) % len(world.teams)]
        left_on = world.start + dt.timedelta(days=rng.randint(60, max(61, scale.history_days - 40)))
        someone = person(
            f"former{index + 1:02d}",
            [Role.SALESPERSON],
            next(row for row, _r in team_rows if row["id"] == team.department_id),
            "客户经理",
            years=rng.uniform(3, 7),
            left_on=left_on,
        )
        someone.team = team
        team.members.append(someone)
        departed.append(someone)

    for someone in salespeople + departed:
        present_from = max(someone.hire_date, world.start)
        present_to = someone.left_on or world.as_of
        presence = max((present_to - present_from).days, 10) / scale.history_days
        # Activity is long-tailed: a few people do several times the median's work.
        someone.weight = rng.lognormvariate(0, 0.6) * presence
        years = (world.as_of - someone.hire_date).days / 365
        punctual = 0.78 + 0.03 * min(years, 5) + rng.uniform(-0.06, 0.06)
        if rng.random() < 0.08:
            punctual -= 0.3  # more projects than they can handle
        someone.punctuality = min(0.96, punctual)
        someone.skill = rng.uniform(64, 74) if rng.random() < 0.1 else rng.uniform(74, 90)
        # Hours until they record a follow-up (and pass the customer's words on).
        someone.lag = rng.choice((0.3, 0.5, 1, 1, 2, 3, 6, 12, 20, 30))

    engineers = []
    for index in range(scale.engineers):
        engineers.append(
            person(
                f"tech{index + 1:03d}",
                [Role.TECHNICAL_SUPPORT],
                tech,
                "技术支持中心主任" if index == 0 else words.ENGINEER_TITLES[index % 3],
                years=rng.uniform(2, 12),
            )
        )
    tech["head"] = engineers[0].id
    hr_admins = [
        person("hr01", [Role.HR_ADMIN], hr, "绩效管理员", years=8),
        person("hr02", [Role.HR_ADMIN], hr, "绩效专员", years=3),
    ]
    hr["head"] = hr_admins[0].id
    admin = person("admin", [Role.SYSTEM_ADMIN], it, "信息中心工程师", years=6)
    it["head"] = admin.id
    auditor = person("auditor", [Role.AUDITOR], audit, "内审专员", years=5)
    audit["head"] = auditor.id

    for row in dept_rows:
        departments.add(
            (
                row["id"],
                founded_at,
                founded_at,
                row["name"],
                row["code"],
                row["kind"],
                row["parent"]["id"] if row["parent"] else None,
                row["head"],
                row["path"],
                row["depth"],
                row["order"],
            )
        )
    for row in user_rows:
        users.add(row)
        phase.advance()

    world.people.update(
        salespeople=salespeople,
        departed=departed,
        engineers=engineers,
        executives=executives,
        director=[director],
        region_heads=region_heads,
        managers=[team.manager for team in world.teams],
        hr=hr_admins,
        admin=[admin],
        auditor=[auditor],
    )
    world.tech_department_id = tech["id"]
    world.counts["departments"] = len(dept_rows)
    world.counts["people"] = len(user_rows)


def headcount(scale) -> int:
    """How many accounts :func:`build` creates."""
    return (
        2
        + 1
        + scale.regions
        + scale.teams
        + scale.salespeople
        + scale.departed
        + scale.engineers
        + 2
        + 1
        + 1
    )
