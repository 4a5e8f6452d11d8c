from django.db import migrations


def seed(apps, schema_editor):
    from pathscore.process.seeding import seed_defaults

    seed_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("process", "0001_initial"), ("crm", "0002_seed_options")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
