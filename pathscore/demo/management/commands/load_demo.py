from django.core.management.base import BaseCommand, CommandError

from pathscore.demo.loader import database_is_empty, demo_logins, load_demo


class Command(BaseCommand):
    help = "Load the demo company (a power-service company with three sales teams)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds people.",
        )

    def handle(self, *args, if_empty=False, **options):
        if not database_is_empty():
            if if_empty:
                self.stdout.write("The database already holds data; the demo was not loaded.")
                return
            raise CommandError(
                "The database already holds data. Load the demo only into an empty database "
                "(set PATHSCORE_DATA_DIR to a new folder, or use another database)."
            )
        self.stdout.write("Loading the demo company:")
        ctx = load_demo(stdout=self.stdout)
        print_logins(self.stdout, ctx.password)


def print_logins(stdout, password):
    stdout.write("")
    stdout.write(f"Demo logins — the password for every account is: {password}")
    for role, people in demo_logins():
        names = ", ".join(
            f"{p.username} ({p.name}{' · ' + p.department.name if p.department else ''})"
            for p in people
        )
        stdout.write(f"  {role:<18} {names}")
