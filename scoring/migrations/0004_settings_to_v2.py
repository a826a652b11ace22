from django.db import migrations
from django.forms.models import model_to_dict

V2 = {"scoring_model_active": "hybrid_momentum_v2", "w_tx": 0.35, "w_vol": 0.35, "w_fresh": 0.15, "w_oi": 0.15}


def settings_to_v2(apps, schema_editor):
    """The active settings, moved to scoring spec v2 and its default weights, as a new version."""
    ScoringSettings = apps.get_model("scoring", "ScoringSettings")
    active = ScoringSettings.objects.order_by("-version").first()
    if active is None or active.scoring_model_active == V2["scoring_model_active"]:
        return
    values = model_to_dict(active, exclude=["id", "version", "created_at", "created_by", "note"])
    ScoringSettings.objects.create(
        **{**values, **V2},
        version=active.version + 1,
        note="Scoring spec v2 (hybrid_momentum_v2) with its default weights.",
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0003_scoring_spec_v2")]

    operations = [migrations.RunPython(settings_to_v2, migrations.RunPython.noop)]
