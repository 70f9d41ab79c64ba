from django.urls import path

from cmer.meetings import pdf as meeting_pdf
from cmer.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.stats_index, name="index"),
    path("export.csv", views.stats_csv, name="csv"),
    path("rapport-annuel.pdf", views.annual_report_pdf, name="annual_report_pdf"),
    # Meeting documents live with the other PDF exports (the meetings app owns the screens).
    path("reunions/<int:pk>/convocation.pdf", meeting_pdf.convocation_pdf, name="meeting_convocation_pdf"),
    path("reunions/<int:pk>/ordre-du-jour.pdf", meeting_pdf.agenda_pdf, name="meeting_agenda_pdf"),
    path("reunions/<int:pk>/releve-de-decisions.pdf", meeting_pdf.minutes_pdf, name="meeting_minutes_pdf"),
]
