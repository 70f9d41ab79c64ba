"""Operational heartbeats. Notifications moved to cmer/notifications (same table, core_notification)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a background job last completed ("worker", "purge"): a name and a time, nothing else.

    Read by the readiness endpoint (/sante/) and `manage.py doctor`; written by cmer/core/health.py.
    """

    name = models.CharField(max_length=32, primary_key=True)
    at = models.DateTimeField(_("dernier passage"))

    class Meta:
        verbose_name = _("battement")

    def __str__(self) -> str:
        return self.name
