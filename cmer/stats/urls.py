from django.urls import path

from cmer.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.stats_index, name="index"),
    path("export.csv", views.stats_csv, name="csv"),
    path("rapport-annuel.pdf", views.annual_report_pdf, name="annual_report_pdf"),
]
