from django.urls import path

from cmer.core import public, views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("mentions-legales/", public.legal, name="legal"),
    path("donnees-personnelles/", public.personal_data, name="personal_data"),
    path("accessibilite/", public.accessibility, name="accessibility"),
    path("plan-du-site/", public.sitemap, name="sitemap"),
    path("robots.txt", public.robots_txt, name="robots"),
    path("sante/", views.sante, name="sante"),
]
