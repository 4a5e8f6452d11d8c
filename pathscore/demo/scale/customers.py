"""Customers and their contacts, and the plan of which projects each customer brings.

A salesperson's share of the customers and of the projects follows their activity weight
(long-tailed), scaled by the part of the history they were here for. A customer of someone
who left passed to a teammate on their last day; projects started after that are the
teammate's from the start.
"""

from __future__ import annotations

import datetime as dt

from pathscore.crm.validators import CREDIT_CODE_ALPHABET, credit_code_check_character
from pathscore.demo.scale import vocabulary as words
from pathscore.demo.scale.bulk import moment
from pathscore.demo.scale.sizes import apportion
from pathscore.demo.scale.world import World

CREDIT_DIGITS = CREDIT_CODE_ALPHABET[:10] + "ABCDEFGHJK"


class CustomerRecord:
    """What the project generator needs of a customer."""

    __slots__ = ("id", "type_id", "type_code", "name", "short", "owner", "contacts")

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))


class ProjectSpec:
    """A project to generate: its customer, first owner, start and category."""

    __slots__ = ("id", "customer", "owner", "start", "category", "template", "key")

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))


def _credit_code(index: int, region_code: str) -> str:
    # A bijection of the index over 20^9 codes: unique, and not visibly sequential.
    number = (index * 7919 + 104_729) % 20**9
    digits = []
    for _ in range(9):
        number, rest = divmod(number, 20)
        digits.append(CREDIT_DIGITS[rest])
    body = "91" + region_code + "".join(digits)
    return body + credit_code_check_character(body)


def _person_name(rng) -> str:
    given = rng.choice(words.GIVEN)
    if rng.random() < 0.6:
        given += rng.choice(words.GIVEN)
    return rng.choice(words.SURNAMES) + given


def _successor(world: World, person, rng):
    team = person.team
    stayers = [m for m in team.members if m.left_on is None]
    return rng.choice(stayers) if stayers else team.manager


def build(world: World, writer, phase) -> list[ProjectSpec]:
    """Write the customers and contacts; return the projects to generate, oldest first."""
    from pathscore.crm.models import Contact, Customer

    scale = world.scale
    rng = world.rng("customers")
    customers = writer.sink(
        Customer,
        [
            "id",
            "created_at",
            "updated_at",
            "name",
            "customer_type_id",
            "credit_code",
            "region",
            "address",
            "latitude",
            "longitude",
            "owner_id",
        ],
    )
    contacts = writer.sink(
        Contact,
        [
            "id",
            "created_at",
            "updated_at",
            "customer_id",
            "name",
            "title",
            "decision_role",
            "mobile",
        ],
    )
    sellers = world.people["salespeople"] + world.people["departed"]
    successors = {p.id: _successor(world, p, rng) for p in world.people["departed"]}
    world.successors = successors
    weights = [p.weight for p in sellers]
    # Everyone has at least one customer, so every project share finds a customer.
    customer_counts = [1 + n for n in apportion(scale.customers - len(sellers), weights)]
    project_counts = apportion(scale.projects, weights)
    type_pool = [code for code, weight in words.TYPE_WEIGHTS for _ in range(weight)]
    type_pool = [code for code in type_pool if code in world.customer_types]
    used_names: set[str] = set()
    specs: list[ProjectSpec] = []
    index = 0
    for person, n_customers, n_projects in zip(
        sellers, customer_counts, project_counts, strict=True
    ):
        if n_customers == 0:
            continue
        team = person.team
        owner_now = successors.get(person.id, person)
        earliest = max(world.start, person.hire_date)
        latest = min(person.left_on or world.last_day, world.last_day)
        span = max((latest - earliest).days, 1)
        # Some customers bring many projects, most a few, some none yet.
        appeal = [rng.lognormvariate(0, 0.8) for _ in range(n_customers)]
        per_customer = apportion(n_projects, appeal)
        for n_of_customer in per_customer:
            index += 1
            type_code = rng.choice(type_pool)
            province, city, region_code = rng.choice(team.cities)
            for _attempt in range(4):
                name = rng.choice(words.NAME_PATTERNS[type_code]).format(
                    city=city, word=rng.choice(words.TRADE_WORDS)
                )
                if name not in used_names:
                    break
            else:
                name = f"{name}（{rng.choice(words.DISTRICTS)}{index % 97 + 1}号厂区）"
            used_names.add(name)
            starts = sorted(
                earliest + dt.timedelta(days=rng.randint(0, span)) for _ in range(n_of_customer)
            )
            if starts:
                known_since = max(
                    starts[0] - dt.timedelta(days=rng.randint(0, 20)),
                    earliest - dt.timedelta(days=20),
                )
            else:
                known_since = earliest + dt.timedelta(days=rng.randint(0, span))
            created = moment(world.at(known_since, rng.randint(9, 17), rng.choice((0, 20, 40))))
            customer_id = customers.new_id()
            latitude, longitude = team.centre
            customers.add(
                (
                    customer_id,
                    created,
                    created,
                    name,
                    world.customer_types[type_code].pk,
                    _credit_code(index, region_code) if rng.random() < 0.85 else None,
                    f"{province}·{city}",
                    f"{city}市{rng.choice(words.DISTRICTS)}{rng.randint(1, 399)}号",
                    f"{latitude + rng.uniform(-1.5, 1.5):.6f}",
                    f"{longitude + rng.uniform(-1.5, 1.5):.6f}",
                    owner_now.id,
                )
            )
            people = []
            for role, titles in rng.sample(words.CONTACT_ROLES, k=rng.randint(2, 4)):
                contact_id = contacts.new_id()
                contact_name = _person_name(rng)
                title = rng.choice(titles)
                contacts.add(
                    (
                        contact_id,
                        created,
                        created,
                        customer_id,
                        contact_name,
                        title,
                        role,
                        f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                    )
                )
                people.append((contact_id, contact_name + title))
            record = CustomerRecord(
                id=customer_id,
                type_id=world.customer_types[type_code].pk,
                type_code=type_code,
                name=name,
                short=name.replace("有限公司", "").replace("股份", "").replace("集团", "")[:10],
                owner=person,
                contacts=people,
            )
            categories = [
                code
                for code in words.CATEGORY_FOR_TYPE.get(type_code, ["equipment"])
                if code in world.categories
            ] or list(world.categories)
            for sequence, start in enumerate(starts):
                first_owner = person
                if person.left_on and start >= person.left_on:
                    first_owner = owner_now
                category = rng.choice(categories)
                specs.append(
                    ProjectSpec(
                        customer=record,
                        owner=first_owner,
                        start=start,
                        category=category,
                        template=world.templates[(record.type_id, world.categories[category].pk)],
                        key=(start, customer_id, sequence),
                    )
                )
            phase.advance()
    specs.sort(key=lambda spec: spec.key)
    world.counts["customers"] = index
    world.counts["contacts"] = contacts.count + len(contacts.rows)
    return specs
