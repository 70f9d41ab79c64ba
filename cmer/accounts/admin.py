"""Platform administration: cells, accounts, memberships. Never any personal case data.

Every change made here is written to the audit trail like any other: the admins of this module
record their own events, and every other registered admin (third-party apps included) is wrapped
so its additions, changes and deletions are recorded too (`audit_every_registration`).
Memberships have services (cmer/accounts/services.py): the admin calls them, so an
administrator's change is the same audited write as a coordinator's, except that a membership
opening personal data waits for the cell's president. The admin never shows or edits a second
factor's secret or backup codes and never sets a password (docs/rules.md, "The platform admin").
"""

from __future__ import annotations

import smtplib
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from cmer.accounts import emails, services
from cmer.accounts.models import Cell, Charter, CharterAcceptance, Invitation, Membership, Protocol, User
from cmer.accounts.roles import Role
from cmer.accounts.services import charter_is_accepted
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


class UserAddForm(forms.ModelForm):
    """A new account without a password: its owner sets one; the admin never knows it."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "phone")

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class UserChangeForm(forms.ModelForm):
    """No password field at all (not even the hash with its "change" link)."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "phone", "is_active", "is_staff", "email_notifications")


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    ordering = ["last_name", "first_name"]
    list_display = ["email", "last_name", "first_name", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "last_name", "first_name"]
    fieldsets = (
        (None, {"fields": ("email",)}),
        ("Identité", {"fields": ("first_name", "last_name", "phone")}),
        ("Accès", {"fields": ("is_active", "is_staff", "email_notifications")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "first_name", "last_name", "phone")}),)
    filter_horizontal = ()

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # People set their own password; an admin who could set one could sign in as anyone.
        raise PermissionDenied


class ProtocolInline(admin.StackedInline):
    model = Protocol
    extra = 0


class CharterAdminForm(forms.ModelForm):
    """An accepted version is frozen: every field disabled, so a posted change is ignored."""

    class Meta:
        model = Charter
        fields = ("version", "text", "effective_date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if charter_is_accepted(self.instance):
            for field in self.fields.values():
                field.disabled = True
                field.help_text = _(
                    "Version acceptée : elle ne peut plus changer. Ajoutez une nouvelle version."
                )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        # Re-read from the database: a version accepted since the page was shown is frozen too.
        if self.instance.pk and self.has_changed() and charter_is_accepted(self.instance):
            raise forms.ValidationError(_("Cette version a été acceptée : elle ne peut plus changer."))
        return cleaned


class CharterInline(admin.StackedInline):
    model = Charter
    form = CharterAdminForm
    extra = 0
    can_delete = False


@admin.register(Cell)
class CellAdmin(AuditedAdmin):
    list_display = ["name", "insee_code", "code", "department", "is_active"]
    inlines = [ProtocolInline, CharterInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Creation, role change and end go through the membership services, which audit them."""

    list_display = ["user", "cell", "role", "service", "start_date", "end_date"]
    list_filter = ["cell", "role"]
    autocomplete_fields = ["user"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("user", "cell", "role", "service", "start_date")
        return ("user", "cell", "role", "service", "start_date", "end_date", "approval_pending")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        if obj.end_date is not None:
            # An ended membership is history: no service reopens it.
            return ("user", "cell", "role", "service", "start_date", "end_date", "approval_pending")
        # Only what a service changes stays editable: the role, and the end. Only the president
        # approves (accounts:approvals), never the admin.
        return ("user", "cell", "service", "start_date", "approval_pending")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        by = cast(User, request.user)  # the admin is for signed-in, verified staff only
        if not change:
            created = services.membership_create(
                cell=obj.cell,
                user=obj.user,
                role=obj.role,
                service=obj.service,
                start_date=obj.start_date,
                by=by,
                by_platform_admin=True,
            )
            obj.pk = created.pk  # the admin redirects to the saved object
            return
        with transaction.atomic():
            if "role" in form.changed_data:
                services.membership_change_role(membership=obj, role=obj.role, by=by, by_platform_admin=True)
            if "end_date" in form.changed_data and obj.end_date is not None:
                services.membership_end(membership=obj, by=by, on=obj.end_date)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["membership", "charter", "accepted_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvitationAdminForm(forms.ModelForm):
    """The platform admin invites a cell's first president or coordinator (docs/security.md)."""

    role = forms.ChoiceField(
        label="Rôle", choices=[(r.value, r.label) for r in (Role.PRESIDENT, Role.COORDINATOR)]
    )

    class Meta:
        model = Invitation
        fields = ["cell", "role", "email", "first_name", "last_name", "service"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("cell") and data.get("email") and data.get("role"):
            # The service's own check, so that the admin sees the refusal on the form.
            refusal = services.invitation_refusal(
                cell=data["cell"],
                email=data["email"].strip().lower(),
                role=data["role"],
                by_platform_admin=True,
            )
            if refusal is not None:
                raise forms.ValidationError(refusal.message)
        return data


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are created through the service (audited, link hashed) and sent from here."""

    form = InvitationAdminForm
    list_display = ["email", "cell", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["cell", "role"]
    readonly_fields = ["created_by", "created_at", "expires_at", "sent_count", "accepted_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        base = ("cell", "role", "email", "first_name", "last_name", "service")
        return base if obj is None else (*base, *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Invitation, form: Any, change: bool) -> None:
        if change:
            return  # an invitation is never edited: revoke it and invite again
        invitation, token = services.invitation_create(
            cell=obj.cell,
            email=obj.email,
            first_name=obj.first_name,
            last_name=obj.last_name,
            role=obj.role,
            service=obj.service,
            by=cast(User, request.user),
            by_platform_admin=True,
        )
        obj.pk = invitation.pk  # the admin redirects to the saved object
        try:
            emails.send_invitation(invitation, token)
        except (smtplib.SMTPException, OSError):
            messages.warning(request, _("Invitation enregistrée, mais le courriel n'est pas parti."))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- every other admin's writes in the audit chain ----------------------------------------------


class AuditLogMixin:
    """Records the admin's own log of an addition, change or deletion as an audit event.

    Django's admin logs each write from inside the view's transaction, so the event commits
    with the change or not at all. Field names only, never values (docs/security.md #6).
    """

    def _audit(self, request: HttpRequest, obj: Any, verb: str) -> None:
        record(
            action=f"admin.{obj._meta.model_name}.{verb}",
            actor=request.user,
            cell=getattr(obj, "cell_id", None),
            target=obj,
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "created")
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "changed")
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "deleted")
        return super().log_deletions(request, queryset)  # type: ignore[misc]


# Admins of this module audit through their services or AuditedAdmin; read-only ones write nothing.
SELF_AUDITED = (AuditedAdmin, MembershipAdmin, CharterAcceptanceAdmin, InvitationAdmin)


def audit_every_registration(site: admin.AdminSite = admin.site) -> None:
    """Wrap each registered admin that does not audit itself (called once apps are ready)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, (AuditLogMixin, *SELF_AUDITED)):
            continue
        wrapped = type(
            f"Audited{type(model_admin).__name__}",
            (AuditLogMixin, type(model_admin)),
            {"__module__": __name__},
        )
        site.unregister(model)
        site.register(model, wrapped)
