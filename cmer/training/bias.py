"""The bias guard: warn a writer whose free text names a protected category or judges a person.

It warns and explains, never blocks silently: the writer rephrases as an observed fact, or
confirms that the text describes one. Only the warning codes are counted (BiasWarningCount),
never the text, so trainers see which habits to work on without reading anyone's signalement.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmer.training.lexicon import Category, find

EXPLANATIONS = {
    Category.RELIGION: gettext_lazy(
        "« {term} » désigne une religion. L'appartenance religieuse n'est pas un indicateur et ne "
        "doit pas être enregistrée : décrivez le comportement observé (quoi, quand, où)."
    ),
    Category.RELIGIOUS_PRACTICE: gettext_lazy(
        "« {term} » désigne une pratique, une tenue ou une apparence liée à une croyance. La pratique "
        "religieuse n'est pas en soi un indicateur : décrivez le fait observé, pas la croyance."
    ),
    Category.ORIGIN: gettext_lazy(
        "« {term} » désigne une origine. L'origine ethnique est une donnée sensible qui ne doit pas "
        "être enregistrée et n'est jamais un indicateur."
    ),
    Category.NATIONALITY: gettext_lazy(
        "« {term} » désigne une nationalité ou un statut administratif, qui n'est pas un indicateur : "
        "décrivez le comportement observé."
    ),
    Category.FAMILY_STRUCTURE: gettext_lazy(
        "« {term} » décrit une structure familiale, qui n'est pas un indicateur : ne gardez que ce "
        "que la personne a fait ou dit."
    ),
    Category.HEALTH: gettext_lazy(
        "« {term} » est une information de santé : donnée sensible qui n'a pas sa place ici. "
        "Décrivez le comportement observé, sans diagnostic."
    ),
    Category.POLITICAL_OPINION: gettext_lazy(
        "« {term} » désigne une opinion politique, qui n'est pas un indicateur et ne doit pas être "
        "enregistrée : décrivez les actes ou les propos observés."
    ),
    Category.JUDGEMENT: gettext_lazy(
        "« {term} » est un jugement, pas un fait. Décrivez ce que vous avez vu ou entendu, quand et "
        "où : l'évaluation revient à la cellule, pas au rédacteur."
    ),
    Category.POLICE_INTELLIGENCE: gettext_lazy(
        "« {term} » relève des fichiers ou des procédures de police et de renseignement. Une CMER "
        "ne recueille ni n'enregistre ces informations : décrivez seulement ce que votre service a "
        "lui-même constaté."
    ),
}


class BiasWarning(NamedTuple):
    code: str  # the lexicon category: the only thing ever counted
    term: str  # the matched words, shown back to the writer only
    explanation: str


# The name the issue uses; kept as an alias so callers can write bias.Warning.
Warning = BiasWarning


def warnings_for(text: str) -> list[BiasWarning]:
    """One warning per listed term found in `text` (accents, capitals, plurals, feminine forms)."""
    return [
        BiasWarning(hit.category, hit.term, str(EXPLANATIONS[hit.category]).format(term=hit.term))
        for hit in find(text)
    ]


CONFIRM_FIELD = "bias_confirmed"


class BiasGuardMixin:
    """Form mixin: warn on biased wording in `bias_fields`, accept once the writer confirms.

    First submission with warnings: the form is invalid, each warning is attached to its field,
    and a checkbox « je confirme que ce texte décrit un fait observé » appears. Submitting again
    with it ticked (or after rephrasing) is accepted. Put the mixin before the form class:
    `class ReferralForm(BiasGuardMixin, DsfrForm)` and set `bias_fields = ("description",)`.
    After is_valid(), `form.bias_warnings` lists what was found and `form.bias_confirmed` whether
    the writer confirmed: the view passes the forms to `services.bias_warnings_record` to count
    them, and runs its write through `services.guarded_write`, which stores a confirmed override
    on the record written (validation itself writes nothing).

    Every free-text field of every form is guarded or named as exempt, with its reason
    (tests/test_bias_everywhere.py enumerates the forms, so a new field cannot be forgotten).
    """

    bias_fields: tuple[str, ...] = ()
    fields: dict[str, Any]  # provided by the form class the mixin is combined with

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Hidden until there is something to confirm: a writer of a neutral text never sees it.
        self.fields[CONFIRM_FIELD] = forms.BooleanField(
            required=False,
            label=gettext_lazy("Je confirme que ce texte décrit un fait observé"),
            help_text=gettext_lazy(
                "Cochez seulement si le texte, relu, décrit bien ce que vous avez vu ou entendu."
            ),
            widget=forms.HiddenInput,
        )
        self.bias_warnings: list[BiasWarning] = []
        self.bias_warnings_by_field: dict[str, list[BiasWarning]] = {}
        self.bias_confirmed = False

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        # Not a value for the service: views pass cleaned_data on as keyword arguments.
        confirmed = cleaned.pop(CONFIRM_FIELD, None) is True
        per_field = {
            name: warnings_for(cleaned.get(name) or "")
            for name in self.bias_fields
            if isinstance(cleaned.get(name), str)
        }
        self.bias_warnings_by_field = per_field
        self.bias_warnings = [w for found in per_field.values() for w in found]
        if not self.bias_warnings:
            return cleaned
        self.fields[CONFIRM_FIELD].widget = forms.CheckboxInput()
        # Once shown, confirming is required to go on: DSFR must not label the box « optionnel ».
        self.fields[CONFIRM_FIELD].required = True
        self.bias_confirmed = confirmed
        if self.bias_confirmed:
            return cleaned
        for name, found in per_field.items():
            for warning in found:
                self.add_error(name, warning.explanation)  # type: ignore[attr-defined]
        self.add_error(  # type: ignore[attr-defined]
            CONFIRM_FIELD,
            _(
                "Reformulez le texte en décrivant un fait observé, ou cochez cette case pour "
                "confirmer qu'il en décrit un."
            ),
        )
        return cleaned
