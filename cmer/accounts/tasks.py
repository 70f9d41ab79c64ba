"""Background e-mails of the accounts app (django-tasks, run by `manage.py db_worker`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from cmer.accounts import emails
from cmer.accounts.models import User


@task()
def send_password_reset(user_id: int | None) -> bool:
    """Send the reset link, built here: the queue holds an account id (or nothing), never a token.

    The request for an unknown address enqueues this task too, with no id, so that both answers
    of the public form do the same work (docs/security.md, "Recovery").
    """
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    emails.send_password_reset(user, settings.CMER_SITE_URL + path)
    return True
