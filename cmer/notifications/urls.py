from django.urls import path

from cmer.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tout-lire/", views.mark_all_read, name="mark_all_read"),
    path("<notification:pk>/ouvrir/", views.notification_open, name="notification_open"),
    path("preferences/", views.preferences, name="preferences"),
]
