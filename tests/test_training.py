"""Training: catalogue versions, sessions, attendance, certifications and the reporting gate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cmer.training.gate import has_valid_certification
from tests.factories_training import make_certification

pytestmark = pytest.mark.django_db


def test_gate_requires_a_current_unrevoked_certification(world):
    reporter = world.a.members["reporter"]
    assert not has_valid_certification(reporter)
    cert = make_certification(world.a, reporter.user)
    assert has_valid_certification(reporter)
    cert.revoked_at = timezone.now()
    cert.save()
    assert not has_valid_certification(reporter)


def test_gate_refuses_an_expired_certification(world):
    reporter = world.a.members["reporter"]
    today = timezone.localdate()
    make_certification(world.a, reporter.user, issued_on=today - timedelta(days=800), expires_on=today)
    assert not has_valid_certification(reporter)
    assert not has_valid_certification(None)
