from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership, User
from cmer.accounts.roles import Role
from cmer.core.forms import DsfrForm
from cmer.core.id_fields import PublicIdModelChoiceField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LoginForm(DsfrForm):
    username = forms.EmailField(label=_("Adresse électronique"), max_length=254)
    password = forms.CharField(
        label=_("Mot de passe"), max_length=1024, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


def _one_time_code(help_text: StrOrPromise, max_length: int) -> forms.CharField:
    return forms.CharField(
        label=_("Code à usage unique"), help_text=help_text, max_length=max_length, min_length=6
    )


class TokenForm(DsfrForm):
    token = _one_time_code(_("Les 6 chiffres de votre application, ou un code de secours à 8 chiffres."), 8)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        attrs = self.fields["token"].widget.attrs
        attrs.update({"autocomplete": "one-time-code", "inputmode": "numeric"})

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("Le code ne contient que des chiffres."))
        return token


class EnrolmentTokenForm(TokenForm):
    """Enrolment of an app: its 6-digit code only, as no backup code exists yet."""

    token = _one_time_code(_("Les 6 chiffres affichés par votre application."), 6)


class ChooseCellForm(DsfrForm):
    membership = PublicIdModelChoiceField(
        label=_("Cellule"),
        queryset=Membership.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        kind="membership",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        field.queryset = Membership.objects.active().filter(user=user).select_related("cell")
        field.label_from_instance = lambda m: f"{m.cell} — {m.get_role_display()}"


class MembershipCreateForm(DsfrForm):
    email = forms.EmailField(
        label=_("Adresse électronique du compte"),
        max_length=254,
        help_text=_("Le compte doit avoir été créé par l'administrateur de la plateforme."),
    )
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)
    service = forms.CharField(label=_("Service ou organisation"), max_length=120, required=False)

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].lower()
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Aucun compte actif avec cette adresse."))
        return user


class MembershipRoleForm(DsfrForm):
    role = forms.ChoiceField(label=_("Nouveau rôle"), choices=Role.choices)


def _digits_token(value: str) -> str:
    token = value.replace(" ", "")
    if not token.isdigit():
        raise forms.ValidationError(_("Le code ne contient que des chiffres."))
    return token


class ReauthForm(DsfrForm):
    """Password and a current second factor again, before a change to the account's security."""

    password = forms.CharField(
        label=_("Mot de passe actuel"), max_length=1024, strip=False, widget=forms.PasswordInput
    )
    token = forms.CharField(
        label=_("Code de votre application, ou un code de secours"), max_length=8, min_length=6
    )

    def __init__(self, *args: Any, passkey_confirmed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self.fields["token"].widget.attrs.update({"autocomplete": "one-time-code", "inputmode": "numeric"})
        if passkey_confirmed:
            # The passkey just confirmed in this session is the current factor: no code needed.
            self.fields["token"].required = False

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        return _digits_token(token) if token else ""


class NewPasswordForm(DsfrForm):
    new_password1 = forms.CharField(
        label=_("Nouveau mot de passe"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("Au moins 12 caractères ; une phrase de plusieurs mots est un bon choix."),
    )
    new_password2 = forms.CharField(
        label=_("Confirmation du nouveau mot de passe"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("Les deux mots de passe ne sont pas identiques."))
        return data


class PasswordChangeForm(ReauthForm, NewPasswordForm):
    pass


class TotpReplaceForm(ReauthForm):
    new_token = forms.CharField(
        label=_("Code affiché par la nouvelle application"), max_length=6, min_length=6
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_token"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric"}
        )

    def clean_new_token(self) -> str:
        return _digits_token(self.cleaned_data["new_token"])


class PasswordResetRequestForm(DsfrForm):
    email = forms.EmailField(label=_("Adresse électronique"), max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class InvitationForm(DsfrForm):
    email = forms.EmailField(label=_("Adresse électronique professionnelle"), max_length=254)
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)
    service = forms.CharField(label=_("Service ou organisation"), max_length=120, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("first_name", "last_name", "service"):
            value = data.get(name)
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("Caractère non autorisé."))
        return data
