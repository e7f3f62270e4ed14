"""The document controller sets the approval rules."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["add_approvalrule", "change_approvalrule", "view_approvalrule", "view_auditevent"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    controller, _created = Group.objects.get_or_create(name="Document controller")
    controller.permissions.add(
        *Permission.objects.filter(content_type__app_label="procedures", codename__in=CODENAMES)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    controller = Group.objects.filter(name="Document controller").first()
    if controller:
        controller.permissions.remove(*Permission.objects.filter(codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [("procedures", "0004_append_only_records")]

    operations = [migrations.RunPython(grant, revoke)]
