from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cmer.core.forms import DsfrForm


class PreferencesForm(DsfrForm):
    email_notifications = forms.BooleanField(
        label=_("Recevoir un courriel quand une action m'attend"),
        help_text=_(
            "Le courriel ne contient aucune information sur les situations. La boîte de réception reste active."
        ),
        required=False,
    )
