"""Scale-out check: two app processes and two job consumers against one database.

Starts, on this machine, what docs/deployment.md describes for a company that outgrows one
machine: PostgreSQL, Redis, two gunicorn processes (two workers each) and two Huey
consumers, exactly one of them running the periodic tasks. Then it proves that they work
as one installation:

- a session signed in through app A is honoured by app B (sessions and cache are shared);
- projects created through both apps with an API token each raise a ``project.created``
  webhook; every delivery reaches a local receiver exactly once, correctly signed;
- the receiver refuses every first attempt (503), so each delivery is only completed by
  the retry that the *periodic* task queues a minute later: periodic tasks run, and only
  the consumer started without ``--no-periodic`` schedules them;
- both consumers execute jobs from the shared queue.

Run it from the repository root (about three minutes, most of it loading the demo and
waiting for the one-minute retry):

    .venv/bin/python benchmarks/scaleout/check.py

It creates and finally drops the database ``pathscore_scaleout`` and empties Redis
database 13 (see ``--database`` and ``--redis-db``). Exit status 0 means every check held.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import http.cookies
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECTS = 12


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver that refuses each delivery's first attempt and checks signatures."""

    secret = ""
    attempts: Counter = Counter()
    accepted: list = []
    bad_signatures: list = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        delivery = self.headers["X-Pathscore-Delivery"]
        timestamp = self.headers["X-Pathscore-Timestamp"]
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        with self.lock:
            self.attempts[delivery] += 1
            first = self.attempts[delivery] == 1
            if not hmac.compare_digest(self.headers["X-Pathscore-Signature"], "sha256=" + expected):
                self.bad_signatures.append(delivery)
            elif not first:
                self.accepted.append((delivery, json.loads(body)["event"]))
        self.send_response(503 if first else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


def run(command, env, **kwargs):
    return subprocess.run(command, env=env, check=True, **kwargs)  # noqa: S603 - our own commands


def wait_for(url: str, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - loopback only
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def api(base: str, token: str, path: str, payload: dict | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + path,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def _cookies(response) -> dict:
    """Cookies a response sets. The production cookies are marked Secure, which a cookie jar
    would not send back over the plain HTTP of loopback, so they are carried by hand."""
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _request(base: str, path: str, *, cookies: dict, data: bytes | None = None):
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if data is not None:
        headers |= {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": base + path,
        }
    connection.request("POST" if data else "GET", path, body=data, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def session_crosses_processes(app_a: str, app_b: str, username: str, password: str) -> bool:
    """Sign in on app A with the login form; use the same session cookie on app B."""
    cookies = _cookies(_request(app_a, "/accounts/login/", cookies={}))
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": cookies["csrftoken"], "username": username, "password": password}
    ).encode()
    cookies |= _cookies(_request(app_a, "/accounts/login/", cookies=cookies, data=form))
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(app_b).netloc, timeout=30)
    session = {"Cookie": f"sessionid={cookies['sessionid']}"}
    connection.request("GET", "/api/v1/me/", headers=session)
    response = connection.getresponse()
    return response.status == 200 and json.loads(response.read())["username"] == username


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="pathscore_scaleout")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--ports", default="8101,8102")
    parser.add_argument("--receiver-port", type=int, default=8199)
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    data_dir = Path(tempfile.mkdtemp(prefix="pathscore-scaleout-"))
    env = {
        **os.environ,
        "PATHSCORE_ENV": "production",
        "PATHSCORE_SECRET_KEY": secrets.token_urlsafe(50),
        "PATHSCORE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PATHSCORE_SSL_REDIRECT": "false",
        "PATHSCORE_DATA_DIR": str(data_dir),
        "PATHSCORE_DATABASE_URL": f"{args.pg}/{args.database}",
        "PATHSCORE_REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "PATHSCORE_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PATHSCORE_LOG_LEVEL": "INFO",
    }
    psql = ["psql", "-q", "-d", f"{args.pg}/postgres", "-c"]
    run([*psql, f"DROP DATABASE IF EXISTS {args.database}"], env)
    run([*psql, f"CREATE DATABASE {args.database}"], env)
    run(["redis-cli", "-n", str(args.redis_db), "flushdb"], env, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    print("loading the demo company into PostgreSQL …", flush=True)
    run([BIN / "pathscore", "seed"], env, stdout=subprocess.DEVNULL)
    collect = [BIN / "pathscore", "manage", "collectstatic", "--no-input"]
    run(collect, env, stdout=subprocess.DEVNULL)

    os.environ.update(env, DJANGO_SETTINGS_MODULE="pathscore.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from pathscore.crm.models import Customer
    from pathscore.notify import services as notify
    from pathscore.org import services as org
    from pathscore.org.models import User

    admin = User.objects.get(username="admin")
    salesperson = User.objects.get(username="wangfang")
    tokens = [
        org.token_create(user=salesperson, name=f"app {p}", scope="write", expires_in_days=30)[1]
        for p in ports
    ]
    customer = Customer.objects.visible_to(salesperson).order_by("pk").first()
    webhook, Receiver.secret = notify.webhook_create(
        actor=admin,
        name="scale-out check",
        url=f"http://127.0.0.1:{args.receiver_port}/hook",
        events=["project.created"],
        allow_private=True,
    )
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", args.receiver_port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    logs = {}
    processes = []

    def start(name: str, command: list) -> None:
        logs[name] = data_dir / f"{name}.log"
        handle = open(logs[name], "w")  # noqa: SIM115 - closed with the process
        processes.append(
            subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)  # noqa: S603
        )

    gunicorn = [BIN / "gunicorn", "pathscore.wsgi:application", "--workers", "2"]
    for port in ports:
        start(f"app-{port}", [*gunicorn, "--bind", f"127.0.0.1:{port}"])
    consumer = [BIN / "pathscore", "manage", "run_huey", "--workers", "2"]
    start("worker-periodic", consumer)
    start("worker-2", [*consumer, "--no-periodic"])
    checks: list[tuple[str, bool, str]] = []
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base in bases:
            wait_for(base + "/accounts/login/")
        checks.append(
            (
                "a session from app A works on app B",
                session_crosses_processes(*bases, "wangfang", "pathscore-demo"),
                "sign in on A, GET /api/v1/me/ on B",
            )
        )
        sample = api(bases[0], tokens[0], "/api/v1/projects/?page_size=1")["results"][0]
        created = []
        for i in range(PROJECTS):
            app = i % len(bases)
            project = api(
                bases[app],
                tokens[app],
                "/api/v1/projects/",
                {
                    "name": f"扩容验证项目 {i + 1:02d}",
                    "customer": customer.pk,
                    "category": sample["category"],
                    "estimated_amount": "100000.00",
                },
            )
            created.append(project["id"])
        print(f"created {len(created)} projects through {len(bases)} app processes", flush=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(Receiver.accepted) < PROJECTS:
            time.sleep(2)
        delivered = Counter(d for d, _ in Receiver.accepted)
        checks.append(
            (
                "every project.created delivered exactly once after its retry",
                len(delivered) == PROJECTS and set(delivered.values()) == {1},
                f"{len(delivered)} deliveries accepted, attempts "
                f"{sorted(Counter(Receiver.attempts.values()).items())} (attempts: deliveries)",
            )
        )
        checks.append(("every signature valid", not Receiver.bad_signatures, "HMAC-SHA256"))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        receiver.shutdown()
    text = {name: path.read_text() for name, path in logs.items()}
    # Count the consumer's own log lines only (the same events also reach the root logger).
    periodic = {
        name: len(re.findall(r"INFO:huey[.:].*Enqueueing periodic task", t))
        for name, t in text.items()
    }
    executed = {
        name: len(re.findall(r"INFO:huey:.*:Executing pathscore\.", t)) for name, t in text.items()
    }
    checks.append(
        (
            "only the periodic consumer schedules periodic tasks",
            periodic["worker-periodic"] > 0 and periodic["worker-2"] == 0,
            f"periodic enqueues: {periodic['worker-periodic']} and {periodic['worker-2']}",
        )
    )
    checks.append(
        (
            "both consumers execute jobs",
            executed["worker-periodic"] > 0 and executed["worker-2"] > 0,
            f"jobs executed: {executed['worker-periodic']} and {executed['worker-2']}",
        )
    )
    errors = sum(t.count("Traceback") for t in text.values())
    checks.append(("no traceback in any log", errors == 0, f"{errors} tracebacks"))
    from django.db import connections

    connections.close_all()
    run([*psql, f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"], env)
    print(f"\nscale-out check, {time.monotonic() - started:.0f} s, logs in {data_dir}")
    for label, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}  ({detail})")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
