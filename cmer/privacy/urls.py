from django.urls import path

from cmer.privacy import views

app_name = "privacy"
urlpatterns = [
    path("dpo/", views.dpo_home, name="dpo"),
    path("dpo/journal/", views.audit_search, name="audit_search"),
    path("dpo/chartes/", views.charter_acceptances, name="charters"),
    path("dpo/comptes/", views.accounts, name="accounts"),
    path("dpo/purges/", views.purge_reports, name="purge_reports"),
    path("dpo/purges/<purge_report:pk>/", views.purge_report, name="purge_report"),
    # One view per document; each format keeps its own URL so that exports are listed as such.
    path("dpo/registre/", views.register, {"fmt": "html"}, name="register"),
    path("dpo/registre.md", views.register, {"fmt": "md"}, name="register_md"),
    path("dpo/registre.pdf", views.register, {"fmt": "pdf"}, name="register_pdf"),
    path("dpo/aipd/", views.dpia, {"fmt": "html"}, name="dpia"),
    path("dpo/aipd.md", views.dpia, {"fmt": "md"}, name="dpia_md"),
    path("dpo/aipd.pdf", views.dpia, {"fmt": "pdf"}, name="dpia_pdf"),
    path("droits/", views.rights, name="rights"),
    path("droits/nouvelle/", views.rights_create, name="rights_create"),
    path("droits/<rights_request:pk>/", views.rights_update, name="rights_update"),
    path("droits/<rights_request:pk>/extrait/", views.rights_extract, name="rights_extract"),
    path("situations/<case:pk>/rectifier/", views.rectify, name="rectify"),
    path("situations/<case:pk>/effacer/", views.erase, name="erase"),
    path("dpo/information/", views.information_due_list, name="information_due"),
    path("dpo/motifs-archives/", views.archive_reasons, name="archive_reasons"),
    path("conservation/", views.retention, name="retention"),
    path("conservation/modifier/", views.retention_edit, name="retention_edit"),
    path("conservation/valider/", views.retention_validate, name="retention_validate"),
    path("conservation/purge/", views.purge_start, name="purge_start"),
]
