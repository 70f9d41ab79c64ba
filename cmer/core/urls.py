from django.urls import path

from cmer.core import views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("sante/", views.sante, name="sante"),
]
