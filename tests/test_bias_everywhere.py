"""The bias guard covers every free-text field of every form (issue 12 item 4).

The forms are enumerated from the code: a new free-text field is guarded, or named below as
exempt with its reason, or this test fails. Police and intelligence wording warns in each of
them; a confirmed text is stored with its record and listed for the coordinator.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.urls import reverse

import cmer
from cmer.cases.models import Case
from cmer.cases.states import State
from cmer.meetings.models import ItemKind
from cmer.training.bias import CONFIRM_FIELD, BiasGuardMixin, warnings_for
from cmer.training.lexicon import Category
from cmer.training.models import BiasOverride, BiasWarningCount
from tests.factories import make_case
from tests.personas import persona_client

pytestmark = pytest.mark.django_db

# Free-text fields that are not guarded, and why. Anything else must be in `bias_fields`.
EXEMPT = {
    # Sign-in, searches and codes: nothing is recorded about a person from them.
    "accounts.LoginForm.password": "a password",
    "accounts.TokenForm.token": "a one-time code",
    "accounts.EnrolmentTokenForm.token": "an authenticator app's one-time code",
    "accounts.MembershipCreateForm.service": "the member's own service name",
    "accounts.InvitationForm.first_name": "an invited member's own name",
    "accounts.InvitationForm.last_name": "an invited member's own name",
    "accounts.InvitationForm.service": "the invited member's own service name",
    "accounts.ReauthForm.token": "a one-time code",
    "accounts.PasswordChangeForm.token": "a one-time code",
    "accounts.TotpReplaceForm.token": "a one-time code",
    "accounts.TotpReplaceForm.new_token": "a one-time code",
    "cases.PersonSearchForm.last_name": "a search, never stored",
    "cases.PersonSearchForm.first_name": "a search, never stored",
    "privacy.AuditSearchForm.action": "an audit code searched",
    "privacy.AuditSearchForm.target_type": "an audit code searched",
    "privacy.AuditSearchForm.target_id": "an audit id searched",
    "privacy.RightsRequestForm.reference": "the reference of a letter",
    "privacy.SubjectForm.last_name": "a search, never stored",
    "privacy.SubjectForm.first_name": "a search, never stored",
    "privacy.RectifyForm.last_name": "identity",
    "privacy.RectifyForm.first_name": "identity",
    "privacy.RectifyForm.address": "identity",
    "privacy.RectifyForm.phone": "identity",
    # Identity: a first name such as « Islam » or « Chrétien » must be recordable as it is.
    "referrals.ReferralForm.last_name": "identity",
    "referrals.ReferralForm.first_name": "identity",
    "referrals.ReferralForm.address": "identity",
    "referrals.ReferralForm.phone": "identity",
    "referrals.ReferralForm.submission_key": "a hidden technical key",
    # Places and the catalogue: no person described (the catalogue has its own lexicon check).
    "meetings.MeetingForm.place": "a meeting room",
    "training.SessionForm.title": "a training session, about no person",
    "training.SessionForm.place": "a training room",
    "training.SessionForm.programme": "a training programme, about no person",
    "training.DomainForm.code": "a catalogue code",
    "training.DomainForm.name": "catalogue wording, checked by the catalogue validation",
    "training.DomainForm.description": "catalogue wording, checked by the catalogue validation",
    "training.IndicatorForm.code": "a catalogue code",
    "training.IndicatorForm.label": "catalogue wording, checked by the catalogue validation",
    "training.IndicatorForm.description": "catalogue wording, checked by the catalogue validation",
    "training.IndicatorForm.examples": "catalogue wording, checked by the catalogue validation",
}

POLICE_TERMS = [
    "fiche S",
    "fiché S",
    "FSPRT",
    "casier judiciaire",
    "a un casier",
    "connu des services",
    "connue des services de police",
    "garde à vue",
    "placé en garde à vue",
    "TAJ",
    "antécédents judiciaires",
    "DGSI",
    "services de renseignement",
    "renseignement territorial",
]

# Constructor arguments some forms need; empty choices are enough to validate one text field.
FORM_KWARGS = {
    "case": None,
    "cases": Case.objects.none(),
    "candidates": Case.objects.none(),
    "eligible": [],
    "guests": [],
    "item_kind": ItemKind.values[0],
    "services": [],
    "services_list": [],
    "source_fixed": True,
    "draft": None,
    "choices": [],
    "observations": [],
}


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for app in pkgutil.iter_modules(cmer.__path__):
        try:
            module = importlib.import_module(f"cmer.{app.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, forms.BaseForm):
                found.append(cls)
    return found


def _label(cls: type) -> str:
    return f"{cls.__module__.split('.')[1]}.{cls.__name__}"


def _is_free_text(field: forms.Field) -> bool:
    if not isinstance(field, forms.CharField) or isinstance(field, forms.EmailField | forms.URLField):
        return False
    return not isinstance(field.widget, forms.HiddenInput | forms.PasswordInput)


def free_text_fields() -> list[tuple[type, str]]:
    return [
        (cls, name)
        for cls in _form_classes()
        for name, field in cls.base_fields.items()
        if _is_free_text(field) and f"{_label(cls)}.{name}" not in EXEMPT
    ]


def _make(cls: type, data: dict) -> forms.BaseForm:
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in FORM_KWARGS.items() if k in params}
    return cls(data=data, **kwargs)


GUARDED = free_text_fields()


def test_the_enumeration_finds_the_fields_the_issue_names():
    labels = {f"{_label(cls)}.{name}" for cls, name in GUARDED}
    for expected in (
        "cases.QualifyForm.note",
        "cases.CloseForm.note",
        "cases.ArchiveReasonForm.reason",
        "support.ActionForm.title",
        "support.ActionUpdateForm.note",
        "referrals.ReferralForm.legal_representatives",
        "referrals.ReferralForm.description",
        "referrals.ObservationForm.fact",
        "exchange.TransmissionForm.recipient_detail",
        "training.CaveatForm.text",
    ):
        assert expected in labels
    # Every exemption still names a real field (a renamed field cannot hide behind an old name).
    real = {f"{_label(cls)}.{name}" for cls in _form_classes() for name in cls.base_fields}
    assert set(EXEMPT) <= real, set(EXEMPT) - real


@pytest.mark.parametrize("cls,field", GUARDED, ids=[f"{_label(c)}.{f}" for c, f in GUARDED])
def test_every_free_text_field_is_guarded(cls, field):
    assert issubclass(cls, BiasGuardMixin) and field in cls.bias_fields, (
        f"{_label(cls)}.{field} is free text: add it to bias_fields, or to EXEMPT with its reason"
    )


@pytest.mark.parametrize("term", POLICE_TERMS)
@pytest.mark.parametrize("cls,field", GUARDED, ids=[f"{_label(c)}.{f}" for c, f in GUARDED])
def test_police_wording_warns_in_every_field_and_confirmation_accepts(cls, field, term):
    text = f"Vu le 3 mars : {term}."
    form = _make(cls, {field: text})
    form.is_valid()
    police = [w for w in form.bias_warnings if w.code == Category.POLICE_INTELLIGENCE]
    assert police, f"{_label(cls)}.{field}: no warning for « {term} »"
    assert any("police et de renseignement" in str(e) for e in form.errors.get(field, [])), form.errors
    confirmed = _make(cls, {field: text, CONFIRM_FIELD: "on"})
    confirmed.is_valid()
    assert confirmed.bias_confirmed
    assert not any("police et de renseignement" in str(e) for e in confirmed.errors.get(field, []))
    assert CONFIRM_FIELD not in getattr(confirmed, "cleaned_data", {})  # never passed to a service


def test_a_plain_fact_does_not_warn():
    for text in (
        "A laissé un couteau dans son casier au collège le 3 mars.",
        "Il fiche son emploi du temps sur la porte.",
        "A refusé de serrer la main de l'animatrice le 12 mai.",
    ):
        assert not [w for w in warnings_for(text) if w.code == Category.POLICE_INTELLIGENCE], text


# --- the override is stored on the record and listed for the coordinator --------------------


def test_confirmed_qualification_note_is_stored_listed_and_counted(world):
    case = make_case(world.a, State.PREQUALIFICATION)
    client = persona_client(world, "coordinator")
    url = reverse("cases:qualify", args=[case.pk])
    note = "Selon la mairie, il est fiché S."
    refused = client.post(url, {"decision": State.DISMISSED, "note": note})
    assert refused.status_code == 400 and "police et de renseignement" in refused.content.decode()
    assert not BiasOverride.objects.exists()
    assert BiasWarningCount.objects.get(code=Category.POLICE_INTELLIGENCE).shown == 1

    response = client.post(url, {"decision": State.DISMISSED, "note": note, CONFIRM_FIELD: "on"})
    assert response.status_code == 302
    override = BiasOverride.objects.get()
    assert (override.target_type, override.target_id, override.field) == ("cases.case", case.pk, "note")
    assert override.cell_id == world.a.cell.pk and override.codes == Category.POLICE_INTELLIGENCE
    assert note not in str(override.__dict__)  # codes only, never the text
    assert BiasWarningCount.objects.get(code=Category.POLICE_INTELLIGENCE).confirmed == 1

    dashboard = client.get(reverse("core:dashboard")).content.decode()
    assert reverse("training:bias_overrides") in dashboard
    page = client.get(reverse("training:bias_overrides"))
    assert page.status_code == 200 and reverse("cases:detail", args=[case.pk]) in page.content.decode()
    client.post(reverse("training:bias_override_review", args=[override.pk]))
    override.refresh_from_db()
    assert override.reviewed_by == world.a.members["coordinator"]
    # Another cell's coordinator never sees it.
    assert not BiasOverride.objects.visible_to(world.b.members["coordinator"]).exists()
    assert not BiasOverride.objects.visible_to(world.a.members["president"]).exists()


def test_confirmed_closure_note_shows_the_warning_then_stores_the_override(world):
    case = make_case(world.a, State.SUPPORT)
    client = persona_client(world, "coordinator")
    url = reverse("cases:close", args=[case.pk])
    data = {"reason": "end_of_support", "note": "Placé en garde à vue la semaine dernière."}
    refused = client.post(url, data)
    assert refused.status_code == 400 and CONFIRM_FIELD in refused.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUPPORT
    # The writer confirms the text, then the closure itself on the confirmation page, whose form
    # carries both confirmations on.
    confirm_page = client.post(url, {**data, CONFIRM_FIELD: "on"})
    assert confirm_page.status_code == 200
    assert f'name="{CONFIRM_FIELD}" value="on"' in confirm_page.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUPPORT
    client.post(url, {**data, CONFIRM_FIELD: "on", "confirmed": "True"})
    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert BiasOverride.objects.filter(target_type="cases.case", target_id=case.pk, field="note").exists()
