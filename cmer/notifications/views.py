"""The notification inbox and the e-mail preference (per user and current cell; no personal data)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.core.policy import get_visible_or_404
from cmer.notifications import kinds, services
from cmer.notifications.forms import PreferencesForm
from cmer.notifications.models import Notification, NotificationQuerySet


def _inbox(request: CellRequest) -> NotificationQuerySet:
    return Notification.objects.visible_to(request.user, request.cell)


def _groups(request: CellRequest, notifications: list[Notification]) -> list[dict[str, Any]]:
    """Repeats (same kind, same target) shown once, newest first, with their count and the reference."""
    groups: dict[tuple[str, str, int | None], dict[str, Any]] = {}
    for n in notifications:  # newest first: the first of a group is its newest
        group = groups.setdefault(
            (n.kind, n.target_type, n.target_id), {"newest": n, "count": 0, "unread": False}
        )
        group["count"] += 1
        group["unread"] = group["unread"] or n.read_at is None
    by_type: dict[str, list[int]] = {}
    for _kind, target_type, target_id in groups:
        if target_type and target_id is not None:
            by_type.setdefault(target_type, []).append(target_id)
    names = {t: kinds.references(t, request.membership, ids) for t, ids in by_type.items()}
    for (kind, target_type, target_id), group in groups.items():
        declared = kinds.get(kind)
        group["reason"] = declared.email_line if declared else ""
        group["reference"] = names.get(target_type, {}).get(target_id) if target_id is not None else None
    return list(groups.values())


@require_GET
def inbox(request: CellRequest) -> HttpResponse:
    notifications = list(_inbox(request)[:200])
    context = {
        "groups": _groups(request, notifications),
        "any_unread": any(n.read_at is None for n in notifications),
    }
    return render(request, "notifications/inbox.html", context)


@require_POST
def mark_all_read(request: CellRequest) -> HttpResponse:
    marked = services.notifications_mark_read(notifications=_inbox(request), by=request.user)
    messages.success(
        request,
        ngettext("%(n)d notification marquée comme lue.", "%(n)d notifications marquées comme lues.", marked)
        % {"n": marked},
    )
    return redirect("notifications:inbox")


@require_POST
def notification_open(request: CellRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(request, _inbox(request), pk=pk)
    services.notification_mark_read(notification=notification, by=request.user)
    # Its repeats were shown as one line: opening it reads them all.
    repeats = _inbox(request).filter(
        kind=notification.kind, target_type=notification.target_type, target_id=notification.target_id
    )
    services.notifications_mark_read(notifications=repeats, by=request.user)
    # The link is computed from the kind and the target, never read from stored text.
    return redirect(notification.link)


@require_http_methods(["GET", "POST"])
def preferences(request: CellRequest) -> HttpResponse:
    user = request.user
    # An unchecked box posts nothing: bind on the method, not on the (empty) data.
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={"email_notifications": user.email_notifications},
    )
    if request.method == "POST" and form.is_valid():
        services.email_preference_set(user=user, enabled=form.cleaned_data["email_notifications"])
        messages.success(request, _("Préférences enregistrées."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
