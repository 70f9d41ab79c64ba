"""The account e-mails: invitation, password reset, second factor reset, password changed.

Fixed texts. None names a followed person or a case (docs/security.md #6); the only variable
parts are the cell's commune, the role, and a single-use link.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from cmer.accounts.models import INVITATION_VALIDITY, Invitation, User

SIGNATURE = (
    "\n— CMER\n\nCe courriel ne contient volontairement aucune information sur les situations suivies.\n"
)


def _send(to: str, subject: str, body: str) -> None:
    EmailMessage(
        subject=subject, body=body + SIGNATURE, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    ).send(fail_silently=False)


def invitation_link(token: str) -> str:
    return settings.CMER_SITE_URL + reverse("accounts:invitation", kwargs={"token": token})


def send_invitation(invitation: Invitation, token: str) -> None:
    hours = int(INVITATION_VALIDITY.total_seconds() // 3600)
    body = (
        "Bonjour,\n\n"
        f"Vous êtes invité(e) à rejoindre la cellule CMER de {invitation.cell.name} "
        f"en tant que : {invitation.get_role_display()}.\n\n"
        "Pour accepter, ouvrez ce lien personnel, valable une seule fois pendant "
        f"{hours} heures :\n{invitation_link(token)}\n\n"
        "Vous choisirez un mot de passe, activerez la vérification en deux étapes puis lirez "
        "la charte de confidentialité de la cellule.\n"
        "Si vous n'attendiez pas cette invitation, ignorez ce courriel.\n"
    )
    _send(invitation.email, "Invitation à rejoindre une cellule CMER", body)


def send_password_reset(user: User, link: str) -> None:
    body = (
        "Bonjour,\n\n"
        "Une réinitialisation du mot de passe de votre compte CMER a été demandée.\n"
        f"Pour choisir un nouveau mot de passe, ouvrez ce lien, valable une heure et une seule fois :\n{link}\n\n"
        "La vérification en deux étapes vous sera toujours demandée à la connexion.\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : rien n'a changé.\n"
    )
    _send(user.email, "Réinitialisation de votre mot de passe CMER", body)


def send_factor_reset(user: User) -> None:
    body = (
        "Bonjour,\n\n"
        "Le président et le coordonnateur de votre cellule ont réinitialisé la vérification en "
        "deux étapes de votre compte CMER, à votre demande. Toutes vos sessions ont été fermées.\n\n"
        "À votre prochaine connexion, vous activerez une nouvelle application d'authentification :\n"
        f"{settings.CMER_SITE_URL}{reverse('accounts:login')}\n\n"
        "Si vous n'avez rien demandé, prévenez votre coordonnateur sans attendre.\n"
    )
    _send(user.email, "Votre second facteur CMER a été réinitialisé", body)


def send_password_changed(user: User) -> None:
    body = (
        "Bonjour,\n\n"
        "Le mot de passe de votre compte CMER vient d'être modifié, et vos autres sessions ont été "
        "fermées.\nSi vous n'êtes pas à l'origine de ce changement, prévenez votre coordonnateur "
        "sans attendre.\n"
    )
    _send(user.email, "Votre mot de passe CMER a été modifié", body)
