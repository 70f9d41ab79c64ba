from django.urls import path

from cmer.training import views

app_name = "training"
urlpatterns = [
    path("", views.self_study, name="self_study"),
    path("quiz/", views.quiz_view, name="quiz"),
    path("catalogue/brouillon/", views.draft, name="draft"),
    path("catalogue/brouillon/creer/", views.draft_create, name="draft_create"),
    path("catalogue/brouillon/indicateur/", views.draft_indicator, name="draft_indicator"),
    path("catalogue/brouillon/domaine/", views.draft_domain, name="draft_domain"),
    path("catalogue/brouillon/mise-en-garde/", views.draft_caveat, name="draft_caveat"),
    path("catalogue/brouillon/retirer/", views.draft_delete, name="draft_delete"),
    path("catalogue/brouillon/approuver/", views.draft_approve, name="draft_approve"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/creer/", views.session_create, name="session_create"),
    path("sessions/<training_session:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<training_session:pk>/presences/", views.attendance_add, name="attendance_add"),
    path(
        "sessions/<training_session:pk>/habilitations/", views.certification_issue, name="certification_issue"
    ),
    path(
        "habilitations/<certification:pk>/retirer/", views.certification_revoke, name="certification_revoke"
    ),
    path("habilitations/a-renouveler/", views.expiring, name="expiring"),
    path("vigilance-redaction/", views.bias_counts, name="bias_counts"),
    path("vigilance-redaction/a-relire/", views.bias_overrides, name="bias_overrides"),
    path(
        "vigilance-redaction/a-relire/<bias_override:pk>/relu/",
        views.bias_override_review,
        name="bias_override_review",
    ),
]
