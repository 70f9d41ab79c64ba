from django.urls import path

from cmer.referrals import views

app_name = "referrals"
urlpatterns = [
    path("nouveau/", views.submit, name="submit"),
    path("mes-signalements/", views.mine, name="mine"),
    path("<referral:pk>/accuse-de-reception/", views.acknowledgement, name="acknowledgement"),
]
