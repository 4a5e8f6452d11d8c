"""Load scenario: salespeople record follow-ups while their managers read the dashboards.

Run it through ``benchmarks/load/run.sh`` (or ``make load``), which loads the demo company into a
fresh data folder and serves it with gunicorn on the loopback interface. Importing locust patches
sockets and threads (gevent), so this file lives outside ``tests/`` and pytest never collects it.

Every user signs in through the ordinary login form, as a person would, and keeps its session.
A response counts as a failure when its status is not the expected one or when it lands on the
login page (a lost session).
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("PATHSCORE_DEMO_PASSWORD", "pathscore-demo")
LOGIN_URL = "/accounts/login/"

# The demo company's people (pathscore/org/demo.py): the salespeople of the three sales teams,
# their three managers and the sales director. Importing the module would need Django set up.
SALESPEOPLE = [
    "wangfang",
    "zhangwei",
    "liuyang",
    "chenjing",
    "yangfan",
    "sunhao",
    "zhoujie",
    "wuxia",
    "zhenglei",
    "fengtao",
    "luoping",
    "tangli",
    "hanbing",
    "caoyu",
    "xuqian",
]
MANAGERS = ["liqiang", "zhaomin", "hejun", "mahui"]

FOLLOWUP_MODES = ["visit", "phone", "online"]
FOLLOWUP_NOTES = [
    "电话沟通技术方案细节，客户关注设备交付周期。",
    "上门拜访设备处，介绍运维服务方案并收集需求。",
    "线上会议讨论报价调整，客户希望分期付款。",
    "与客户技术负责人确认现场勘查时间。",
]
DRILL_DOWNS = [
    "/insights/projects/",
    "/insights/followups/",
    "/insights/nodes/",
    "/insights/nodes/?kind=due_soon",
]

# Each simulated user takes the next person of its kind, so the load spreads over the company.
_next_salesperson = itertools.cycle(SALESPEOPLE)
_next_manager = itertools.cycle(MANAGERS)


# The statistics are reset once every user has signed in and looked up its projects, so the
# report shows the steady state rather than the sign-in burst (argon2 hashing, slow by design).
# Failures are counted over the whole run.
_failures = {"count": 0, "crashes": 0}
_ready_users = {"count": 0}


def _ready(environment) -> None:
    _ready_users["count"] += 1
    if _ready_users["count"] == environment.parsed_options.num_users:
        environment.stats.reset_all()


class PathscoreUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def sign_in(self) -> None:
        self.client.get(LOGIN_URL, name=LOGIN_URL)
        with self.client.post(
            LOGIN_URL,
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": self.host + LOGIN_URL},
            name=f"{LOGIN_URL} [POST]",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or response.url.endswith(LOGIN_URL):
                response.failure(f"{self.username} could not sign in ({response.status_code})")

    def page(self, url: str, name: str | None = None) -> None:
        """Open a page; a redirect to the login page is a failure, not a success."""
        with self.client.get(url, name=name or url, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif LOGIN_URL in response.url:
                response.failure("signed out")


class Salesperson(PathscoreUser):
    """Opens the home page and the follow-up form, and records follow-ups on own projects."""

    weight = 3

    def on_start(self) -> None:
        self.username = next(_next_salesperson)
        self.sign_in()
        me = self.client.get("/api/v1/me/", name="/api/v1/me/").json()
        projects = self.client.get(
            "/api/v1/projects/?status=active&page_size=200", name="/api/v1/projects/"
        ).json()["results"]
        own = [project["id"] for project in projects if project["owner"] == me["id"]]
        self.projects = own or [project["id"] for project in projects]
        _ready(self.environment)

    @task(3)
    def home(self) -> None:
        self.page("/")

    @task(2)
    def followup_form(self) -> None:
        self.page("/followups/new/")

    @task(3)
    def record_followup(self) -> None:
        if not self.projects:
            return
        occurred = datetime.now(UTC) - timedelta(minutes=random.randint(5, 600))
        with self.client.post(
            "/api/v1/followups/",
            json={
                "project": random.choice(self.projects),
                "occurred_at": occurred.isoformat(),
                "mode": random.choice(FOLLOWUP_MODES),
                "content": random.choice(FOLLOWUP_NOTES),
                "client_key": str(uuid.uuid4()),
            },
            headers={
                "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                "Referer": self.host + "/followups/new/",
            },
            name="/api/v1/followups/ [POST]",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")


class Manager(PathscoreUser):
    """Opens the team dashboard, a drill-down behind one of its figures, and the periods."""

    weight = 1

    def on_start(self) -> None:
        self.username = next(_next_manager)
        self.sign_in()
        _ready(self.environment)

    @task(3)
    def dashboard(self) -> None:
        self.page("/insights/")

    @task(2)
    def drill_down(self) -> None:
        self.page(random.choice(DRILL_DOWNS), name="/insights/<drill-down>/")

    @task(1)
    def periods(self) -> None:
        self.page("/scoring/periods/")


@events.request.add_listener
def _count_failure(exception=None, **_kwargs) -> None:
    if exception is not None:
        _failures["count"] += 1


@events.user_error.add_listener
def _count_crash(**_kwargs) -> None:
    _failures["crashes"] += 1


@events.quitting.add_listener
def _fail_on_any_error(environment, **_kwargs) -> None:
    """Exit non-zero when a single request failed: the scenario's bar is zero errors."""
    if _failures["count"] or _failures["crashes"]:
        print(
            f"{_failures['count']} requests failed during the run (sign-in included) "
            f"and {_failures['crashes']} user tasks raised an exception."
        )
        environment.process_exit_code = 1
