"""The bias guard and the catalogue term list: warn on biased wording, never on observed facts."""

from __future__ import annotations

import pytest
from django import forms
from dsfr.forms import DsfrBaseForm

from cmer.training.bias import CONFIRM_FIELD, BiasGuardMixin, warnings_for
from cmer.training.catalogue_v1 import INDICATORS
from cmer.training.lexicon import Category, prepare
from cmer.training.models import BiasWarningCount
from cmer.training.services import bias_warnings_record, item_problems

# (text, expected code, expected term as typed)
BIASED = [
    ("Il est musulman et va à la mosquée le vendredi.", Category.RELIGION, "musulman"),
    ("Sa voisine dit qu'elle est MUSULMANE.", Category.RELIGION, "MUSULMANE"),
    ("Des jeunes musulmanes se retrouvent au parc.", Category.RELIGION, "musulmanes"),
    ("Famille juive du quartier.", Category.RELIGION, "juive"),
    ("Il s'est converti récemment.", Category.RELIGION, "s'est converti"),
    ("Elle s'est convertie l'an dernier.", Category.RELIGION, "s'est convertie"),
    ("Très religieuse depuis la rentrée.", Category.RELIGION, "religieuse"),
    ("Adepte d'un courant salafiste.", Category.RELIGION, "salafiste"),
    ("Elle porte le voile depuis septembre.", Category.RELIGIOUS_PRACTICE, "porte le voile"),
    ("Elles portent un voile intégral.", Category.RELIGIOUS_PRACTICE, "portent un voile"),
    ("Elle est voilée.", Category.RELIGIOUS_PRACTICE, "voilée"),
    ("Il fait ses prières au travail.", Category.RELIGIOUS_PRACTICE, "prières"),
    ("Il s'est laissé pousser la barbe.", Category.RELIGIOUS_PRACTICE, "barbe"),
    ("Ne mange que halal à la cantine.", Category.RELIGIOUS_PRACTICE, "halal"),
    ("Suit le Ramadan.", Category.RELIGIOUS_PRACTICE, "Ramadan"),
    ("Jeune homme d'origine maghrébine.", Category.ORIGIN, "d'origine maghrébine"),
    ("Jeune homme d’origine Comorienne.", Category.ORIGIN, "d’origine Comorienne"),
    ("Deux Maghrébins discutaient.", Category.ORIGIN, "Maghrébins"),
    ("Une femme africaine l'accompagnait.", Category.ORIGIN, "africaine"),
    ("Il est algérien.", Category.NATIONALITY, "algérien"),
    ("Des Tchétchènes du quartier.", Category.NATIONALITY, "Tchétchènes"),
    ("Elle est Syrienne.", Category.NATIONALITY, "Syrienne"),
    ("Étrangère en situation irrégulière.", Category.NATIONALITY, "Étrangère"),
    ("Famille monoparentale.", Category.FAMILY_STRUCTURE, "monoparentale"),
    ("Élevé par une mère célibataire.", Category.FAMILY_STRUCTURE, "mère célibataire"),
    ("Ses parents divorcés ne se parlent plus.", Category.FAMILY_STRUCTURE, "parents divorcés"),
    ("Il est schizophrène.", Category.HEALTH, "schizophrène"),
    ("Elle est BIPOLAIRE.", Category.HEALTH, "BIPOLAIRE"),
    ("Suivi en psychiatrie.", Category.HEALTH, "psychiatrie"),
    ("Elle est dépressive.", Category.HEALTH, "dépressive"),
    ("Militant d'extrême gauche.", Category.POLITICAL_OPINION, "extrême gauche"),
    ("Il est anarchiste.", Category.POLITICAL_OPINION, "anarchiste"),
    ("Il est dangereux.", Category.JUDGEMENT, "dangereux"),
    ("Une femme dangereuse.", Category.JUDGEMENT, "dangereuse"),
    ("Des individus DANGEREUX.", Category.JUDGEMENT, "DANGEREUX"),
    ("C'est un fanatique.", Category.JUDGEMENT, "fanatique"),
    ("Des fanatiques.", Category.JUDGEMENT, "fanatiques"),
    ("Un intégriste notoire.", Category.JUDGEMENT, "intégriste"),
    ("Des Intégristes.", Category.JUDGEMENT, "Intégristes"),
    ("Il est radicalisé.", Category.JUDGEMENT, "radicalisé"),
    ("Elle est complètement radicalisée.", Category.JUDGEMENT, "radicalisée"),
    ("Ils sont RADICALISÉS.", Category.JUDGEMENT, "RADICALISÉS"),
    ("Des filles radicalisees.", Category.JUDGEMENT, "radicalisees"),
    ("Un extrémiste.", Category.JUDGEMENT, "extrémiste"),
    ("Des extremistes.", Category.JUDGEMENT, "extremistes"),
    ("Un islamiste du quartier.", Category.JUDGEMENT, "islamiste"),
    ("Un comportement inquiétant.", Category.JUDGEMENT, "inquiétant"),
    ("Une attitude louche.", Category.JUDGEMENT, "louche"),
]

# Factual, behavioural sentences, some close in spelling to listed terms: no warning.
FACTUAL = [
    "Le 12 mars, il a refusé de serrer la main de son enseignante devant la classe.",
    "Ne vient plus en cours depuis trois semaines, sans justificatif.",
    "A montré à deux camarades des photos d'armes sur son téléphone le 4 avril.",
    "A déclaré en réunion que « la fin des temps est proche ».",
    "Partage chaque soir des vidéos de propagande violente dans un groupe de discussion.",
    "A changé trois fois de numéro de téléphone en un mois.",
    "Est vu régulièrement avec une personne connue pour des appels à la violence.",
    "A cessé toute activité au club de football après dix ans de pratique.",
    "Un jeune de 17 ans ne rentre plus au domicile plusieurs nuits par semaine.",
    "Il est à l'origine de la dispute du 3 mai, selon le rapport du gardien.",
    "Elle a quitté sa formation d'aide-soignante en cours d'année.",
    "A frappé un camarade dans la cour le 2 février ; l'infirmière a été appelée.",
    "Pratique un sport de combat tous les jours depuis janvier.",
    "Refuse depuis octobre de participer aux cours d'histoire sur la Shoah.",
    "Porte un pull de couleur sombre et une casquette.",
    "Fait de la voile au club nautique le samedi.",
    "Organise des collectes d'argent auprès de ses camarades sans dire pour qui.",
    "Conteste systématiquement les consignes de l'animatrice.",
    "A fait la voiture-balai de la sortie vélo, puis a quitté le groupe.",
    "Son frère aîné est venu le chercher à la sortie du collège.",
    "A demandé comment acheter un couteau de combat sur internet.",
    "Il dit passer ses nuits en ligne et arrive épuisé chaque matin.",
    "",
]


@pytest.mark.parametrize(("text", "code", "term"), BIASED)
def test_biased_wording_warns_with_the_writers_own_spelling(text, code, term):
    found = warnings_for(text)
    assert (code, term) in [(w.code, w.term) for w in found], found
    warning = next(w for w in found if w.code == code)
    assert term in warning.explanation
    assert len(warning.explanation) > 40  # explains why, not only "interdit"


@pytest.mark.parametrize("text", FACTUAL)
def test_factual_sentences_do_not_warn(text):
    assert warnings_for(text) == []


def test_every_judgement_word_of_the_issue_warns_in_all_forms():
    forms_of = {
        "dangereux": ["dangereux", "Dangereuse", "DANGEREUSES"],
        "fanatique": ["fanatique", "Fanatiques"],
        "intégriste": ["intégriste", "INTEGRISTES"],
        "radicalisé": ["radicalisé", "Radicalisée", "radicalisés", "RADICALISÉES"],
        "extrémiste": ["extrémiste", "Extrémistes"],
    }
    for word, variants in forms_of.items():
        for variant in variants:
            assert [w.code for w in warnings_for(f"On me dit : {variant}.")] == [Category.JUDGEMENT], variant


def test_normalisation_keeps_offsets_to_the_original_text():
    prepared, origin = prepare("Cœur  d’Élodie")
    assert prepared == "coeur d elodie"
    assert len(origin) == len(prepared)


def test_one_term_is_reported_once_even_when_repeated():
    found = warnings_for("Dangereux, vraiment dangereux, DANGEREUX.")
    assert [w.code for w in found] == [Category.JUDGEMENT]


def test_nested_match_is_not_repeated():
    found = warnings_for("Un homme d'origine maghrébine.")
    assert [(w.code, w.term) for w in found] == [(Category.ORIGIN, "d'origine maghrébine")]


# --- catalogue validation ------------------------------------------------------------------

DISCRIMINATORY_ITEMS = [
    ("Port du voile", "La personne porte le voile.", "Port du voile"),
    ("Pratique religieuse assidue", "Fréquente la mosquée plusieurs fois par semaine.", "religieuse"),
    ("Conversion récente à l'islam", "S'est convertie à l'Islam.", "islam"),
    ("Origine maghrébine", "Personne d'origine maghrébine.", "d'origine maghrébine"),
    ("Nationalité étrangère", "Binationaux ou étrangers.", "Nationalité"),
    ("Famille monoparentale", "Élevé par une mère célibataire.", "monoparentale"),
    ("Troubles psychiatriques", "Personne schizophrène ou bipolaire.", "psychiatriques"),
    ("Sympathies d'extrême gauche", "Militant anarchiste.", "extrême gauche"),
    ("Jeûne du Ramadan", "Suit le ramadan.", "Ramadan"),
    ("Barbe longue", "S'est laissé pousser la barbe.", "Barbe"),
]


@pytest.mark.parametrize(("label", "description", "term"), DISCRIMINATORY_ITEMS)
def test_catalogue_refuses_discriminatory_items_and_says_why(label, description, term):
    problems = item_problems(label, description)
    assert problems, label
    assert any(term in p for p in problems), problems
    assert "comportement observable" in problems[0]


@pytest.mark.parametrize("item", INDICATORS, ids=[i[1] for i in INDICATORS])
def test_catalogue_v1_items_are_accepted(item):
    _domain, _code, _signal, label, description, examples = item
    assert item_problems(label, description, examples) == []


def test_catalogue_accepts_behavioural_items_that_mention_judgement_words():
    # The official wording says "sites extrémistes violents": behaviour, not a protected category.
    assert (
        item_problems("Consultation de sites extrémistes violents", "Consulte ou partage des contenus.") == []
    )


# --- the form mixin ------------------------------------------------------------------------


class GuardedForm(BiasGuardMixin, DsfrBaseForm):
    bias_fields = ("description",)
    description = forms.CharField(max_length=1000)


@pytest.mark.django_db
def test_mixin_warns_first_then_accepts_with_confirmation():
    text = "Il est radicalisé et porte la barbe."
    form = GuardedForm({"description": text})
    assert not form.is_valid()
    errors = " ".join(form.errors["description"])
    assert "radicalisé" in errors and "barbe" in errors
    assert CONFIRM_FIELD in form.errors
    html = str(form)
    assert 'type="checkbox"' in html and "fait observé" in html
    assert not BiasWarningCount.objects.exists()  # validating writes nothing: the view counts
    bias_warnings_record(forms=[form])
    assert {r.code: r.shown for r in BiasWarningCount.objects.all()} == {
        Category.JUDGEMENT: 1,
        Category.RELIGIOUS_PRACTICE: 1,
    }

    confirmed = GuardedForm({"description": text, CONFIRM_FIELD: "on"})
    assert confirmed.is_valid(), confirmed.errors
    assert confirmed.cleaned_data["description"] == text
    bias_warnings_record(forms=[confirmed])
    assert {r.code: r.confirmed for r in BiasWarningCount.objects.all()} == {
        Category.JUDGEMENT: 1,
        Category.RELIGIOUS_PRACTICE: 1,
    }
    # Counts only: no text of the signalement is stored anywhere in the counter table.
    assert not BiasWarningCount.objects.filter(code__icontains="barbe").exists()


@pytest.mark.django_db
def test_mixin_accepts_a_rephrased_factual_text_without_confirmation():
    form = GuardedForm({"description": "Le 3 mai, il a refusé de répondre à l'enseignante."})
    assert form.is_valid()
    assert 'type="hidden"' in str(form)  # no checkbox shown to a writer with nothing to confirm
    bias_warnings_record(forms=[form])
    assert not BiasWarningCount.objects.exists()


# --- compatibility with the intake forms (cmer.referrals.forms) -----------------------------


def _referral_data(description: str) -> dict:
    from cmer.referrals.forms import new_submission_key

    return {
        "last_name": "Testeur",
        "first_name": "Camille",
        "birth_date": "2008-05-04",
        "sex": "X",
        "description": description,
        "submission_key": new_submission_key(),
    }


@pytest.mark.django_db
def test_intake_referral_form_is_guarded():
    from cmer.referrals.forms import ReferralForm

    assert issubclass(ReferralForm, BiasGuardMixin)
    biased = _referral_data("Jeune fanatique, d'origine tchétchène.")
    form = ReferralForm(biased, source_fixed=True)
    assert not form.is_valid()
    assert "fanatique" in " ".join(form.errors["description"])
    accepted = ReferralForm({**biased, CONFIRM_FIELD: "on"}, source_fixed=True)
    assert accepted.is_valid(), accepted.errors
    assert accepted.cleaned_data["source"] == "trained_agent"  # the intake's own clean still runs
    assert ReferralForm(_referral_data("Absent du club depuis un mois."), source_fixed=True).is_valid()


@pytest.mark.django_db
def test_intake_observation_formset_is_guarded():
    from django.utils import timezone

    from cmer.referrals.forms import observation_formset
    from cmer.training.models import CatalogueVersion

    version = CatalogueVersion.objects.current()
    indicator = version.indicators.first()

    def data(fact: str, **extra: str) -> dict:
        return {
            "obs-TOTAL_FORMS": "3",
            "obs-INITIAL_FORMS": "0",
            "obs-0-indicator": str(indicator.pk),
            "obs-0-observed_on": timezone.localdate().isoformat(),
            "obs-0-mode": "direct",
            "obs-0-fact": fact,
            # What the browser sends for the untouched extra forms: the select's initial value
            # and the mixin's hidden field.
            **{f"obs-{i}-mode": "direct" for i in (1, 2)},
            **{f"obs-{i}-{CONFIRM_FIELD}": "False" for i in (0, 1, 2)},
            **extra,
        }

    biased = observation_formset(data("Il porte la barbe et le qamis."), version)
    assert not biased.is_valid()
    assert "barbe" in " ".join(biased.forms[0].errors["fact"])
    assert not biased.forms[1].errors  # the empty extra forms stay optional
    confirmed = observation_formset(
        data("Il porte la barbe et le qamis.", **{f"obs-0-{CONFIRM_FIELD}": "on"}), version
    )
    assert confirmed.is_valid(), confirmed.errors
    assert len(confirmed.observations()) == 1


@pytest.mark.django_db
def test_intake_view_counts_the_warnings_once_per_submission(world):
    from django.urls import reverse
    from django.utils import timezone

    from cmer.training.models import CatalogueVersion
    from tests.factories_training import make_certification
    from tests.personas import persona_client

    make_certification(world.a, world.a.user("reporter"))
    indicator = CatalogueVersion.objects.current().indicators.first()
    data = {
        **_referral_data("Jeune fanatique, il porte la barbe."),
        "obs-TOTAL_FORMS": "1",
        "obs-INITIAL_FORMS": "0",
        "obs-0-indicator": str(indicator.pk),
        "obs-0-observed_on": timezone.localdate().isoformat(),
        "obs-0-mode": "direct",
        "obs-0-fact": "Absent du club depuis un mois.",
    }
    client = persona_client(world, "reporter")
    assert client.post(reverse("referrals:submit"), data).status_code == 400
    assert {r.code: (r.shown, r.confirmed) for r in BiasWarningCount.objects.all()} == {
        Category.JUDGEMENT: (1, 0),
        Category.RELIGIOUS_PRACTICE: (1, 0),
    }
    confirmed = client.post(reverse("referrals:submit"), {**data, CONFIRM_FIELD: "on"})
    assert confirmed.status_code == 302
    assert {r.code: (r.shown, r.confirmed) for r in BiasWarningCount.objects.all()} == {
        Category.JUDGEMENT: (1, 1),
        Category.RELIGIOUS_PRACTICE: (1, 1),
    }


@pytest.mark.parametrize("item", INDICATORS, ids=[i[1] for i in INDICATORS])
def test_catalogue_examples_are_models_of_factual_writing(item):
    # The examples trainers give must pass the guard they teach.
    assert warnings_for(item[5]) == []
