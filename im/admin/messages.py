"""Messages in the operators' admin: find them, read them, recall them as the operator.

Built to stay fast at millions of rows: no filter lists distinct values of a column
(message types are a fixed list), no facet counts, no full count beside the filtered
one, no date hierarchy (its DISTINCT over truncated dates scans the table), and the
search understands prefixes that hit indexed columns.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from im.errors import IMError
from im.models import Conversation, Message
from im.serializers import MESSAGE_FOR_SHOW, message_for_show, message_id
from im.services.messages import check_revoke_as_operator
from im.services.payloads import CUSTOM, FACE, TEXT

SUMMARY_LENGTH = 60

# search prefix -> the lookup it filters on; each term narrows the result (AND).
SEARCH_PREFIXES = {
    "from": "sender__user_id",
    "group": "conversation__group__group_id",
}
C2C_PREFIX = "c2c"


def conversation_label(conversation: Conversation) -> str:
    """How an operator names a conversation: the C2C pair, the groupID, or whose notices."""
    if conversation.kind == Conversation.Kind.C2C:
        return f"{conversation.account_low.user_id} ↔ {conversation.account_high.user_id}"
    if conversation.kind == Conversation.Kind.GROUP:
        return conversation.group.group_id
    return f"@TIM#SYSTEM {conversation.account_low.user_id}"


def search_filter(term: str) -> Q:
    """One search term: ``from:alice``, ``group:@TGS#1``, ``c2c:alice`` (a C2C conversation
    with alice; two such terms name the pair), or else words of a text message."""
    prefix, sep, value = term.partition(":")
    if sep and value and prefix.lower() in SEARCH_PREFIXES:
        return Q(**{SEARCH_PREFIXES[prefix.lower()]: value})
    if sep and value and prefix.lower() == C2C_PREFIX:
        return Q(conversation__kind=Conversation.Kind.C2C) & (
            Q(conversation__account_low__user_id=value)
            | Q(conversation__account_high__user_id=value)
        )
    return Q(type=TEXT, payload__text__icontains=term)


class TypeFilter(admin.SimpleListFilter):
    """TIM's element types as a fixed list: listing the stored ones would scan the table."""

    title = _("type")
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        sendable = [TEXT, CUSTOM, FACE]
        others = [t for t in MESSAGE_FOR_SHOW if t not in sendable]
        return [(t, t) for t in sendable + others]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        return queryset.filter(type=self.value()) if self.value() else queryset


class SentFilter(admin.DateFieldListFilter):
    """Django's date ranges, with the past hour and day first (what a report is about).

    Any other range is a URL away: ``?created_at__gte=...&created_at__lt=...``."""

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        # To the minute, so the chosen link still shows as chosen when the page reloads.
        now = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
        recent = [
            (_("Past hour"), {self.lookup_kwarg_since: str(now - timedelta(hours=1))}),
            (_("Past 24 hours"), {self.lookup_kwarg_since: str(now - timedelta(days=1))}),
        ]
        self.links = (self.links[0], *recent, *self.links[1:])


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: messages come from members; the operator only recalls them."""

    list_display = [
        "created_at",
        "app",
        "conversation_name",
        "sender",
        "type",
        "summary",
        "is_revoked",
    ]
    list_display_links = ["created_at"]
    list_filter = [
        "conversation__app",
        "conversation__kind",
        TypeFilter,
        "is_revoked",
        ("created_at", SentFilter),
    ]
    list_select_related = [
        "conversation__app",
        "conversation__account_low",
        "conversation__account_high",
        "conversation__group",
        "sender",
    ]
    search_fields = ["payload"]  # only to show the box: get_search_results decides
    search_help_text = _(
        "Words of a text message, or from:userID, group:groupID, c2c:userID (twice for a pair)."
    )
    ordering = ["-created_at", "-pk"]
    # The filtered count is the paginator's; the unfiltered one would be a second scan.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    fields = [
        "created_at",
        "app",
        "conversation_name",
        "seq",
        "tim_id",
        "sender",
        "type",
        "payload",
        "priority",
        "cloud_custom_data",
        "is_revoked",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["recall"]

    @admin.display(description=_("app"), ordering="conversation__app")
    def app(self, message: Message) -> str:
        return str(message.conversation.app)

    @admin.display(description=_("conversation"))
    def conversation_name(self, message: Message) -> str:
        return conversation_label(message.conversation)

    @admin.display(description=_("text"))
    def summary(self, message: Message) -> str:
        text = message_for_show(message) or message.type
        return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"

    @admin.display(description=_("message ID"))
    def tim_id(self, message: Message) -> str:
        return message_id(message)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Message], search_term: str
    ) -> tuple[QuerySet[Message], bool]:
        for term in smart_split(search_term):
            if term[:1] in "\"'" and term[:1] == term[-1:]:
                term = unescape_string_literal(term)
            queryset = queryset.filter(search_filter(term))
        return queryset, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_recall_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("im.recall_message")

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # Django ignores an action the user may not see; a forged one is refused outright.
        action = request.POST.get("action")
        if request.method == "POST" and action and action not in self.get_actions(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_recall": self.has_recall_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list:
        recall = path(
            "<path:object_id>/recall/",
            self.admin_site.admin_view(self.recall_view),
            name="im_message_recall",
        )
        return [recall, *super().get_urls()]

    @admin.action(permissions=["recall"], description=_("Recall as the operator"))
    def recall(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        recalled = 0
        for message in queryset:
            if self._recall(request, message):
                recalled += 1
        if recalled:
            self.message_user(
                request, gettext("%(count)d messages recalled.") % {"count": recalled}
            )

    def recall_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The detail page's recall button (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_recall_permission(request):
            raise PermissionDenied
        message = get_object_or_404(Message, pk=object_id)
        if self._recall(request, message):
            self.message_user(request, gettext("The message was recalled."))
        return HttpResponseRedirect(reverse("admin:im_message_change", args=[message.pk]))

    def _recall(self, request: HttpRequest, message: Message) -> bool:
        """Recall through the service, record it in the admin's history, or say why not."""
        try:
            check_revoke_as_operator(message_pk=message.pk)
        except IMError as error:
            self.message_user(
                request, f"{message_id(message)}: {error.message} ({error.code})", "error"
            )
            return False
        self.log_change(request, message, gettext("Recalled as the operator."))
        return True
