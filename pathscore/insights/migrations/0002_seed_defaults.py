from django.db import migrations


def seed(apps, schema_editor):
    from pathscore.core.options import seed_options
    from pathscore.insights import options
    from pathscore.insights.alerts import thresholds

    seed_options(options.INTERVENTION_KIND, option_model=apps.get_model("core", "Option"))
    AlertThreshold = apps.get_model("insights", "AlertThreshold")
    for definition in thresholds.DEFINITIONS:
        AlertThreshold.objects.get_or_create(
            code=definition.code, defaults={"value": definition.default}
        )


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial"), ("core", "0002_option")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
