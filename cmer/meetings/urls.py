from django.urls import path

from cmer.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("nouvelle/", views.meeting_create, name="create"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/convoquer/", views.meeting_convene, name="convene"),
    path("<int:pk>/ordre-du-jour/ajouter/", views.item_add, name="item_add"),
    path("<int:pk>/ouvrir/", views.meeting_open, name="open"),
    path("<int:pk>/annuler/", views.meeting_cancel, name="cancel"),
    path("<int:pk>/seance/", views.meeting_session, name="session"),
    path("<int:pk>/releve/", views.meeting_minutes, name="minutes"),
    path("<int:pk>/releve/valider/", views.minutes_validate, name="validate"),
    path("<int:pk>/convocation.pdf", views.convocation_pdf, name="convocation_pdf"),
    path("<int:pk>/ordre-du-jour.pdf", views.agenda_pdf, name="agenda_pdf"),
    path("<int:pk>/releve-de-decisions.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("points/<int:pk>/retirer/", views.item_remove, name="item_remove"),
    path("points/<int:pk>/deplacer/", views.item_move, name="item_move"),
    path("points/<int:pk>/inviter/", views.item_guest, name="item_guest"),
    path("points/<int:pk>/desinviter/", views.item_uninvite, name="item_uninvite"),
    path("points/<int:pk>/decision/", views.item_decide, name="decide"),
]
