"""The base of every form of the project, and cheaper rendering for fields with many options.

`DsfrBaseForm.default_renderer` gives its renderer *class*, so Django builds a new renderer for
each form instance, hence a new template engine with an empty template cache: every form shown
re-read and re-compiled its field templates from disk (15 compilations per meeting agenda;
docs/performance.md, P1). `DsfrForm` shares one renderer: the same templates, in the same order of
directories (django-dsfr's widget templates only for these forms), compiled once per process.
Django's own default renderer is a process-wide instance in the same way.

A checkbox list, a radio group or a select renders each option as a template of its own (with
two includes for a checkbox or a radio): with forty members to convene, that is most of a page.
`CHECKBOXES`, `RADIOS` (field templates, set with `options_in_place`) and `InlineSelect` (a
widget) write the very same HTML with the options in place (tests/test_forms_rendering.py); a
field opts in where its options are many.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from django import forms
from django.forms.models import ModelChoiceIterator
from dsfr.forms import DsfrBaseForm, DsfrDjangoTemplates

RENDERER = DsfrDjangoTemplates()

CHECKBOXES = "core/forms/checkboxes.html"  # a CheckboxSelectMultiple field with plain-text labels
RADIOS = "core/forms/radios.html"  # a RadioSelect field with plain-text labels

F = TypeVar("F", bound=forms.Field)


def options_in_place(field: F, template_name: str) -> F:
    """The field rendered with CHECKBOXES or RADIOS: Django's `Field(template_name=…)`, which
    django-stubs does not accept on choice fields yet."""
    field.template_name = template_name  # type: ignore[attr-defined]
    return field


class DsfrForm(DsfrBaseForm):
    """Use instead of `DsfrBaseForm` (tests/test_forms_rendering.py checks every form does)."""

    default_renderer = RENDERER


class InlineSelect(forms.Select):
    template_name = "core/forms/select.html"


class CachedChoiceIterator(ModelChoiceIterator):
    """Choices read from the queryset's own result, not from `.iterator()`.

    On PostgreSQL outside a transaction `.iterator()` opens a server-side cursor WITH HOLD
    (DECLARE, FETCH, CLOSE: three round trips and a materialised result) for a list of a few
    dozen rows; iterating the queryset is one query, and its result is kept for the next reading.
    """

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)
