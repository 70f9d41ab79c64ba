"""The notification inbox and the e-mail preference (per user and current cell; no personal data)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.core.policy import get_visible_or_404
from cmer.notifications import services
from cmer.notifications.forms import PreferencesForm
from cmer.notifications.models import Notification, NotificationQuerySet


def _inbox(request: CellRequest) -> NotificationQuerySet:
    return Notification.objects.visible_to(request.user, request.cell)


@require_GET
def inbox(request: CellRequest) -> HttpResponse:
    notifications = _inbox(request)[:200]
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@require_POST
def notification_open(request: CellRequest, pk: int) -> HttpResponse:
    notification = get_visible_or_404(request, _inbox(request), pk=pk)
    services.notification_mark_read(notification=notification, by=request.user)
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
