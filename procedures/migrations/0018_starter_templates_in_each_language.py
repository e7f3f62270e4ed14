"""The starter templates in each language SOP Desk speaks (procedures/starter_templates/*.json,
translated by people who write procedures in it): a supervisor starts from guidance in their own
language, and the procedure takes the template's language."""

import json
from pathlib import Path

from django.db import migrations

FOLDER = Path(__file__).resolve().parent.parent / "starter_templates"
TRANSLATED = ["id", "fr", "hu"]


def _templates(language: str) -> list[dict]:
    return json.loads((FOLDER / f"{language}.json").read_text(encoding="utf-8"))


def install(apps, schema_editor):
    ProcedureTemplate = apps.get_model("procedures", "ProcedureTemplate")
    # the English set came with migration 0011: it is English whatever the site's language
    ProcedureTemplate.objects.filter(name__in=[t["name"] for t in _templates("en")]).update(
        language="en"
    )
    for language in TRANSLATED:
        for order, values in enumerate(_templates(language), start=1):
            ProcedureTemplate.objects.get_or_create(
                name=values["name"], defaults={**values, "order": order, "language": language}
            )


def uninstall(apps, schema_editor):
    ProcedureTemplate = apps.get_model("procedures", "ProcedureTemplate")
    for language in TRANSLATED:
        ProcedureTemplate.objects.filter(
            name__in=[t["name"] for t in _templates(language)], language=language
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("procedures", "0017_languages")]

    operations = [migrations.RunPython(install, uninstall)]
