"""The ``pathscore`` command: demo, serve, migrate, createadmin, worker, seed, backup, restore,
manage.

Each subcommand wraps Django's management commands so an operator never needs to know
``manage.py``. A broken ``PATHSCORE_*`` variable stops here with one line naming it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess  # nosec B404
import sys
import time
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathscore.settings")
    from pathscore.env import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as error:
        print(f"pathscore: configuration error: {error}", file=sys.stderr)
        sys.exit(2)


def _manage(*args: str) -> None:
    from django.core.management import CommandError, call_command

    try:
        call_command(*args)
    except CommandError as error:
        print(f"pathscore: {error}", file=sys.stderr)
        sys.exit(1)


def cmd_migrate(args) -> None:
    """Apply database migrations and create the cache table."""
    _setup_django()
    quiet = ["-v", "0"] if args.quiet else []
    _manage("migrate", "--no-input", *quiet)
    from django.conf import settings

    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        _manage("createcachetable", *quiet)


def _as_of(value: str) -> str:
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date as YYYY-MM-DD: {value!r}") from None
    return value


def cmd_seed(args) -> None:
    """Load the demo company, or generate a company of a given scale, into an empty
    database."""
    if args.scale is None and (args.seed is not None or args.as_of is not None):
        print("pathscore: --seed and --as-of go with --scale", file=sys.stderr)
        sys.exit(2)
    cmd_migrate(argparse.Namespace(quiet=True))
    if args.scale is None:
        _manage("load_demo")
        return
    options = [args.scale]
    if args.seed is not None:
        options += ["--seed", str(args.seed)]
    if args.as_of is not None:
        options += ["--as-of", args.as_of]
    _manage("seed_scale", *options)


def cmd_createadmin(args) -> None:
    """Create a system administrator account."""
    _setup_django()
    from django.core.exceptions import ValidationError

    from pathscore.core.choices import Role
    from pathscore.org import services
    from pathscore.org.models import User

    if User.objects.filter(username=args.username).exists():
        print(f"pathscore: the user {args.username!r} exists already", file=sys.stderr)
        sys.exit(1)
    password = os.environ.get("PATHSCORE_ADMIN_PASSWORD") or ""
    while not password:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            print("The passwords differ; try again.")
            continue
        password = first
    try:
        services.user_create(
            username=args.username, name=args.name, password=password, roles=[Role.SYSTEM_ADMIN]
        )
    except ValidationError as error:
        print("pathscore: " + " ".join(error.messages), file=sys.stderr)
        sys.exit(1)
    print(f"System administrator {args.username!r} created.")


def _worker_command(periodic: bool) -> list[str]:
    command = [sys.executable, "-m", "pathscore", "manage", "run_huey", "--quiet"]
    if not periodic:
        command.append("--no-periodic")
    return command


def _web_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "pathscore.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]


def _run_together(commands: list[list[str]]) -> int:
    """Run the web server and the job consumer; stop both when either stops or on Ctrl-C."""
    # Fixed argument lists built from sys.executable; no shell, no user input.
    processes = [subprocess.Popen(command) for command in commands]  # noqa: S603  # nosec B603

    def stop(*_):
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return max(process.returncode or 0 for process in processes)


def cmd_serve(args) -> None:
    """Serve the web application with the background job consumer beside it."""
    _setup_django()
    print(f"Pathscore is serving on http://{args.host}:{args.port}/  (Ctrl-C stops)", flush=True)
    commands = [_web_command(args.host, args.port, args.workers)]
    if not args.no_worker:
        commands.append(_worker_command(periodic=True))
    sys.exit(_run_together(commands))


def cmd_worker(args) -> None:
    """Run a background job consumer (exactly one per installation runs periodic tasks)."""
    _setup_django()
    # Replaces this process with our own job consumer; no shell, no user input.
    os.execv(sys.executable, _worker_command(periodic=not args.no_periodic))  # noqa: S606 # nosec


def cmd_demo(args) -> None:
    """Migrate, load the demo company if the database is empty, print logins, serve."""
    cmd_migrate(argparse.Namespace(quiet=True))
    from django.conf import settings

    from pathscore.demo.loader import database_is_empty
    from pathscore.demo.management.commands.load_demo import print_logins

    if database_is_empty():
        _manage("load_demo")
    else:
        from django.core.management.base import OutputWrapper

        print("The database already holds data; the demo company was not reloaded.")
        print_logins(OutputWrapper(sys.stdout), settings.PATHSCORE_DEMO_PASSWORD)
    print(f"\nData folder: {settings.DATA_DIR}", flush=True)
    if args.no_serve:
        return
    cmd_serve(args)


def _refused(error) -> None:
    print("pathscore: " + " ".join(error.messages), file=sys.stderr)
    sys.exit(1)


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def _describe(manifest) -> str:
    return (
        f"{len(manifest.tables)} tables, {manifest.row_count:,} rows, "
        f"{len(manifest.files):,} files ({_size(manifest.file_bytes)})"
    )


def cmd_backup(args) -> None:
    """Write a snapshot of the database and the uploaded files, or check one."""
    _setup_django()
    from django.core.exceptions import ValidationError

    from pathscore.core import backup

    started = time.monotonic()
    try:
        if args.verify:
            manifest = backup.backup_verify(args.verify)
            print(
                f"{args.verify}: every checksum matches. Made {manifest.created_at} on "
                f"{manifest.engine} by Pathscore {manifest.app_version}: {_describe(manifest)}."
            )
            return
        target = backup.snapshot_path(args.output or backup.default_backup_dir())
        manifest = backup.backup_create(target=target)
    except ValidationError as error:
        _refused(error)
    print(
        f"Snapshot written to {target} ({_size(target.stat().st_size)}): "
        f"{_describe(manifest)}, in {time.monotonic() - started:.1f} s."
    )
    if manifest.missing_files:
        print(
            f"Warning: {len(manifest.missing_files)} files the database refers to were not in "
            f"the media folder, e.g. {manifest.missing_files[0]}",
            file=sys.stderr,
        )


def cmd_restore(args) -> None:
    """Rebuild the database and the uploaded files from a snapshot."""
    _setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.exceptions import ValidationError

    from pathscore.core import backup

    started = time.monotonic()
    try:
        manifest = backup.backup_restore(source=args.path, force=args.force)
    except ValidationError as error:
        _refused(error)
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        # The cache lives in the same database: nothing cached about the old data survives.
        _manage("createcachetable", "-v", "0")
        cache.clear()
    print(
        f"Restored {args.path} (made {manifest.created_at} on {manifest.engine}): "
        f"{_describe(manifest)}, in {time.monotonic() - started:.1f} s.\n"
        "Everybody has been signed out. Restart the web processes and the workers."
    )


def cmd_bench(args) -> None:
    """Run the benchmark suite (benchmarks/, in the source tree) on the configured database."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "benchmarks" / "run.py").exists():
        print("pathscore: the benchmark suite is part of the source tree only", file=sys.stderr)
        sys.exit(2)
    sys.path.insert(0, str(root))
    from benchmarks.run import main as bench_main

    bench_main(args.rest)


def cmd_manage(args) -> None:
    """Run any Django management command (for developers)."""
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pathscore manage", *args.rest])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathscore",
        description="Pathscore — sales process assessment (销售过程考核系统).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name, func, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=func)
        return sub

    def add_server_options(sub):
        sub.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
        sub.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
        sub.add_argument("--workers", type=int, default=2, help="web worker processes")
        sub.add_argument("--no-worker", action="store_true", help="do not start the job consumer")

    demo = add("demo", cmd_demo, "set up and serve the demo company")
    add_server_options(demo)
    demo.add_argument("--no-serve", action="store_true", help="set up only; do not serve")

    serve = add("serve", cmd_serve, "serve the web application and the job consumer")
    add_server_options(serve)

    migrate = add("migrate", cmd_migrate, "apply database migrations")
    migrate.add_argument("--quiet", action="store_true", help="print nothing on success")

    admin = add("createadmin", cmd_createadmin, "create a system administrator")
    admin.add_argument("--username", default="admin", help="login name (default: admin)")
    admin.add_argument("--name", default="Administrator", help="display name")

    worker = add("worker", cmd_worker, "run a background job consumer")
    worker.add_argument(
        "--no-periodic",
        action="store_true",
        help="do not run periodic jobs (for every consumer but one)",
    )

    seed = add("seed", cmd_seed, "load the demo company into an empty database")
    seed.add_argument(
        "--scale",
        choices=("S", "M", "L"),
        help="generate a company of this size instead (S: for CI; M: one tenth of L; L: 1,000 "
        "salespeople, 30,000 customers, 100,000 projects, 2,000,000 follow-ups)",
    )
    seed.add_argument(
        "--seed",
        type=int,
        help="the random seed of the generated company (default: a fixed one)",
    )
    seed.add_argument(
        "--as-of",
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="the day the generated history leads up to (default: today); the same seed and "
        "date give the same rows",
    )

    backup = add("backup", cmd_backup, "write a snapshot of the database and the uploaded files")
    backup_target = backup.add_mutually_exclusive_group()
    backup_target.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="the archive to write, or a folder for it (default: PATHSCORE_DATA_DIR/backups/)",
    )
    backup_target.add_argument(
        "--verify",
        type=Path,
        metavar="PATH",
        help="check every checksum of an existing snapshot instead of writing one",
    )

    restore = add(
        "restore", cmd_restore, "rebuild the database and the uploaded files from a snapshot"
    )
    restore.add_argument("path", type=Path, help="the snapshot archive (.tar.gz)")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a database that already holds data (everything in it is lost)",
    )

    # Its own options (--quick, --scale, --only, --output) are read by benchmarks/run.py.
    add("bench", cmd_bench, "measure the Performance table on the configured database")

    manage = add("manage", cmd_manage, "run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER, help="the command and its arguments")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        args.rest = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.func(args)


if __name__ == "__main__":
    main()
