"""Form rendering (cmer/core/forms.py): one renderer per process, and option templates that write
exactly what django-dsfr's write (docs/performance.md, P1)."""

from __future__ import annotations

import copy
import importlib
from html.parser import HTMLParser

import pytest
from django import forms
from django.apps import apps
from django.template.base import Template
from dsfr.forms import DsfrBaseForm

from cmer.core.forms import CHECKBOXES, RADIOS, DsfrForm, InlineSelect, options_in_place


class _Dom(HTMLParser):
    """Tags with their attributes in order, and text with its whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(f"<{tag} {attrs!r}>")

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if text := " ".join(data.split()):
            self.tokens.append(text)


def dom(html: str) -> list[str]:
    parser = _Dom()
    parser.feed(html)
    return parser.tokens


def _subclasses(cls: type) -> set[type]:
    out = set(cls.__subclasses__())
    for sub in list(out):
        out |= _subclasses(sub)
    return out


def test_every_form_of_the_project_shares_the_one_renderer():
    for config in apps.get_app_configs():
        if config.name.startswith("cmer."):
            try:
                importlib.import_module(f"{config.name}.forms")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.forms":
                    raise
    ours = {c for c in _subclasses(DsfrBaseForm) if c.__module__.startswith("cmer.")}
    assert len(ours) > 30  # the walk found the project's forms
    assert sorted(c.__qualname__ for c in ours if not issubclass(c, DsfrForm)) == []


def test_a_form_template_is_compiled_once_per_process_not_once_per_form(monkeypatch):
    from cmer.cases.forms import PersonSearchForm

    compiled: list[object] = []
    real_init = Template.__init__

    def counting_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(self)
        real_init(self, *args, **kwargs)

    str(PersonSearchForm())  # whatever this process compiled before
    monkeypatch.setattr(Template, "__init__", counting_init)
    first, second = str(PersonSearchForm()), str(PersonSearchForm())
    assert first == second and 'name="last_name"' in first
    assert compiled == []
    assert PersonSearchForm().renderer is PersonSearchForm().renderer


CHOICES = [("a", "Alpha"), ("b", "Bêta & <b>gras</b>"), ("c", "Gamma")]
GROUPED = [("", "— choisir —"), ("Groupe", [("x", "Ex"), ("y", "Why")]), ("z", "Zed")]


class _Dsfr(DsfrForm):
    boxes = forms.MultipleChoiceField(
        label="Cases", choices=CHOICES, widget=forms.CheckboxSelectMultiple, help_text="Aide <i>"
    )
    optional_boxes = forms.MultipleChoiceField(
        label="Facultatives", choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    radios = forms.ChoiceField(label="Un seul", choices=CHOICES, widget=forms.RadioSelect)
    pick = forms.ChoiceField(label="Liste", choices=GROUPED)


class _Inline(DsfrForm):
    # The same fields (copies), each opting in.
    boxes = options_in_place(copy.deepcopy(_Dsfr.base_fields["boxes"]), CHECKBOXES)
    optional_boxes = options_in_place(copy.deepcopy(_Dsfr.base_fields["optional_boxes"]), CHECKBOXES)
    radios = options_in_place(copy.deepcopy(_Dsfr.base_fields["radios"]), RADIOS)
    pick = forms.ChoiceField(label="Liste", choices=GROUPED, widget=InlineSelect)


@pytest.mark.parametrize(
    "data",
    [
        None,  # unbound, nothing chosen
        {"boxes": ["a", "c"], "radios": "b", "pick": "y"},  # valid, choices ticked and selected
        {"boxes": ["nope"], "radios": "", "pick": "nope"},  # every field in error
    ],
    ids=["unbound", "valid", "errors"],
)
@pytest.mark.parametrize("name", ["boxes", "optional_boxes", "radios", "pick"])
def test_inline_option_templates_write_the_same_html_as_django_dsfr(name, data):
    initial = {"boxes": ["b"], "radios": "c"} if data is None else None
    theirs, ours = _Dsfr(data, initial=initial), _Inline(data, initial=initial)
    if data is not None:
        assert ours.is_valid() == theirs.is_valid()
    reference = theirs[name].as_field_group()
    assert theirs[name].template_name != ours[name].template_name or name == "pick"
    assert reference.count('value="') >= 3  # the options are there
    assert dom(ours[name].as_field_group()) == dom(reference)
