"""For admin tests: staff with chosen permissions, the admin history of an object, and
posting a change form as a browser would (the fields the page rendered)."""

from __future__ import annotations

from html.parser import HTMLParser

from asgiref.sync import sync_to_async
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client


def sign_in(client: Client, user) -> Client:
    """``client`` logged in as ``user``, reading the admin in English: the history's
    messages are written in the operator's language."""
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def staff(django_user_model, username: str, *codenames: str):
    """A staff user holding only these permissions of the im app."""
    user = django_user_model.objects.create_user(username, password="pw-staff-1", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="im", codename__in=codenames)
    )
    return user


def history(obj: Model) -> list[tuple[str, int, str]]:
    """The admin history of ``obj``: (operator, flag, message), oldest first."""
    content_type = ContentType.objects.get_for_model(type(obj))
    rows = LogEntry.objects.filter(content_type=content_type, object_id=str(obj.pk))
    return [
        (row.user.username, row.action_flag, row.change_message)
        for row in rows.select_related("user").order_by("pk")
    ]


ahistory = sync_to_async(history)


class _FormFields(HTMLParser):
    """The named inputs, selects and textareas of a page's form ``id``, with their values."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
        if not self.inside or "name" not in attr:
            if tag == "option" and self._select and ("selected" in attr):
                self.fields[self._select] = attr.get("value", "")
            return
        name = attr["name"]
        if tag == "input":
            kind = attr.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.fields[name] = attr.get("value", "on")
            elif kind not in ("submit", "button", "password"):
                self.fields[name] = attr.get("value", "")
        elif tag == "select":
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def change_form_data(client: Client, url: str, form_id: str) -> dict[str, str]:
    """What submitting the admin form ``form_id`` at ``url`` unchanged would post."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    return parser.fields
