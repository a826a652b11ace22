from django.db import migrations


def create_default_settings(apps, schema_editor):
    ScoringSettings = apps.get_model("scoring", "ScoringSettings")
    if not ScoringSettings.objects.exists():
        ScoringSettings.objects.create(version=1, note="Defaults of the scoring spec v1.")


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create_default_settings, migrations.RunPython.noop)]
