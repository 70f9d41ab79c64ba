from django.urls import path

from cmer.accounts import proconnect, views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("connexion/second-facteur/", views.otp_verify, name="otp_verify"),
    path("connexion/activer-second-facteur/", views.otp_setup, name="otp_setup"),
    path("compte/", views.account, name="account"),
    path("compte/mot-de-passe/", views.password_change_view, name="password_change"),
    path("compte/securite/", views.security, name="backup_codes"),
    path("cellule/choisir/", views.choose_cell, name="choose_cell"),
    path("cellule/charte/", views.charter, name="charter"),
    path("cellule/membres/", views.members, name="members"),
    path("cellule/membres/ajouter/", views.member_add, name="member_add"),
    path("cellule/membres/<int:pk>/terminer/", views.member_end, name="member_end"),
    path("cellule/membres/<int:pk>/role/", views.member_role, name="member_role"),
]

# ProConnect (docs/proconnect.md): these URLs exist only when the installation turns it on.
urlpatterns += proconnect.urlpatterns()
