"""The console's staff roles, as Django permission groups kept in step with the code.

Operators give a staff user one of these in the admin's Users page. "Support" looks at
everything in the console and changes nothing; "Operators" may use every action. Both
are rewritten after every ``migrate``, so a permission added to a model reaches them.
"""

from __future__ import annotations

from typing import Any

SUPPORT = "Hutong support"
OPERATORS = "Hutong operators"


def ensure_roles(**kwargs: Any) -> None:
    """post_migrate receiver for the im app: create or refresh both roles."""
    from django.contrib.auth.models import Group as PermissionGroup
    from django.contrib.auth.models import Permission

    im_permissions = Permission.objects.filter(content_type__app_label="im")
    roles = {
        SUPPORT: im_permissions.filter(codename__startswith="view_"),
        OPERATORS: im_permissions,
    }
    for name, permissions in roles.items():
        role, _ = PermissionGroup.objects.get_or_create(name=name)
        role.permissions.set(permissions)
