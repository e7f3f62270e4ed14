"""The four roles of SOP Desk as groups, and the document controller's admin permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("Agent", "Supervisor", "Manager", "Document controller")

# What the document controller manages in the admin: categories, owners and people.
CONTROLLER_PERMISSIONS = {
    "procedures": [
        "add_category", "change_category", "view_category",
        "change_procedure", "view_procedure",
        "view_revision",
        "add_user", "change_user", "view_user",
    ],
    "auth": ["view_group"],
}  # fmt: skip


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    controller = Group.objects.get(name="Document controller")
    for app_label, codenames in CONTROLLER_PERMISSIONS.items():
        controller.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
