from django.urls import path

from cmer.accounts import passkeys, proconnect, views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("connexion/second-facteur/", views.otp_verify, name="otp_verify"),
    path("connexion/activer-second-facteur/", views.otp_setup, name="otp_setup"),
    path("connexion/cle-d-acces/enregistree/", views.passkey_enrolled, name="passkey_enrolled"),
    # The JSON steps of the passkey ceremonies, called by the library's scripts.
    path(
        "connexion/cle-d-acces/verifier/debut/",
        passkeys.AuthenticationBegin.as_view(),
        name="passkey_auth_begin",
    ),
    path(
        "connexion/cle-d-acces/verifier/fin/",
        passkeys.AuthenticationComplete.as_view(),
        name="passkey_auth_complete",
    ),
    path(
        "connexion/cle-d-acces/enregistrer/debut/",
        passkeys.RegistrationBegin.as_view(),
        name="passkey_register_begin",
    ),
    path(
        "connexion/cle-d-acces/enregistrer/fin/",
        passkeys.RegistrationComplete.as_view(),
        name="passkey_register_complete",
    ),
    path("compte/", views.account, name="account"),
    path("compte/securite/", views.security, name="backup_codes"),
    path("compte/securite/application/", views.totp_replace, name="totp_replace"),
    path("compte/mot-de-passe/", views.password_change, name="password_change"),
    path("compte/securite/cle-d-acces/", views.passkey_add, name="passkey_add"),
    path("compte/securite/cle-d-acces/<passkey:pk>/retirer/", views.passkey_remove, name="passkey_remove"),
    path("mot-de-passe-oublie/", views.password_reset, name="password_reset"),
    path(
        "mot-de-passe-oublie/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("cellule/choisir/", views.choose_cell, name="choose_cell"),
    path("cellule/charte/", views.charter, name="charter"),
    path("cellule/membres/", views.members, name="members"),
    path("cellule/membres/ajouter/", views.member_add, name="member_add"),
    path("cellule/membres/<membership:pk>/terminer/", views.member_end, name="member_end"),
    path("cellule/membres/<membership:pk>/role/", views.member_role, name="member_role"),
    path("cellule/membres/a-valider/", views.approvals, name="approvals"),
    path("cellule/membres/<membership:pk>/valider/", views.member_approve, name="member_approve"),
    path("cellule/membres/inviter/", views.invitation_create, name="invitation_create"),
    path("cellule/invitations/<invitation:pk>/renvoyer/", views.invitation_resend, name="invitation_resend"),
    path("cellule/invitations/<invitation:pk>/revoquer/", views.invitation_revoke, name="invitation_revoke"),
    path(
        "cellule/membres/<membership:pk>/reinitialiser-second-facteur/",
        views.factor_reset_request,
        name="factor_reset_request",
    ),
    path(
        "cellule/reinitialisations/<factor_reset:pk>/approuver/",
        views.factor_reset_approve,
        name="factor_reset_approve",
    ),
]

# ProConnect (docs/proconnect.md): these URLs exist only when the installation turns it on.
urlpatterns += proconnect.urlpatterns()
