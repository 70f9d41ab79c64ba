"""French as a coordinator writes it, on every page and PDF (docs/conventions.md, "Views and templates").

One pass over every GET URL of the permission matrix, opened by every persona its row allows, in
a world holding a situation with facts, a meeting and its decision, a support plan and a
transmission with the State's feedback. The visible text of each page (tags stripped) and of each
PDF (pdftotext) must show no ISO or numeric date, no English month, no « (s) » plural, no « 1 avril »
without its « er », and no internal code (closed-list codes, « cases.case », « #68 »).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cmer.core.french import format_date, format_datetime, format_time
from cmer.exchange.services import feedback_record
from cmer.meetings.services import decision_record
from tests.factories import make_referral
from tests.factories_exchange import make_case_with_facts, make_transmission
from tests.factories_meetings import make_item, make_meeting, make_plan
from tests.matrix import all_rows, url_names
from tests.personas import persona_client
from tests.test_exports import readable

pytestmark = pytest.mark.django_db

MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"


def _internal_codes() -> set[str]:
    """Every closed-list code with an underscore (decision, state, reason, recipient…): never shown."""
    codes = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "choices", None) or []:
                if isinstance(value, str) and "_" in value:
                    codes.add(value)
    return codes


def problems(text: str) -> list[str]:
    # Test data of the personas world carries role codes in e-mails and service names.
    text = re.sub(r"\S+@\S+|svc-\S+", " ", text)
    found = []
    checks = {
        "ISO date": r"\b\d{4}-\d{2}-\d{2}\b",
        "numeric date": r"\b\d{1,2}/\d{1,2}/\d{4}\b",
        "English month": r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?\s+\d",
        "(s) plural": r"\w\(s\)",
        "Django's empty choice (« — choisir — » here)": r"-{9}",
        "1 without « er »": rf"(?<![\d,])\b1 (?:{MONTHS})\b",
        "object id": r"(?<![&\w])#\d+",
        "model label": r"\b(?:cases|meetings|exchange|referrals|support)\.[a-z]+\b(?= ?#|\s*\d)",
    }
    for name, pattern in checks.items():
        for match in re.finditer(pattern, text):
            found.append(f"{name}: …{text[max(0, match.start() - 40) : match.end() + 20]!r}…")
    codes = _internal_codes()
    for word in set(re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)):
        if word in codes:
            found.append(f"internal code: {word}")
    return found


def visible_text(body: str) -> str:
    # Charts are drawn in SVG: an axis tick (« 1 ») sits next to a bar's label (« janvier ») and
    # would read as a date. Every chart's figures and labels are in the table after it, scanned.
    body = re.sub(r"(?s)<(script|style|template|svg)\b.*?</\1>", " ", body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _populate(world) -> list[tuple[str, dict[str, int]]]:  # type: ignore[no-untyped-def]
    """A month of the cell in cell A: facts, a meeting's decision, a plan, a transmission answered."""
    cw = world.a
    coordinator = cw.members["coordinator"]
    case = make_case_with_facts(cw)
    sent = make_transmission(cw, case=case, sent=True)
    feedback_record(
        transmission=sent, outcome="no_further_action", received_on=timezone.localdate(), by=coordinator
    )
    make_transmission(cw, sent=True)  # still awaiting feedback
    meeting = make_meeting(cw, opened=True)
    item = make_item(cw, meeting)
    make_referral(cw, case=item.case, observations=2)
    decision_record(
        item=item, kind="transmit_to_state", responsible_service="CCAS", deadline=None, by=coordinator
    )
    plan = make_plan(cw)
    make_referral(cw, case=plan.case)
    # The matrix rows build bare objects: the pages of this month are visited as well.
    return [
        *[("cases:detail", {"pk": c.pk}) for c in (case, item.case, plan.case)],
        ("support:plan", {"pk": plan.case_id}),
        *[("meetings:" + n, {"pk": meeting.pk}) for n in ("detail", "session", "minutes", "minutes_pdf")],
        ("exchange:transmission_detail", {"pk": sent.pk}),
    ]


ROWS = all_rows()
# The resolver's list, not a hand-picked one: one test per URL pattern answering a GET.
GET_NAMES = sorted(name for name in url_names() if ROWS[name].method == "GET")
# The pages of the month _populate builds (the matrix rows build bare objects).
MONTH_PAGES = [
    "cases:detail",
    "support:plan",
    *["meetings:" + n for n in ("detail", "session", "minutes", "minutes_pdf")],
    "exchange:transmission_detail",
]


def _problems_of(name: str, persona: str, response) -> list[str]:  # type: ignore[no-untyped-def]
    content = readable(response)
    pdf = response.get("Content-Type", "").startswith("application/pdf")
    found = problems(content if pdf else visible_text(content))
    # The browser's tab shows the title as text: markup there is read out as « <p><a class=… ».
    title = None if pdf else re.search(r"(?s)<title>(.*?)</title>", content)
    if title and "<" in title.group(1):
        found.append(f"markup in the title: {title.group(1)[:80]!r}")
    return [f"{name} ({persona}) {p}" for p in found]


@pytest.mark.parametrize("page", MONTH_PAGES)
def test_the_month_pages_show_no_iso_date_english_month_code_or_lazy_plural(world, page):
    seen, bad = 0, []
    for name, kwargs in _populate(world):
        if name != page:
            continue
        for persona in ("coordinator", "state_member"):
            response = persona_client(world, persona).get(reverse(name, kwargs=kwargs))
            if response.status_code == 200:
                seen += 1
                bad += _problems_of(name, persona, response)
    assert seen > 0
    assert bad == [], "\n".join(bad)


def test_the_scan_opens_more_than_a_hundred_pages():
    """Counted from the matrix: every persona a GET row allows is expected to get its page."""
    assert set(MONTH_PAGES) <= set(GET_NAMES)
    pages = [
        persona
        for name in GET_NAMES
        for persona in ROWS[name].allowed
        if ROWS[name].expected_status() == 200 and not (ROWS[name].public or ROWS[name].auth_step)
    ]
    assert len(pages) > 100


@pytest.mark.parametrize("name", GET_NAMES)
def test_no_page_or_pdf_shows_an_iso_date_an_english_month_a_code_or_a_lazy_plural(world, name):
    _populate(world)
    row = ROWS[name]
    seen, bad = 0, []
    personas = ["anonymous"] if row.public or row.auth_step else sorted(row.allowed)
    for persona in personas:
        url = reverse(name, kwargs=row.kwargs(world, world.a) if row.kwargs else None)
        if row.given:
            row.given(world, world.a)
        client = Client() if persona == "anonymous" else persona_client(world, persona)
        response = client.get(url)
        if response.status_code != 200:
            continue
        seen += 1
        bad += _problems_of(name, persona, response)
    # Every persona the matrix expects to get the page got it and had it scanned.
    if row.expected_status() == 200 and not (row.public or row.auth_step):
        assert seen == len(personas)
    assert bad == [], "\n".join(bad)


def test_the_scan_notices_each_kind_of_mistake():
    for sample in (
        "Ouverte le 2026-03-28",
        "le 28/03/2026",
        "Dec 5, 2026",
        "situation(s)",
        "le 1 avril 2024",
        "faits #68, #67",
        "décision : propose_support",
        "cases.case #40",
    ):
        assert problems(sample), sample
    assert problems("le 1er avril 2024, 12 mars 2010, MIR-2026-0023, 3 situations") == []


def test_french_dates_say_1er_and_never_iso():
    from datetime import date, datetime

    assert format_date(date(2024, 4, 1)) == "1er avril 2024"
    assert format_date(date(2010, 3, 28)) == "28 mars 2010"
    assert format_date("2026-12-05") == "5 décembre 2026"
    assert format_date(date(2026, 12, 1), weekday=True) == "mardi 1er décembre 2026"
    moment = timezone.make_aware(datetime(2026, 4, 1, 14, 5))
    assert format_datetime(moment) == "1er avril 2026 à 14 h 05"
    assert format_time(moment) == "14 h 05"
    assert format_time(timezone.make_aware(datetime(2026, 4, 1, 9, 0))) == "9 h"
    assert format_date(None) == "" and format_date("pas une date") == ""


# Messages shown after an action (a flash, an error) are not on any page the scan opens: their
# source is read instead. A translatable string is one given to a gettext function or a
# {% translate %} / {% blocktranslate %} tag.
_TRANSLATABLE = [
    re.compile(
        r"""\b(?:_|gettext(?:_lazy)?|ngettext(?:_lazy)?|pgettext(?:_lazy)?)\(\s*((?:"[^"]*"\s*)+|(?:'[^']*'\s*)+)"""
    ),
    re.compile(r"""{%\s*(?:translate|trans)\s+"([^"]*)\""""),
    re.compile(r"{%\s*blocktrans(?:late)?\b[^%]*%}(.*?){%\s*endblocktrans(?:late)?\s*%}", re.S),
]


def lazy_plurals(text: str) -> list[str]:
    """The translatable strings of a source file that write a plural as « (s) »."""
    return [m.group(1) for p in _TRANSLATABLE for m in p.finditer(text) if re.search(r"\w\(s\)", m.group(1))]


def test_no_message_writes_a_plural_as_s_in_brackets():
    root = Path(__file__).resolve().parent.parent / "cmer"
    files = [*root.rglob("*.py"), *root.rglob("*.html"), *root.rglob("*.txt")]
    assert len(files) > 200
    found = {str(f.relative_to(root)): lazy_plurals(f.read_text()) for f in files}
    assert {name: strings for name, strings in found.items() if strings} == {}
    # The reading sees each form of a message: a call, a tag, a block.
    assert lazy_plurals('x = _("%(n)s situation(s) archivée(s)")') == ['"%(n)s situation(s) archivée(s)"']
    assert lazy_plurals('{% translate "un ou des agent(s)" %}') == ["un ou des agent(s)"]
    assert lazy_plurals("{% blocktranslate %}{{ n }} membre(s){% endblocktranslate %}") == [
        "{{ n }} membre(s)"
    ]
