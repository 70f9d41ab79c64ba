"""Platform administration: cells, accounts, memberships. Never any personal case data.

Every change made here is written to the audit trail like any other.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.http import HttpRequest

from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, Protocol, User
from cmer.audit.services import record


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            fields = sorted(form.changed_data) if change else []
            record(
                action=f"admin.{obj._meta.model_name}.{'changed' if change else 'created'}",
                actor=request.user,
                cell=getattr(obj, "cell_id", None),
                target=obj,
                data={f"changed_{i}": name for i, name in enumerate(fields[:20])},
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            instances = formset.save()
            for obj in instances:
                record(
                    action=f"admin.{obj._meta.model_name}.saved",
                    actor=request.user,
                    cell=getattr(obj, "cell_id", None),
                    target=obj,
                )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing is deleted from the admin: memberships end, accounts are deactivated.
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "last_name", "first_name", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "last_name", "first_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "phone")}),
        ("Accès", {"fields": ("is_active", "is_staff", "email_notifications")}),
    )
    add_fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "phone", "password1", "password2")}),
    )
    filter_horizontal: tuple[str, ...] = ()


class ProtocolInline(admin.StackedInline):
    model = Protocol
    extra = 0


class CharterInline(admin.StackedInline):
    model = Charter
    extra = 0


@admin.register(Cell)
class CellAdmin(AuditedAdmin):
    list_display = ["name", "insee_code", "code", "department", "is_active"]
    inlines = [ProtocolInline, CharterInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "cell", "role", "service", "start_date", "end_date"]
    list_filter = ["cell", "role"]
    autocomplete_fields = ["user"]


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["membership", "charter", "accepted_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
