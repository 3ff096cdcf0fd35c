"""The admin's overview page: per app, accounts online, messages, groups, and a chart.

A plain admin view (``chatsite/urls.py`` mounts it under the admin), reading through
``im.stats``; the chart is SVG drawn here, so the page needs no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from im.stats import AppActivity, app_activity, hour_starts

# The chart's drawing box, in SVG user units.
CHART_WIDTH = 480
CHART_HEIGHT = 120
BAR_GAP = 2


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    count: int
    label: str


def hourly_bars(activity: AppActivity, labels: list[str]) -> list[Bar]:
    """One bar per hour, scaled to the busiest hour (a quiet day still shows its shape)."""
    width = CHART_WIDTH // len(activity.per_hour)
    peak = max(activity.per_hour) or 1
    bars = []
    for i, (count, label) in enumerate(zip(activity.per_hour, labels, strict=True)):
        height = round(count * CHART_HEIGHT / peak)
        bars.append(Bar(i * width, CHART_HEIGHT - height, width - BAR_GAP, height, count, label))
    return bars


def may_view_overview(request: HttpRequest) -> bool:
    """Staff who may read messages: the page is mostly message activity."""
    return (
        request.user.is_active
        and request.user.is_staff
        and request.user.has_perm("im.view_message")
    )


def overview_view(request: HttpRequest) -> HttpResponse:
    if not may_view_overview(request):
        raise PermissionDenied
    now = timezone.now()
    labels = [f"{timezone.localtime(start):%H:%M}" for start in hour_starts(now)]
    apps = [(activity, hourly_bars(activity, labels)) for activity in app_activity(now)]
    context = {
        **admin.site.each_context(request),
        "title": _("Overview"),
        "apps": apps,
        "now": now,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
    }
    return TemplateResponse(request, "admin/im/overview.html", context)
