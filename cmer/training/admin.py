"""Platform admins set up providers, trainers' organisations and the training settings.

Certifications, sessions and the catalogue are edited in the application (audited), not here.
"""

from django.contrib import admin
from django.http import HttpRequest

from cmer.training.models import Provider, Trainer, TrainingPolicy


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "is_active"]


@admin.register(Trainer)
class TrainerAdmin(admin.ModelAdmin):
    list_display = ["membership", "provider"]
    raw_id_fields = ["membership"]


@admin.register(TrainingPolicy)
class TrainingPolicyAdmin(admin.ModelAdmin):
    list_display = ["quiz_required", "quiz_pass_mark", "validity_years"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TrainingPolicy.objects.exists()
