from django.urls import path

from cmer.exchange import views

app_name = "exchange"
urlpatterns = [
    path("transmissions/", views.transmission_register, name="transmissions"),
    path("situations/<case:case_pk>/transmission/", views.transmission_create, name="transmission_create"),
    path("transmissions/<transmission:pk>/", views.transmission_detail, name="transmission_detail"),
    path(
        "transmissions/<transmission:pk>/approuver/", views.transmission_approve, name="transmission_approve"
    ),
    path(
        "transmissions/<transmission:pk>/reception/",
        views.transmission_acknowledge,
        name="transmission_acknowledge",
    ),
    path("retours-attendus/", views.feedback_pending, name="feedback_pending"),
    path("transmissions/<transmission:pk>/retour/", views.feedback_record, name="feedback_record"),
    path("informations-prefet/", views.prefect_info_list, name="prefect_info_list"),
    path("informations-prefet/nouvelle/", views.prefect_info_create, name="prefect_info_create"),
    path(
        "informations-prefet/<prefet_information:pk>/", views.prefect_info_detail, name="prefect_info_detail"
    ),
    path("points-menace/", views.briefings, name="briefings"),
    path("points-menace/<threat_briefing:pk>/consigner/", views.briefing_log, name="briefing_log"),
]
