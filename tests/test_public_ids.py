"""Cell objects are named in URLs by opaque public ids, never by their sequential primary key (ADR 0009)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.urls.converters import IntConverter

from cmer.core.public_ids import KINDS, TOKEN_LENGTH, PublicIdConverter, primary_key, public_id
from tests.factories import make_case
from tests.factories_meetings import make_item, make_meeting
from tests.personas import persona_client

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
TOKEN = re.compile(f"[a-z2-7]{{{TOKEN_LENGTH}}}")


# --- structure: every URL pattern, enumerated from the resolver ------------------------------------


def _patterns(resolver: URLResolver, prefix: str = "", converters=None) -> Iterator[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    """(route, converters) of every URL pattern, the converters of the enclosing includes merged in."""
    for entry in resolver.url_patterns:
        merged = {**(converters or {}), **entry.pattern.converters}
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the Django admin: platform staff only, internal ids are fine there
            yield from _patterns(entry, route, merged)
        elif isinstance(entry, URLPattern):
            yield route, merged


def id_violations(resolver: URLResolver) -> list[str]:
    """Patterns that put an integer in a URL, or name an object by anything but a public id."""
    found = []
    for route, converters in _patterns(resolver):
        for name, converter in converters.items():
            if isinstance(converter, IntConverter):
                found.append(f"{route}: <int:{name}>")
            elif (name == "pk" or name.endswith("_pk")) and not isinstance(converter, PublicIdConverter):
                found.append(f"{route}: {name} is not a public id")
    return found


def test_no_url_pattern_names_an_object_by_its_primary_key():
    routes = list(_patterns(get_resolver()))
    assert len(routes) > 100  # the walk reached the apps' patterns
    assert sum(isinstance(c, PublicIdConverter) for _, cs in routes for c in cs.values()) >= 55
    assert id_violations(get_resolver()) == []


def test_the_structural_check_catches_an_integer_id():
    class Probe:
        urlpatterns = [
            path("x/<int:pk>/", lambda r: None),
            path("y/<str:case_pk>/", lambda r: None),
            path("z/<case:pk>/", lambda r: None),
        ]

    assert id_violations(URLResolver(re.compile("^/"), Probe)) == [
        "x/<int:pk>/: <int:pk>",
        "y/<str:case_pk>/: case_pk is not a public id",
    ]


# --- the tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip(kind):
    for pk in (1, 2, 41, 1000, 2**31, 2**63 - 1):
        token = public_id(kind, pk)
        assert TOKEN.fullmatch(token), token
        assert primary_key(kind, token) == pk


def test_not_a_primary_key_has_no_token():
    for pk in (0, -1, 2**63):
        with pytest.raises(ValueError):
            public_id("case", pk)
    with pytest.raises(ValueError):
        public_id("no_such_kind", 1)


def test_every_altered_token_is_refused():
    token = public_id("case", 4242)
    altered = [token[:i] + c + token[i + 1 :] for i in range(TOKEN_LENGTH) for c in BASE32 if c != token[i]]
    assert len(altered) == TOKEN_LENGTH * 31
    assert [other for other in altered if _decodes("case", other)] == []
    for bad in (token.upper(), token[:-1], token + "a", "", "1" * TOKEN_LENGTH, "4242"):
        with pytest.raises(ValueError):
            primary_key("case", bad)


def test_a_token_of_one_kind_is_not_a_token_of_another():
    for kind in KINDS:
        token = public_id(kind, 7)
        assert [k for k in KINDS if k != kind and _decodes(k, token)] == []
    assert len({public_id(kind, 7) for kind in KINDS}) == len(KINDS)


def _decodes(kind: str, token: str) -> bool:
    try:
        primary_key(kind, token)
    except ValueError:
        return False
    return True


def test_consecutive_keys_give_unrelated_tokens():
    tokens = [public_id("case", pk) for pk in range(1, 2001)]
    assert len(set(tokens)) == len(tokens)
    # No shared prefix (random tokens share 2 characters one pair in a thousand) …
    shared = [
        next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y) for a, b in pairwise(tokens)
    ]
    assert max(shared) <= 3
    # … and no order: about half of the consecutive pairs go up, as for random strings.
    rising = sum(a < b for a, b in pairwise(tokens)) / (len(tokens) - 1)
    assert 0.45 < rising < 0.55


def test_another_key_gives_other_tokens_and_refuses_the_old_ones(settings):
    before = public_id("case", 12)
    settings.CMER_BLIND_INDEX_KEY = "another-index-key-0123456789abcdef0123456789"
    after = public_id("case", 12)
    assert after != before and primary_key("case", after) == 12
    with pytest.raises(ValueError):
        primary_key("case", before)


# --- over HTTP --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_urls_carry_the_token_and_nothing_else_resolves(world):
    case = make_case(world.a)
    client = persona_client(world, "coordinator")
    url = reverse("cases:detail", kwargs={"pk": case.pk})
    assert url == f"/situations/{public_id('case', case.pk)}/"
    assert client.get(url).status_code == 200
    token = public_id("case", case.pk)
    flipped = token[:5] + ("a" if token[5] != "a" else "b") + token[6:]
    for wrong in (f"/situations/{case.pk}/", f"/situations/{flipped}/", f"/situations/{token.upper()}/"):
        assert client.get(wrong).status_code == 404, wrong


@pytest.mark.django_db
def test_a_case_token_in_a_meeting_url_is_404(world):
    """Same number, wrong kind: the meeting exists and is visible, yet a case's token does not open it."""
    meeting = make_meeting(world.a)
    case = make_case(world.a)
    client = persona_client(world, "coordinator")
    assert client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).status_code == 200
    assert client.get(f"/reunions/{public_id('case', meeting.pk)}/").status_code == 404
    assert client.get(f"/situations/{public_id('meeting', case.pk)}/").status_code == 404
    assert client.get(f"/situations/{public_id('case', case.pk)}/").status_code == 200


@pytest.mark.django_db
def test_pages_link_to_objects_by_token_only(world):
    """No link, form action or fragment of these pages carries a number where an object is named."""
    meeting = make_meeting(world.a)
    item = make_item(world.a, meeting)
    client = persona_client(world, "coordinator")
    pages = [
        reverse("cases:list"),
        reverse("cases:detail", kwargs={"pk": item.case_id}),
        reverse("meetings:list"),
        reverse("meetings:detail", kwargs={"pk": meeting.pk}),
        reverse("accounts:members"),
    ]
    numeric = re.compile(r'(?:href|action)="[^"]*/\d+(?:/|\.pdf|#|")')
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert numeric.findall(body) == [], url
    detail = client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).content.decode()
    assert f'id="{item.anchor}"' in detail and f'id="item-{item.pk}"' not in detail
    assert reverse("meetings:item_remove", kwargs={"pk": item.pk}) in detail


@pytest.mark.django_db
def test_form_values_name_objects_by_token_only(world):
    """Select options, checkboxes and hidden inputs carry public ids too: a page holding the
    convocation list, the agenda's case select and the guest select shows no primary key, and a
    primary key posted in place of a token is an unknown choice that changes nothing."""
    convening = make_meeting(world.a, convened=False, in_window=False)
    held = make_meeting(world.a, in_window=False)
    make_item(world.a, held)  # an item, so the guest select and the uninvite inputs are shown
    waiting = make_case(world.a, "to_review")
    client = persona_client(world, "coordinator")
    pages = {
        "convening": client.get(reverse("meetings:detail", kwargs={"pk": convening.pk})).content.decode(),
        "held": client.get(reverse("meetings:detail", kwargs={"pk": held.pk})).content.decode(),
    }
    for name, body in pages.items():
        assert re.findall(r'value="\d+"', body) == [], name
    member = world.a.members["member"]
    assert f'value="{public_id("membership", member.pk)}"' in pages["convening"]
    assert f'value="{public_id("case", waiting.pk)}"' in pages["convening"]
    guest = world.a.members["guest"]
    assert f'value="{public_id("membership", guest.pk)}"' in pages["held"]

    add = reverse("meetings:item_add", kwargs={"pk": convening.pk})
    refused = client.post(add, {"case": waiting.pk})
    assert refused.status_code == 400 and refused.context["add_form"].errors["case"]
    assert not convening.items.exists()
    assert client.post(add, {"case": public_id("case", waiting.pk)}).status_code == 302
    assert list(convening.items.values_list("case_id", flat=True)) == [waiting.pk]
