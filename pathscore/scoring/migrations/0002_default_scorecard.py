from django.db import migrations


def seed(apps, schema_editor):
    from pathscore.scoring.bundled import seed_default_scorecard

    seed_default_scorecard(apps)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
