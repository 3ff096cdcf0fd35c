"""The console's staff roles: "Hutong support" looks and cannot act, "Hutong operators" acts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission

from im.models import App
from im.roles import OPERATORS, SUPPORT

pytestmark = pytest.mark.django_db


def staff(django_user_model, role: str):
    user = django_user_model.objects.create_user(role.split()[-1], password="pw-staff-1")
    user.is_staff = True
    user.save()
    user.groups.add(PermissionGroup.objects.get(name=role))
    return user


def test_the_roles_hold_the_right_permissions():
    support = set(
        PermissionGroup.objects.get(name=SUPPORT).permissions.values_list("codename", flat=True)
    )
    operators = set(
        PermissionGroup.objects.get(name=OPERATORS).permissions.values_list("codename", flat=True)
    )
    every = set(
        Permission.objects.filter(content_type__app_label="im").values_list("codename", flat=True)
    )
    assert support == {c for c in every if c.startswith("view_")}
    assert {"view_message", "view_group", "view_account", "view_app"} <= support
    assert operators == every
    assert {"recall_message", "disable_account", "dismiss_chat_group"} <= operators


def test_support_looks_but_cannot_change(client, django_user_model, im_app):
    client.force_login(staff(django_user_model, SUPPORT))
    page = f"/admin/im/app/{im_app.pk}/change/"
    assert client.get(page).status_code == 200
    answer = client.post(page, {"name": "renamed", "max_web_instances": 3})
    assert answer.status_code == 403
    assert App.objects.get(pk=im_app.pk).name == "test"


def test_operators_change(client, django_user_model, im_app):
    client.force_login(staff(django_user_model, OPERATORS))
    assert client.get("/admin/im/app/").status_code == 200
    assert client.get(f"/admin/im/app/{im_app.pk}/change/").status_code == 200
