import datetime as dt
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pathscore.demo.scale.generator import (
    DEFAULT_SEED,
    AfterSeedFailed,
    SeedRefused,
    generate,
)
from pathscore.demo.scale.progress import Progress
from pathscore.demo.scale.sizes import PUBLIC_SCALES, SCALES


def as_of_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of wants a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Generate a deterministic company of scale S, M or L into an empty database "
        "(L: 1,000 salespeople, 30,000 customers, 100,000 projects, 2,000,000 follow-ups)."
    )

    def add_arguments(self, parser):
        parser.add_argument("scale", choices=[*PUBLIC_SCALES, "XS"], metavar="SCALE")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--as-of", type=as_of_date, default=None)
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, scale, seed, as_of, quiet=False, **options):
        size = SCALES[scale]
        self.stdout.write(
            f"Generating scale {size.name} (seed {seed}, as of {as_of or 'today'}): "
            f"{size.salespeople:,} salespeople in {size.teams:,} teams, "
            f"{size.customers:,} customers, {size.projects:,} projects, "
            f"{size.followups:,} follow-ups."
        )
        progress = Progress(None if quiet else sys.stderr)
        try:
            summary = generate(scale=size, seed=seed, as_of=as_of, progress=progress)
        except SeedRefused as error:
            raise CommandError(str(error)) from None
        except AfterSeedFailed as error:
            print_summary(self.stdout, error.summary, settings.PATHSCORE_DEMO_PASSWORD)
            raise CommandError(str(error)) from None
        print_summary(self.stdout, summary, settings.PATHSCORE_DEMO_PASSWORD)


#: The tables the summary names, in the order it names them.
SUMMARY_TABLES = (
    ("org_user", "people"),
    ("crm_customer", "customers"),
    ("crm_contact", "contacts"),
    ("crm_project", "projects"),
    ("crm_followup", "follow-ups"),
    ("node instances", "node instances"),
    ("process_submission", "submissions"),
    ("crm_documentversion", "document versions"),
    ("process_handofftask", "hand-off tasks"),
    ("process_delayreason", "delay reasons"),
    ("scoring_result", "frozen results"),
)


def print_summary(stdout, summary, password) -> None:
    rows = summary.rows
    counted = ", ".join(
        f"{rows[table]:,} {label}" for table, label in SUMMARY_TABLES if table in rows
    )
    stdout.write(
        f"Done in {summary.seconds:.1f} s (as of {summary.as_of}, seed {summary.seed}): {counted}."
    )
    stdout.write("")
    stdout.write(f"Logins — the password for every account is: {password}")
    for role, usernames in summary.people.items():
        stdout.write(f"  {role:<18} {', '.join(usernames)}")
