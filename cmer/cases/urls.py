from django.urls import path

from cmer.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("a-qualifier/", views.queue, name="queue"),
    path("recherche/", views.search, name="search"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/qualifier/", views.qualify, name="qualify"),
    path("<int:pk>/prendre/", views.take, name="take"),
    path("<int:pk>/cloturer/", views.close, name="close"),
    path("<int:pk>/a-examiner/", views.send_to_review, name="to_review"),
    path("<int:pk>/archiver/", views.archive, name="archive"),
    path("<int:pk>/consulter-archive/", views.archive_access, name="archive_access"),
    path("<int:pk>/rattacher/", views.attach, name="attach"),
    path("<int:pk>/information/", views.information, name="information"),
    path("<int:pk>/lettre-information.pdf", views.information_letter, name="information_letter"),
]
