"""Bad input never answers 500, and a refused submission writes nothing (docs/security.md #16).

Every named URL pattern (the resolver's list, as the permission matrix enumerates it) is opened by
every persona the matrix allows, with the URL arguments the matrix builds. The forms each request
instantiates are observed (not listed by hand): every field of every form then receives hostile
values chosen by its type — extreme dates, a 1 MB string, NUL bytes, invalid UTF-8, huge and
negative numbers, unknown choices, an oversized multi-select — plus unknown and duplicated fields,
as a GET filter and, when the URL takes a POST, as a submission whose other fields are valid.

One test per URL pattern, so that pytest-xdist spreads the battery over its workers. Each request
runs in a savepoint rolled back afterwards, in the one world of the test, so the battery stays fast and every request starts from the same state. A refused submission (4xx, a
re-rendered form with errors, or an error message) must leave every table's row count unchanged,
the audit trail excepted for its refusal events.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from django import forms
from django.apps import apps
from django.contrib.messages import ERROR
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from cmer.audit.models import AuditEvent, Outcome
from tests.matrix import all_rows, url_names
from tests.personas import ROLES, login

ROWS = all_rows()
NAMES = sorted(url_names())  # the resolver's list, not a hand-picked one: one test per URL pattern
PERSONAS = [*ROLES, "staff", "outsider"]
MEGA = "x" * (1024 * 1024)
HUGE = "9" * 40
INVALID_UTF8 = object()  # marker: the field's value is sent as raw, undecodable bytes
MANY = 1990  # just under DATA_UPLOAD_MAX_NUMBER_FIELDS, so the form (not Django) sees it all
# Pagination, read by list views without a form: it takes part in the whole-form requests only.
PAGE = forms.IntegerField()


# --- observing the forms a request builds -------------------------------------------------------


@contextmanager
def observed_forms() -> Iterator[list[forms.BaseForm]]:
    """Every form instantiated while the block runs (the views build them inline)."""
    seen: list[forms.BaseForm] = []
    original = forms.BaseForm.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        seen.append(self)

    forms.BaseForm.__init__ = init  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        forms.BaseForm.__init__ = original  # type: ignore[method-assign]


def _first_choice(field: forms.ChoiceField) -> str | None:
    for value, _label in field.choices:
        value = getattr(value, "value", value)
        if value not in ("", None):
            return str(value)
    return None


def plausible(field: forms.Field) -> Any:
    """A value the field would accept, so a hostile value elsewhere reaches the service."""
    if isinstance(field, forms.FileField):
        return None
    if field.initial not in (None, "") and not callable(field.initial):
        initial = field.initial
        return initial.isoformat() if isinstance(initial, date) else initial
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        first = _first_choice(field)
        return [first] if first else []
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return _first_choice(field)
    if isinstance(field, forms.BooleanField):
        return "on"
    if isinstance(field, forms.DateTimeField):
        return f"{date.today().isoformat()} 10:00"
    if isinstance(field, forms.DateField):
        return date.today().isoformat()
    if isinstance(field, forms.TimeField):
        return "10:00"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return str(field.min_value if getattr(field, "min_value", None) is not None else 1)
    if isinstance(field, forms.EmailField):
        return "personne@example.fr"
    return "Texte"


def _text_like(field: forms.Field) -> bool:
    return type(field) in (forms.CharField, forms.EmailField, forms.SlugField, forms.URLField) or (
        isinstance(field, forms.CharField) and not isinstance(field, forms.ChoiceField)
    )


def hostile(field: forms.Field) -> list[Any]:
    """The values one field gets on its own (the others valid): the ones its type invites."""
    values: list[Any] = []
    if field is PAGE:
        return values
    if _text_like(field):
        values.append(MEGA)
    if isinstance(field, forms.DateField | forms.DateTimeField):
        values += ["0001-01-01", "9999-12-31"]
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        first = _first_choice(field) or "1"
        values += [[first] * MANY, [str(i) for i in range(MANY)]]
    elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        values += [HUGE]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        values += [HUGE, "-" + HUGE, "-1"]
    return values


def worst(field: forms.Field) -> Any:
    """One hostile value per field, for the request where every field is hostile at once."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [HUGE, "-1", "zzz"]
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return "0001-01-01"
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "-" + HUGE
    return "zzz\x00"


# --- encoding a request body or query string ------------------------------------------------------


def encode(data: dict[str, Any], raw: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """URL-encoded pairs; the fields named in `raw` get undecodable UTF-8 bytes."""
    pairs: list[str] = []
    for key, value in data.items():
        name = quote_from_bytes(key.encode())
        if key in raw:
            pairs.append(f"{name}=%FF%FE%C3%28%00")
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{name}={quote_from_bytes(str(item).encode())}")
    return "&".join(pairs)


def variants(fields: dict[str, forms.Field], base: dict[str, Any], full: bool) -> Iterator[tuple[str, str]]:
    """(label, encoded body). Whole-form tricks; with `full`, each field's own values too."""
    everything = {**base, **{n: worst(f) for n, f in fields.items()}, "zz_unknown": "1", "__proto__": HUGE}
    yield "every field hostile, unknown fields", encode(everything)
    if not full:
        return
    yield "invalid utf-8 everywhere", encode({**base, **dict.fromkeys(fields, "")}, raw=set(fields))
    yield "duplicated fields", encode({n: [base.get(n) or "", "zzz"] for n in fields})
    for name, field in fields.items():
        for value in hostile(field):
            label = f"{name}={value[:1] if isinstance(value, list) else value!r:.30}"
            yield label, encode({**base, name: value})


# --- what a request wrote --------------------------------------------------------------------------


def _count_sql() -> tuple[list[str], str]:
    """One query counting the rows of every table but the audit trail and the login lockout log.

    The audit trail is compared by action (see Battery.check); django-axes records refused logins
    on purpose (the lockout counts them).
    """
    tables = sorted(
        {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
        - {AuditEvent._meta.db_table}
    )
    tables = [t for t in tables if not t.startswith("axes_")]
    return tables, "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)


def _audit_mark() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _ok_actions_since(mark: int) -> set[str]:
    return set(AuditEvent.objects.filter(seq__gt=mark, outcome=Outcome.OK).values_list("action", flat=True))


def row_counts(sql: str) -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def refused(response: Any, seen: list[forms.BaseForm]) -> bool:
    """4xx, a bound form with errors, or an error message queued for the next page."""
    if response.status_code >= 400:
        return True
    if any(form.is_bound and form._errors for form in seen):
        return True
    # Only the messages this request queued: the cookie may still carry an earlier request's.
    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    return any(m.level == ERROR for m in getattr(storage, "_queued_messages", []))


# --- the battery ----------------------------------------------------------------------------------


class Battery:
    def __init__(self) -> None:
        self.tables, self.sql = _count_sql()
        self.exercised = 0
        self.failures: list[str] = []
        # Audit actions a mere GET writes (reads of personal data): a refused submission that
        # shows the page again may write them, and nothing else.
        self.read_actions: set[str] = set()
        self.refusals: list[tuple[str, Client, set[str]]] = []
        self.pages_read: dict[int, set[str]] = {}

    def send(self, client: Client, method: str, url: str, body: str, what: str) -> None:
        """One request in a rolled-back savepoint; records a 5xx or a write on refusal."""
        with transaction.atomic():
            before, mark = row_counts(self.sql), _audit_mark()
            with observed_forms() as seen:
                if method == "POST":
                    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
                else:
                    response = client.get(f"{url}?{body}")
            self.exercised += 1
            actions = _ok_actions_since(mark)
            if response.status_code >= 500:
                self.failures.append(f"{response.status_code} {what}")
            elif method == "GET":
                self.read_actions |= actions
            elif refused(response, seen):
                after = row_counts(self.sql)
                changed = [t for t, b, a in zip(self.tables, before, after, strict=True) if a != b]
                if changed:
                    self.failures.append(f"written on refusal ({response.status_code}) {what}: {changed}")
                self.refusals.append((f"({response.status_code}) {what}", client, actions))
            transaction.set_rollback(True)

    def read_by_its_app(self, world, name: str, client: Client) -> set[str]:  # type: ignore[no-untyped-def]
        """The audit actions the GET of every page of the URL's app writes for this client: a
        refused submission may show another of its app's pages again (a refused decision shows
        the meeting's session)."""
        if id(client) not in self.pages_read:
            app = name.split(":")[0] + ":"
            with transaction.atomic():
                mark = _audit_mark()
                for page in NAMES:
                    row = ROWS[page]
                    if page.startswith(app) and row.method == "GET" and not (row.public or row.auth_step):
                        if row.given:
                            row.given(world, world.a)
                        kwargs = row.kwargs(world, world.a) if row.kwargs else {}
                        client.get(reverse(page, kwargs=kwargs or None))
                self.pages_read[id(client)] = _ok_actions_since(mark)
                transaction.set_rollback(True)
        return self.pages_read[id(client)]

    def check(self, world, name: str) -> list[str]:  # type: ignore[no-untyped-def]
        """Every failure: 5xx, rows written on refusal, a refusal audited as a change."""
        audited = []
        for what, client, actions in self.refusals:
            changes = actions - self.read_actions
            if changes:
                changes -= self.read_by_its_app(world, name, client)
            if changes:
                audited.append(f"audited as a change on refusal {what}: {sorted(changes)}")
        return self.failures + audited

    def probe(
        self, client: Client, method: str, url: str, data: dict[str, Any]
    ) -> tuple[int, dict, dict, bool]:
        """(status, fields of the forms the request bound to its data, valid values, an HTML page?).

        Bound forms are the ones reading this request's GET or POST data: the filters of a GET,
        the submitted form of a POST. Every form seen gives valid values for the next probe.
        """
        with transaction.atomic():
            mark = _audit_mark()
            with observed_forms() as seen:
                response = client.post(url, data) if method == "POST" else client.get(url, data)
            if method == "GET":
                self.read_actions |= _ok_actions_since(mark)
            bound: dict[str, forms.Field] = {}
            base: dict[str, Any] = {}
            for form in seen:
                named = {form.add_prefix(name): field for name, field in form.fields.items()}
                base.update({name: plausible(field) for name, field in named.items()})
                if form.is_bound:
                    bound.update(named)
            transaction.set_rollback(True)
        base = {name: value for name, value in base.items() if value is not None}
        html = response.get("Content-Type", "").startswith("text/html")
        return response.status_code, bound, base, html

    def plan(self, client: Client, url: str, data: dict[str, Any]) -> tuple:
        """What to send to `url`: (GET filters or None, HTML page?, takes a POST?, POST fields, valid body)."""
        status, _bound, page_values, html = self.probe(client, "GET", url, {})
        filters = None
        if status < 400:
            # A second look with a value in every field shows which forms filter the GET.
            filters = self.probe(client, "GET", url, page_values)[1] if page_values else {}
            # A document (PDF, CSV) takes seconds to build: its filters get the all-hostile request.
            if html:
                filters = {"page": PAGE, **filters}
        status, submitted, post_values, _html = self.probe(client, "POST", url, {**page_values, **data})
        return filters, html, status != 405, submitted, {**page_values, **post_values, **data}


def clients(world, name: str) -> Iterator[tuple[str, Client]]:  # type: ignore[no-untyped-def]
    row = ROWS[name]
    if row.public or row.auth_step:
        yield "anonymous", Client(raise_request_exception=False)
        return
    for persona in PERSONAS:
        if persona in row.allowed:
            user, membership = world.persona(persona)
            yield persona, login(Client(raise_request_exception=False), user, membership)


def test_the_battery_covers_every_url_pattern():
    assert len(NAMES) > 50
    assert set(NAMES) == url_names() and set(NAMES) <= ROWS.keys()


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_hostile_values_never_answer_500_nor_write_on_refusal(world, name):
    battery = Battery()
    started, cpu = time.monotonic(), time.process_time()
    row = ROWS[name]
    if row.given:
        row.given(world, world.a)
    kwargs = row.kwargs(world, world.a) if row.kwargs else {}
    url = reverse(name, kwargs=kwargs or None)
    data = row.data(world, world.a)
    plan = None
    for persona, client in clients(world, name):
        what = f"{name} as {persona}"
        full = plan is None  # the whole battery once; one all-hostile request per other role
        if plan is None:
            plan = battery.plan(client, url, data)
        filters, html, accepts_post, submitted, base = plan
        # A document (PDF, CSV) takes seconds to build: its filters are tried by one role.
        if filters is not None and (full or (filters and html)):
            for label, query in variants(filters, {}, full and html):
                battery.send(client, "GET", url, query, f"GET {what}: {label}")
        if accepts_post:
            for label, body in variants(submitted, base, full):
                battery.send(client, "POST", url, body, f"POST {what}: {label}")
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    print(
        f"\nhostile input: {battery.exercised} (url, persona, value) requests on {name} "
        f"in {elapsed:.1f} s ({cpu:.1f} s of CPU)"
    )
    failures = battery.check(world, name)
    assert failures == [], "\n".join(failures[:80])
    # Every pattern answering a GET or a POST got its requests (the battery is not empty).
    assert battery.exercised > 0 or (plan is not None and plan[0] is None and not plan[2])
