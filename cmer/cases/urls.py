from django.urls import path

from cmer.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("a-qualifier/", views.queue, name="queue"),
    path("recherche/", views.search, name="search"),
    path("<case:pk>/", views.detail, name="detail"),
    path("<case:pk>/qualifier/", views.qualify, name="qualify"),
    path("<case:pk>/prendre/", views.take, name="take"),
    path("<case:pk>/cloturer/", views.close, name="close"),
    path("<case:pk>/a-examiner/", views.send_to_review, name="to_review"),
    path("<case:pk>/archiver/", views.archive, name="archive"),
    path("<case:pk>/consulter-archive/", views.archive_access, name="archive_access"),
    path("<case:pk>/rattacher/", views.attach, name="attach"),
    path("<case:pk>/information/", views.information, name="information"),
    path("<case:pk>/lettre-information.pdf", views.information_letter, name="information_letter"),
]
