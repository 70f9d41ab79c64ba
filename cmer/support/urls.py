from django.urls import path

from cmer.support import views

app_name = "support"
urlpatterns = [
    path("mes-actions/", views.my_actions, name="my_actions"),
    path("situations/<case:pk>/", views.plan_detail, name="plan"),
    path("situations/<case:pk>/actions/ajouter/", views.action_add, name="action_add"),
    path("actions/<action:pk>/", views.action_update, name="action"),
]
