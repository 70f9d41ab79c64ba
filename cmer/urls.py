from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "CMER — administration de la plateforme"
admin.site.site_title = "CMER"

urlpatterns = [
    # The admin has no login of its own: everyone goes through password + second factor.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    ),
    path("admin/", admin.site.urls),
    path("", include("cmer.accounts.urls")),
    path("signalements/", include("cmer.referrals.urls")),
    path("situations/", include("cmer.cases.urls")),
    path("reunions/", include("cmer.meetings.urls")),
    path("accompagnement/", include("cmer.support.urls")),
    path("echanges/", include("cmer.exchange.urls")),
    path("notifications/", include("cmer.notifications.urls")),
    path("formation/", include("cmer.training.urls")),
    path("donnees/", include("cmer.privacy.urls")),
    path("statistiques/", include("cmer.stats.urls")),
    path("", include("cmer.core.urls")),
]
if settings.CMER_BENCH:  # bench/run.py only; off by default and refused by `check --deploy`
    urlpatterns.append(path("bench/", include("cmer.scale.urls")))

handler400 = "cmer.core.views.bad_request"
handler403 = "cmer.core.views.permission_denied"
handler404 = "cmer.core.views.page_not_found"
handler500 = "cmer.core.views.server_error"
