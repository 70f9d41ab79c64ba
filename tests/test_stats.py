"""Statistics: suppression property tests, aggregates, page, CSV, query counts."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cmer.stats.suppression import Line, Mark, label, suppress

BIG = 10**9


@functools.lru_cache(maxsize=16)
def _lines_of(lines: tuple[Line, ...]) -> dict[Hashable, tuple[int, ...]]:
    """For each cell, the lines (by position) it appears in, as total or as part."""
    found: dict[Hashable, list[int]] = {}
    for i, line in enumerate(lines):
        for key in (line.total, *line.parts):
            found.setdefault(key, []).append(i)
    return {key: tuple(where) for key, where in found.items()}


def _propagate(dom: dict, lines: Sequence[Line], changed: Sequence[Hashable] | None = None) -> bool:
    """Shrink domains (lo, hi) in place without ever removing a feasible value; False if empty.

    A line is looked at again only when one of its cells moved (a worklist: the same fixed point
    as sweeping every line until none moves, without the sweeps that find nothing to do). With
    `changed`, the domains were at a fixed point but for those cells: only their lines start."""
    lines = tuple(lines)
    lines_of = _lines_of(lines)
    pending = list(range(len(lines)) if changed is None else {j for k in changed for j in lines_of[k]})
    queued = set(pending)
    budget = 500 * len(lines)  # still sound when it runs out: domains only shrank by proven steps
    while pending and budget:
        budget -= 1
        i = pending.pop()
        queued.discard(i)
        line = lines[i]
        moved = []
        parts_lo = sum(dom[p][0] for p in line.parts)
        parts_hi = sum(dom[p][1] for p in line.parts)
        t_lo, t_hi = dom[line.total]
        nt = (max(t_lo, parts_lo), min(t_hi, parts_hi))
        if nt[0] > nt[1]:
            return False
        if nt != (t_lo, t_hi):
            dom[line.total] = nt
            moved.append(line.total)
        t_lo, t_hi = nt
        for p in line.parts:
            lo, hi = dom[p]
            np_ = (max(lo, t_lo - (parts_hi - hi)), min(hi, t_hi - (parts_lo - lo)))
            if np_[0] > np_[1]:
                return False
            if np_ != (lo, hi):
                dom[p] = np_
                parts_lo += np_[0] - lo
                parts_hi += np_[1] - hi
                moved.append(p)
        for key in moved:
            for j in lines_of[key]:
                if j not in queued:
                    queued.add(j)
                    pending.append(j)
    return True


def _solve(dom: dict, lines: Sequence[Line], changed: Sequence[Hashable] | None = None) -> bool:
    if not _propagate(dom, lines, changed):
        return False
    open_vars = [k for k, (lo, hi) in dom.items() if lo < hi]
    if not open_vars:
        return all(dom[line.total][0] == sum(dom[p][0] for p in line.parts) for line in lines)
    k = min(open_vars, key=lambda v: (dom[v][1] - dom[v][0], repr(v)))
    lo, hi = dom[k]
    if hi - lo <= 8:
        branches = [(v, v) for v in range(lo, hi + 1)]
    else:
        mid = (lo + hi) // 2
        branches = [(lo, mid), (mid + 1, hi)]
    for branch in branches:
        trial = dict(dom)
        trial[k] = branch
        if _solve(trial, lines, (k,)):
            return True
    return False


def domains(values: Mapping[Hashable, int], marks: Mapping[Hashable, Mark]) -> dict:
    dom = {}
    for k, v in values.items():
        mark = marks[k]
        dom[k] = (v, v) if mark is Mark.SHOWN else (1, 4) if mark is Mark.SMALL else (0, BIG)
    return dom


def exposed_small_counts(
    values: Mapping[Hashable, int], lines: Sequence[Line], marks: Mapping[Hashable, Mark]
) -> list[Hashable]:
    """Small counts readable directly or recomputable: the attacker's wins."""
    wins = [k for k, v in values.items() if 1 <= v <= 4 and marks[k] is Mark.SHOWN]
    base = domains(values, marks)
    assert _propagate(base, lines)  # the true values lie in every domain
    for k, mark in marks.items():
        if mark is not Mark.SMALL:
            continue
        alternatives = [v for v in range(1, 5) if v != values[k] and base[k][0] <= v <= base[k][1]]
        if not any(_solve({**base, k: (v, v)}, lines, (k,)) for v in alternatives):
            wins.append(k)
    return wins


# --- Property tests on the pure suppression function -------------------------------------------

CATS = st.integers(min_value=0, max_value=5)
ITEMS = st.lists(st.tuples(CATS, CATS, st.integers(0, 2), CATS), max_size=45)


def publication(items: list[tuple[int, int, int, int]]) -> tuple[dict, list[Line]]:
    """Three tables over one population, like the statistics page: two flat breakdowns sharing
    their total (month, source) and a two-level one (minors/adults, then age brackets)."""
    values: dict = {"T": len(items)}
    lines: list[Line] = []
    for dim in ("a", "b"):
        keys = [(dim, c) for c in range(6)]
        for i, key in enumerate(keys):
            values[key] = sum(1 for it in items if it[0 if dim == "a" else 1] == i)
        lines.append(Line("T", tuple(keys)))
    groups = []
    for g in range(3):
        keys = [("h", g, s) for s in range(6)]
        for s, key in enumerate(keys):
            values[key] = sum(1 for it in items if it[2] == g and it[3] == s)
        values[("g", g)] = sum(values[k] for k in keys)
        lines.append(Line(("g", g), tuple(keys)))
        groups.append(("g", g))
    lines.append(Line("T", tuple(groups)))
    return values, lines


@settings(max_examples=500, deadline=None)
@given(ITEMS)
def test_no_small_count_can_be_read_or_recomputed(items):
    values, lines = publication(items)
    marks = suppress(values, lines)
    assert exposed_small_counts(values, lines, marks) == []
    # The published text of a hidden cell never carries its value.
    for key, mark in marks.items():
        if mark is not Mark.SHOWN:
            assert label(values[key], mark) in {"< 5", "s"}


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8))
def test_single_table_with_total(parts):
    values = {("p", i): v for i, v in enumerate(parts)} | {"T": sum(parts)}
    lines = [Line("T", tuple(("p", i) for i in range(len(parts))))]
    marks = suppress(values, lines)
    assert exposed_small_counts(values, lines, marks) == []
    if not any(1 <= v <= 4 for v in values.values()):
        assert set(marks.values()) == {Mark.SHOWN}  # nothing to protect: nothing hidden


SMALL_ITEMS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 1), st.integers(0, 2)), max_size=14
)


@settings(max_examples=60, deadline=None)
@given(st.lists(SMALL_ITEMS, min_size=2, max_size=3))
def test_consolidated_view_cannot_be_subtracted_from_cell_pages(cells):
    """A user of several cells sees each cell's page and the consolidated one: together, with
    every relation between them (sum over cells), they still pin no small count of any cell."""
    from cmer.stats.report import consolidate

    values: dict = {}
    marks: dict = {}
    lines: list[Line] = []
    per_cell = []
    for c, items in enumerate(cells):
        v, ls = publication(items)
        m = suppress(v, ls)
        per_cell.append((v, m))
        values |= {(c, k): x for k, x in v.items()}
        marks |= {(c, k): x for k, x in m.items()}
        lines += [Line((c, ln.total), tuple((c, p) for p in ln.parts)) for ln in ls]
    all_values, all_marks = consolidate(per_cell)
    values |= {("all", k): x for k, x in all_values.items()}
    marks |= {("all", k): x for k, x in all_marks.items()}
    _v, template_lines = publication([])
    lines += [Line(("all", ln.total), tuple(("all", p) for p in ln.parts)) for ln in template_lines]
    lines += [Line(("all", k), tuple((c, k) for c in range(len(cells)))) for k in all_values]
    assert exposed_small_counts(values, lines, marks) == []


def test_attacker_is_not_toothless():
    """The checker finds the classic leak: one hidden cell beside a published total."""
    values = {"T": 20, "a": 3, "b": 17}
    lines = [Line("T", ("a", "b"))]
    naive = {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SHOWN}
    assert exposed_small_counts(values, lines, naive) == ["a"]
    # ... and the interval leak: two « < 5 » beside a shown 0 under a shown 8 must both be 4.
    values = {"T": 8, "a": 4, "b": 4, "c": 0}
    lines = [Line("T", ("a", "b", "c"))]
    naive = {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SMALL, "c": Mark.SHOWN}
    assert exposed_small_counts(values, lines, naive) == ["a", "b"]
    assert exposed_small_counts(values, lines, suppress(values, lines)) == []


def test_suppression_examples():
    lines = [Line("T", ("a", "b", "c"))]
    assert suppress({"T": 30, "a": 10, "b": 12, "c": 8}, lines) == {
        "T": Mark.SHOWN,
        "a": Mark.SHOWN,
        "b": Mark.SHOWN,
        "c": Mark.SHOWN,
    }
    marks = suppress({"T": 25, "a": 3, "b": 12, "c": 10}, lines)
    # The small one, and the smallest other part as its complement; the total stays.
    assert marks == {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SHOWN, "c": Mark.MASKED}
    # Two small parts and a zero under a shown total: masking the zero is the cheapest fix.
    marks = suppress({"T": 8, "a": 4, "b": 4, "c": 0}, lines)
    assert marks == {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SMALL, "c": Mark.MASKED}
    with pytest.raises(ValueError):
        suppress({"T": 9, "a": 4, "b": 4, "c": 0}, lines)


# --- The page, the CSV, the filters, on the database ---------------------------------------------

import csv  # noqa: E402
import io  # noqa: E402
from datetime import date  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from cmer.accounts.models import Charter, CharterAcceptance  # noqa: E402
from cmer.accounts.roles import Role  # noqa: E402
from cmer.audit.models import AuditEvent  # noqa: E402
from cmer.referrals.models import Source  # noqa: E402
from cmer.stats.aggregates import collect, period_for  # noqa: E402
from cmer.stats.permissions import stats_cells  # noqa: E402
from cmer.stats.report import csv_safe, values_and_lines  # noqa: E402
from tests.factories_stats import Situation, bulk_situations, mixed  # noqa: E402
from tests.personas import login, make_cell, make_membership, persona_client  # noqa: E402

YEAR = 2025
SOURCE_TABLE = "Signalements reçus par origine"


def csv_table(response, title: str) -> dict[str, str]:
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return {r[3]: r[4] for r in rows[1:] if r[2] == title}


def marks_from_text(text: str) -> Mark:
    return {"< 5": Mark.SMALL, "s": Mark.MASKED}.get(text, Mark.SHOWN)


@pytest.mark.django_db
def test_page_and_csv_publish_no_recomputable_small_count(world):
    """End to end: 12 from schools, 3 from families. The 3 is « < 5 » everywhere, and what the
    CSV publishes does not let the exhaustive attacker pin it down."""
    bulk_situations(
        world.a, YEAR, [Situation(source=Source.SCHOOL)] * 12 + [Situation(source=Source.FAMILY)] * 3
    )
    client = persona_client(world, "member")
    page = client.get("/statistiques/", {"annee": YEAR})
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt; 5" in html and "<svg" in html and 'class="fr-table"' in html
    exported = client.get("/statistiques/export.csv", {"annee": YEAR})
    sources = csv_table(exported, SOURCE_TABLE)
    assert sources["famille"] == "< 5"
    assert not (sources["établissement scolaire"] == "12" and sources["Total"] == "15")
    # Rebuild the true values and lines, take the marks from the CSV, and attack every table.
    values, lines = values_and_lines(
        collect([world.a.cell.pk], period_for(YEAR))[world.a.cell.pk], period_for(YEAR)
    )
    text = exported.content.decode("utf-8-sig")
    published = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert len(published) == len(values) + 1  # every cell once, the shared total twice
    from cmer.stats.report import TABLES, _layout

    marks = {}
    rows = iter(published)
    for table, _title, _total in TABLES:
        for key, _label, _kind in _layout(table, period_for(YEAR)):
            marks[key] = marks_from_text(next(rows)[4])
    assert exposed_small_counts(values, lines, marks) == []
    # No number printed for the hidden cells anywhere in the CSV or the charts.
    assert "Canari" not in text and "Canari" not in html


@pytest.mark.django_db
def test_consolidated_view_only_adds_up_what_each_cell_publishes(world):
    """A préfecture officer in both cells: a sum is shown only if every cell shows its term."""
    officer = world.a.members["state_member"]
    in_b = make_membership(officer.user, world.b.cell, Role.STATE_MEMBER)
    bulk_situations(
        world.a, YEAR, [Situation(source=Source.SCHOOL)] * 20 + [Situation(source=Source.FAMILY)] * 2
    )
    bulk_situations(
        world.b, YEAR, [Situation(source=Source.SCHOOL)] * 30 + [Situation(source=Source.FAMILY)] * 9
    )
    client = login(persona_client(world, "state_member"), officer.user, officer)
    sources = csv_table(
        client.get("/statistiques/export.csv", {"annee": YEAR, "perimetre": "all"}), SOURCE_TABLE
    )
    # Family: 2 in A is hidden, so the sum 11 is masked (else 11 - 9 would give A's 2).
    assert sources["famille"] == "s"
    assert sources["bailleur"] == "0"
    # Cell B alone still publishes its own figures.
    only_b = login(persona_client(world, "state_member"), officer.user, in_b)
    b_sources = csv_table(only_b.get("/statistiques/export.csv", {"annee": YEAR}), SOURCE_TABLE)
    assert b_sources["famille"] == "9" and b_sources["Total"] == "39"
    # A member of only one cell cannot ask for the consolidated view: defaults apply.
    single = persona_client(world, "member")
    response = single.get("/statistiques/", {"annee": YEAR, "perimetre": "all"})
    assert response.status_code == 200
    assert "Filtre invalide" in response.content.decode()


@pytest.mark.django_db
def test_consolidated_view_leaves_out_a_cell_whose_charter_is_not_accepted(world):
    """docs/rules.md §2: nothing of a cell before its current charter is accepted. The State member
    of A also holds a membership in B, never accepted: B's 30 situations are not added up in A's
    consolidated figures, until B's charter is accepted (positive control)."""
    officer = world.a.members["state_member"]
    in_b = make_membership(officer.user, world.b.cell, Role.STATE_MEMBER, accept=False)
    bulk_situations(world.b, YEAR, [Situation(source=Source.SCHOOL)] * 30)
    client = login(persona_client(world, "state_member"), officer.user, officer)
    query = {"annee": YEAR, "perimetre": "all"}

    sources = csv_table(client.get("/statistiques/export.csv", query), SOURCE_TABLE)
    assert sources["Total"] == "0" and sources["établissement scolaire"] == "0"
    # One cell only: the consolidated perimeter is not even offered.
    assert "Filtre invalide" in client.get("/statistiques/", query).content.decode()

    CharterAcceptance.objects.create(membership=in_b, charter=world.b.cell.current_charter())
    sources = csv_table(client.get("/statistiques/export.csv", query), SOURCE_TABLE)
    assert sources["Total"] == "30" and sources["établissement scolaire"] == "30"
    assert "Filtre invalide" not in client.get("/statistiques/", query).content.decode()
    # A new version of B's charter asks again: until it is accepted, B is left out once more.
    Charter.objects.create(cell=world.b.cell, version=2, text="Charte v2", effective_date=date(2024, 6, 1))
    sources = csv_table(client.get("/statistiques/export.csv", query), SOURCE_TABLE)
    assert sources["Total"] == "0"


@pytest.mark.django_db
def test_the_cells_added_up_are_found_in_one_query_whatever_their_number(world, django_assert_num_queries):
    """docs/performance.md P2: the charter of each other cell is checked in the same query, not
    one more query per membership."""
    officer = world.a.members["state_member"]
    make_membership(officer.user, world.b.cell, Role.STATE_MEMBER)
    third = make_cell("CCC", "Gamma-ville", "13003")
    make_membership(officer.user, third, Role.STATE_MEMBER)
    make_membership(officer.user, make_cell("DDD", "Delta-ville", "13004"), Role.STATE_MEMBER, accept=False)
    with django_assert_num_queries(1):
        cells = stats_cells(officer)
    assert cells == [world.a.cell, world.b.cell, third]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"annee": "abc"},
        {"annee": "1999"},
        {"annee": str(date.today().year + 1)},
        {"perimetre": "x" * 500},
        {"annee": "2025\x00"},
    ],
)
def test_bad_filters_fall_back_to_defaults(world, query):
    response = persona_client(world, "coordinator").get("/statistiques/", query)
    assert response.status_code == 200
    assert "Filtre invalide" in response.content.decode()


def test_current_year_stops_at_the_last_complete_month():
    period = period_for(2026, today=date(2026, 5, 14))
    assert period.months == 4 and period.end_date == date(2026, 5, 1)
    assert period_for(2025, today=date(2026, 5, 14)).months == 12


@pytest.mark.parametrize(
    "payload", ["=1+1", "+33612345678", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
)
def test_csv_safe_neutralises_formulas(payload):
    assert csv_safe(payload) == "'" + payload
    assert csv_safe("< 5") == "< 5" and csv_safe("12") == "12"


@pytest.mark.django_db
def test_csv_export_is_formula_safe_and_audited(world):
    cell = world.a.cell
    cell.name = '=HYPERLINK("http://evil.example","clic")'
    cell.save()
    bulk_situations(world.a, YEAR, mixed(20))
    response = persona_client(world, "dpo").get("/statistiques/export.csv", {"annee": YEAR})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert all(row[0].startswith("'=") for row in rows[1:])
    assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row)
    event = AuditEvent.objects.get(action="stats.export_csv")
    assert event.actor_id == world.a.user("dpo").pk and event.cell_id == cell.pk
    assert event.data == {"year": YEAR, "scope": "cell"}


def _count_queries(client, year):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/statistiques/", {"annee": year}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_is_the_same_with_10_and_10000_cases(world, django_assert_num_queries):
    bulk_situations(world.a, YEAR, mixed(10))
    client = persona_client(world, "coordinator")
    _count_queries(client, YEAR)  # warm the session and caches
    small = _count_queries(client, YEAR)
    bulk_situations(world.a, YEAR, mixed(9_990))
    with django_assert_num_queries(small):
        page = client.get("/statistiques/", {"annee": YEAR})
    assert "10000" in page.content.decode()  # the total is there: the data really grew
    print(f"statistics page: {small} queries with 10 cases and with 10,000")
    assert small <= 15  # docs/performance.md P2: at most 15 queries per key page


@pytest.mark.django_db
def test_collect_runs_the_same_queries_for_one_cell_and_for_two(world, django_assert_num_queries):
    """docs/performance.md P2: the aggregates do not grow with the cells covered."""
    bulk_situations(world.a, YEAR, mixed(20))
    bulk_situations(world.b, YEAR, mixed(20))
    with CaptureQueriesContext(connection) as one:
        collect([world.a.cell.pk], period_for(YEAR), quarters=True)
    with django_assert_num_queries(len(one.captured_queries)):
        both = collect([world.a.cell.pk, world.b.cell.pk], period_for(YEAR), quarters=True)
    assert both[world.b.cell.pk].values[("referrals_source", "school")] == 8
    assert len(one.captured_queries) == 6


@pytest.mark.django_db
def test_compiled_statements_bind_each_call_s_own_cells_and_period(world):
    """collect() compiles each statement once per shape (number of cells, quarter split, database)
    and reuses it: whatever ran before, a call counts its own cells and period, as a first call."""
    from cmer.stats import aggregates

    a, b = world.a.cell.pk, world.b.cell.pk
    bulk_situations(world.a, YEAR, mixed(20))
    bulk_situations(world.b, YEAR, mixed(12))
    bulk_situations(world.a, YEAR - 1, mixed(7))
    calls = [
        ([a], period_for(YEAR), False),
        ([b], period_for(YEAR), True),  # the same shape but the split: another statement
        ([a, b], period_for(YEAR), True),
        ([a], period_for(YEAR - 1), False),
        ([b, a], aggregates.quarter_period(YEAR, 2), False),
    ]
    first = []
    for call in calls:
        aggregates._STATEMENTS.clear()
        first.append(collect(*call))
    assert first[0][a] != first[3][a] and first[0][a] != first[1][b]  # the calls do differ
    assert first[1][b].quarters and not first[0][a].quarters
    aggregates._STATEMENTS.clear()
    assert [collect(*call) for call in calls + calls] == first + first


@pytest.mark.django_db
def test_a_statement_with_a_parameter_other_than_the_bounds_is_refused(world):
    """Only the bounds are parameters of a reused statement: the clock read inside a query would be
    frozen into every later call, so compiling it fails."""
    from django.utils import timezone

    from cmer.referrals.models import Referral
    from cmer.stats import aggregates

    def query(b, quarters):  # type: ignore[no-untyped-def]
        return Referral.objects.filter(cell_id__in=b.cells, received_at__lt=timezone.now()).values("cell_id")

    with pytest.raises(ValueError, match="neither one of the bounds nor a constant"):
        aggregates._compile(query, "default", 1, False)
    bounded = aggregates._compile(aggregates._meetings_query, "default", 2, False)
    assert [slot for slot, _value in bounded.params if slot is not None] == [5, 6, 0, 4]


@pytest.mark.django_db
def test_brackets_of_age_and_support_length_at_their_limits(world):
    """An age or a length equal to a bracket's limit falls in the next bracket (limits are exclusive)."""
    ages = [12, 13, 15, 16, 17, 18, 21, 22, 25, 26]
    lengths = [90, 91, 182, 183, 363]  # plans start on 2 January: 12 months would end next year
    situations = [Situation(age=a) for a in ages] + [Situation(age=30, support_days=d) for d in lengths]
    bulk_situations(world.a, YEAR, situations)
    values = collect([world.a.cell.pk], period_for(YEAR))[world.a.cell.pk].values
    assert {k[1]: v for k, v in values.items() if k[0] == "ages" and v} == {
        ("minor", "lt13"): 1,
        ("minor", "13to15"): 2,
        ("minor", "ge16"): 2,
        ("adult", "lt22"): 2,
        ("adult", "22to25"): 2,
        ("adult", "ge26"): 1 + len(lengths),
    }
    assert {k[1]: v for k, v in values.items() if k[0] == "support" and v} == {
        "lt3": 1,
        "3to6": 2,
        "6to12": 2,
    }


@pytest.mark.django_db
def test_information_from_the_prefet_is_never_counted(world):
    """docs/rules.md §6: the préfet's information stays in its compartment, out of every figure."""
    from cmer.exchange.models import PrefectInformation, PrefectSituation

    cases = bulk_situations(world.a, YEAR, mixed(30))
    client = persona_client(world, "coordinator")
    before = client.get("/statistiques/export.csv", {"annee": YEAR}).content
    for case in cases[:6]:
        PrefectInformation.objects.create(
            cell=world.a.cell,
            situation=PrefectSituation.SUPPORTED_PERSON,
            received_on=date(YEAR, 4, 2),
            case=case,
            recorded_by=world.a.members["coordinator"],
        )
    assert client.get("/statistiques/export.csv", {"annee": YEAR}).content == before


@pytest.mark.django_db
def test_collect_counts_every_table(world):
    from cmer.cases.states import CloseReason, State
    from cmer.meetings.models import DecisionKind

    minor = Situation(
        source=Source.SCHOOL,
        age=16,
        exit=State.TO_REVIEW,
        decision=DecisionKind.PROPOSE_SUPPORT,
        closed=CloseReason.END_OF_SUPPORT,
        support_days=40,
    )
    adult = Situation(source=Source.FAMILY, age=23, exit=State.DISMISSED, month=7)
    bulk_situations(world.a, YEAR, [minor] * 6 + [adult] * 7)
    bulk_situations(world.b, YEAR, [adult] * 9)  # another cell: never mixed in
    bulk_situations(world.a, YEAR - 1, [adult] * 5)  # another year: never mixed in
    counts = collect([world.a.cell.pk], period_for(YEAR))[world.a.cell.pk]
    assert {k: v for k, v in counts.values.items() if v} == {
        ("referrals_month", 3): 6,
        ("referrals_month", 7): 7,
        ("referrals_source", "school"): 6,
        ("referrals_source", "family"): 7,
        ("prequalification", "to_review"): 6,
        ("prequalification", "dismissed"): 7,
        ("decisions", "propose_support"): 6,
        ("support", "lt3"): 6,
        ("closures", "end_of_support"): 6,
        ("ages", ("minor", "ge16")): 6,
        ("ages", ("adult", "22to25")): 7,
    }
    activity = counts.activity
    assert activity.meetings_held == 1
    assert (activity.attendance_present, activity.attendance_recorded) == (3, 4)
    assert activity.qualify_n == 13 and round(activity.qualify_days_sum / 13) == 7
    assert activity.decide_n == 6


# --- The running year by quarter, and the year that follows it ----------------------------------

QUARTER_ITEMS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), max_size=30)


def year_and_quarters(items: list[tuple[int, int]]) -> tuple[dict, list[Line], list, dict, list[Line]]:
    """Items are (quarter, category), three categories and a total. The year's values and lines,
    each quarter's, and the attacker's view: every cell of the year and of the four quarters
    (keys prefixed "q1".."q4"), every relation (year = sum of its quarters)."""
    cats = range(3)

    def table(rows: list[int]) -> tuple[dict, list[Line]]:
        values = {("c", c): sum(1 for r in rows if r == c) for c in cats} | {"T": len(rows)}
        return values, [Line("T", tuple(("c", c) for c in cats))]

    quarters = [table([c for q, c in items if q == i]) for i in range(4)]
    year_values, year_lines = table([c for _q, c in items])
    values, lines = dict(year_values), list(year_lines)
    for i, (qv, ql) in enumerate(quarters):
        values |= {(f"q{i + 1}", k): v for k, v in qv.items()}
        lines += [Line((f"q{i + 1}", ln.total), tuple((f"q{i + 1}", p) for p in ln.parts)) for ln in ql]
    lines += [Line(k, tuple((f"q{i + 1}", k) for i in range(4))) for k in year_values]
    return year_values, year_lines, quarters, values, lines


@settings(max_examples=300, deadline=None)
@given(QUARTER_ITEMS)
# The classic case: 5 then 2 of a category in Q1 and Q4; a year showing 7 would give Q4's 2.
@example(items=[(0, 0)] * 5 + [(3, 0)] * 2 + [(0, 1)] * 6 + [(3, 1)] * 6)
# Pinned only by combining lines: year c0 = 6 with the year total 12 bounds Q2 + Q4 by 2, so Q1's
# 4 and 1 are pinned; interval propagation through each line alone misses it.
@example(items=[(0, 0)] * 4 + [(0, 1), (1, 0), (1, 0)] + [(2, 1)] * 4 + [(2, 2)])
def test_year_cannot_be_subtracted_from_its_provisional_quarters(items):
    """Items are (quarter, category). Quarters 1-3 were published on their own while the year ran;
    the year is then published with year_marks' rule. Everything together, with every relation
    (year = sum of quarters), pins no small count: not in a quarter, not in the year, and not in
    the never-published 4th quarter (whose small cells the attacker would learn by subtraction)."""
    from cmer.stats.report import marks_after_quarters
    from cmer.stats.suppression import exposed, is_small

    year_values, year_lines, quarters, values, lines = year_and_quarters(items)
    frozen = {}
    for i, (qv, ql) in enumerate(quarters):
        qm = suppress(qv, ql) if i < 3 else dict.fromkeys(qv, Mark.MASKED)
        frozen |= {(f"q{i + 1}", k): m for k, m in qm.items()}
    marks = frozen | marks_after_quarters(year_values, year_lines, quarters)
    assert exposed_small_counts(values, lines, marks) == []
    # The unpublished 4th quarter: an attacker who knows nothing of it cannot pin its small cells.
    q4_small = frozenset(k for k in frozen if k[0] == "q4" and is_small(values[k]))
    assert exposed(values, lines, marks, q4_small) == []
    for k in q4_small:
        others = [v for v in range(0, 8) if v != values[k]]
        assert any(_solve({**domains(values, marks), k: (v, v)}, lines) for v in others), k


def test_lines_combined_pin_what_each_line_alone_does_not():
    """The year minus its quarters, docs/rules.md §10: Q1 = 4, 1, 0 | 5; Q2 = 2, 0, 0 | 2;
    Q3 = 0, 4, 1 | 5; Q4 = 0 (never published); the year 6, 5, 1 | 12 with its c1 masked. Year T
    gives Q2 + Q4 = 2, Q2's shown zeros give Q2's total = its c0, so year c0 = 6 leaves Q1's c0
    at least 4: Q1's 4 and 1 are pinned. Each line alone (interval propagation) leaves them open;
    the LP over every line finds them, as the exhaustive solver does."""
    from cmer.stats.suppression import bounds, exposed

    items = [(0, 0)] * 4 + [(0, 1), (1, 0), (1, 0)] + [(2, 1)] * 4 + [(2, 2)]
    _yv, _yl, quarters, values, lines = year_and_quarters(items)
    marks = {("c", 0): Mark.SHOWN, ("c", 1): Mark.MASKED, ("c", 2): Mark.SMALL, "T": Mark.SHOWN}
    for i, (qv, ql) in enumerate(quarters):
        qm = suppress(qv, ql) if i < 3 else dict.fromkeys(qv, Mark.MASKED)
        marks |= {(f"q{i + 1}", k): m for k, m in qm.items()}
    pinned = [("q1", ("c", 0)), ("q1", ("c", 1))]
    assert [marks[k] for k in pinned] == [Mark.SMALL, Mark.SMALL]
    iv = bounds(values, lines, marks)
    assert all(iv[k][0] < iv[k][1] for k in pinned)  # the former attacker model saw nothing
    assert exposed(values, lines, marks) == pinned
    assert sorted(exposed_small_counts(values, lines, marks), key=repr) == pinned


@settings(max_examples=300, deadline=None)
@given(QUARTER_ITEMS, st.randoms(use_true_random=False))
def test_audit_is_exact_on_a_year_with_its_quarters(items, rnd):
    """A year with its quarters is a flow network: the LP's bounds are the attacker's. On any marks
    (not only suppress()'s), exposed() pins exactly the « < 5 » the exhaustive solver pins."""
    from cmer.stats.suppression import exposed, is_small

    _yv, _yl, _q, values, lines = year_and_quarters(items)
    hide = rnd.random() / 2
    marks = {
        k: (Mark.SMALL if rnd.random() < 0.9 else Mark.MASKED)
        if is_small(v)
        else (Mark.MASKED if rnd.random() < hide else Mark.SHOWN)
        for k, v in values.items()
    }
    referee = [k for k in exposed_small_counts(values, lines, marks) if marks[k] is Mark.SMALL]
    assert exposed(values, lines, marks) == sorted(referee, key=repr)


def test_no_linear_programming_for_a_single_period(monkeypatch):
    """A period's tables are trees of lines, where interval propagation is already exact: the
    statistics of one quarter, or of a running year's quarter, never pay for an LP."""
    import scipy.optimize

    from cmer.stats import suppression

    solved = []
    linprog = scipy.optimize.linprog

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        solved.append(args)
        return linprog(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "linprog", counted)
    suppression._solve_pinned.cache_clear()
    items = [(a % 6, a % 5, a % 3, a % 4) for a in range(23)] + [(5, 5, 2, 5)] * 3
    values, lines = publication(items)
    marks = suppress(values, lines)
    assert Mark.SMALL in marks.values() and Mark.MASKED in marks.values()
    assert solved == []
    # ... while a year with its quarters, which has cycles, does run them.
    _yv, _yl, _q, values, lines = year_and_quarters([(q, c) for q in range(4) for c in range(3)] * 2)
    marks = {k: Mark.SMALL if suppression.is_small(v) else Mark.MASKED for k, v in values.items()}
    assert suppression.exposed(values, lines, marks | {"T": Mark.SHOWN}) == []
    assert solved


@pytest.mark.django_db
def test_running_year_is_published_by_completed_quarter_only(world, monkeypatch):
    """In mid-November: quarters 1 to 3, each provisional, no year-to-date total, no 4th quarter."""
    import datetime as dt

    from django.utils import timezone as tz

    year = date.today().year
    monkeypatch.setattr(tz, "localdate", lambda *a, **k: dt.date(year, 11, 15))
    bulk_situations(world.a, year, [Situation(month=m, source=Source.SCHOOL) for m in (2, 2, 5, 11)] * 3)
    client = persona_client(world, "member")
    html = client.get("/statistiques/", {"annee": year}).content.decode()
    assert f"1er trimestre {year} (provisoire)" in html
    assert f"3e trimestre {year} (provisoire)" in html
    assert "4e trimestre" not in html
    assert "novembre" not in html  # a month of the running quarter is never shown
    assert "Rapport annuel (PDF)" not in html
    assert html.count("<svg") == 3 * 7 and html.count("<table") == 3 * 7
    rows = client.get("/statistiques/export.csv", {"annee": year}).content.decode("utf-8-sig")
    assert "4e trimestre" not in rows and f"3e trimestre {year} (provisoire)" in rows
    pdf = client.get("/statistiques/rapport-annuel.pdf", {"annee": year})
    assert pdf.status_code == 302 and pdf["Location"] == "/statistiques/"
