from django.urls import path

from cmer.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("nouvelle/", views.meeting_create, name="create"),
    path("<meeting:pk>/", views.meeting_detail, name="detail"),
    path("<meeting:pk>/convoquer/", views.meeting_convene, name="convene"),
    path("<meeting:pk>/ordre-du-jour/ajouter/", views.item_add, name="item_add"),
    path("<meeting:pk>/ouvrir/", views.meeting_open, name="open"),
    path("<meeting:pk>/annuler/", views.meeting_cancel, name="cancel"),
    path("<meeting:pk>/seance/", views.meeting_session, name="session"),
    path("<meeting:pk>/releve/", views.meeting_minutes, name="minutes"),
    path("<meeting:pk>/releve/valider/", views.minutes_validate, name="validate"),
    path("<meeting:pk>/convocation.pdf", views.convocation_pdf, name="convocation_pdf"),
    path("<meeting:pk>/ordre-du-jour.pdf", views.agenda_pdf, name="agenda_pdf"),
    path("<meeting:pk>/releve-de-decisions.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("points/<agenda_item:pk>/retirer/", views.item_remove, name="item_remove"),
    path("points/<agenda_item:pk>/deplacer/", views.item_move, name="item_move"),
    path("points/<agenda_item:pk>/inviter/", views.item_guest, name="item_guest"),
    path("points/<agenda_item:pk>/desinviter/", views.item_uninvite, name="item_uninvite"),
    path("points/<agenda_item:pk>/decision/", views.item_decide, name="decide"),
]
