from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership, User
from cmer.accounts.roles import Role
from cmer.core.forms import DsfrForm
from cmer.core.id_fields import PublicIdModelChoiceField


class LoginForm(DsfrForm):
    username = forms.EmailField(label=_("Adresse électronique"), max_length=254)
    password = forms.CharField(
        label=_("Mot de passe"), max_length=1024, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class OneTimeCodeField(forms.CharField):
    """The digits of a one-time code: an app's 6, or a backup code's 8.

    Apps show « 123 456 »: spaces are dropped before the length is checked, and the input has no
    maxlength, which would cut a pasted « 123 456 » to « 123 45 ». The phone offers its keypad and
    the code from the app (autocomplete one-time-code)."""

    widget = forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"})

    def __init__(self, *, digits: int, **kwargs: Any) -> None:
        super().__init__(max_length=digits, min_length=6, **kwargs)

    def to_python(self, value: Any) -> str:
        return "".join((super().to_python(value) or "").split())

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not (value.isascii() and value.isdigit()):  # not « ² » nor other scripts' digits
            raise forms.ValidationError(_("Le code ne contient que des chiffres."), code="digits")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs.pop("minlength", None)
        return attrs


class TokenForm(DsfrForm):
    token = OneTimeCodeField(
        label=_("Code à usage unique"),
        help_text=_("Les 6 chiffres de votre application, ou un code de secours à 8 chiffres."),
        digits=8,
    )


class EnrolmentTokenForm(TokenForm):
    """Enrolment of an app: its 6-digit code only, as no backup code exists yet."""

    token = OneTimeCodeField(
        label=_("Code à usage unique"),
        help_text=_("Les 6 chiffres affichés par votre application."),
        digits=6,
    )


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


class GivenRolesForm(DsfrForm):
    """A form whose role list holds only the roles this manager may give
    (accounts.permissions.roles_given_by): another one posted is refused as an invalid choice."""

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(value, label) for value, label in Role.choices if value in roles]


class MembershipCreateForm(GivenRolesForm):
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


class MembershipRoleForm(GivenRolesForm):
    role = forms.ChoiceField(label=_("Nouveau rôle"), choices=Role.choices)


class ReauthForm(DsfrForm):
    """Password and a current second factor again, before a change to the account's security."""

    password = forms.CharField(
        label=_("Mot de passe actuel"), max_length=1024, strip=False, widget=forms.PasswordInput
    )
    token = OneTimeCodeField(label=_("Code de votre application, ou un code de secours"), digits=8)

    def __init__(self, *args: Any, passkey_confirmed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        if passkey_confirmed:
            # The passkey just confirmed in this session is the current factor: no code needed.
            self.fields["token"].required = False


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
    new_token = OneTimeCodeField(label=_("Code affiché par la nouvelle application"), digits=6)


class PasswordResetRequestForm(DsfrForm):
    email = forms.EmailField(label=_("Adresse électronique"), max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class InvitationForm(GivenRolesForm):
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
