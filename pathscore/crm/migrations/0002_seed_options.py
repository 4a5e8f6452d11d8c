from django.db import migrations


def seed(apps, schema_editor):
    from pathscore.core.options import seed_options
    from pathscore.crm import options

    for kind in (options.CUSTOMER_TYPE, options.PROJECT_CATEGORY, options.FOLLOWUP_MODE):
        seed_options(kind, option_model=apps.get_model("core", "Option"))


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("core", "0002_option")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
