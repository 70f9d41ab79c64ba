from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cmer.referrals.models import Referral
from tests.factories import certify, current_indicators, make_referral
from tests.matrix import CELL_MANAGERS, Row, audited

SUBMITTERS = CELL_MANAGERS | {"member", "reporter"}


def submit_data(w, c):  # type: ignore[no-untyped-def]
    """A complete valid signalement for cell c, its member and reporter certified."""
    certify(c)
    return referral_post_data()


def referral_post_data():  # type: ignore[no-untyped-def]
    """A complete valid signalement (one fact), with a fresh one-time key."""
    import secrets

    return {
        "last_name": "Matrice",
        "first_name": "Test",
        "birth_date": "2009-04-01",
        "sex": "X",
        "source": "school",
        "description": "Absences répétées depuis un mois.",
        "submission_key": secrets.token_urlsafe(24),
        "obs-TOTAL_FORMS": "1",
        "obs-INITIAL_FORMS": "0",
        "obs-MIN_NUM_FORMS": "0",
        "obs-MAX_NUM_FORMS": "10",
        "obs-0-indicator": str(current_indicators()[0].pk),
        "obs-0-observed_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "obs-0-mode": "direct",
        "obs-0-fact": "Absent en cours trois lundis de suite.",
    }


def _acknowledgement_of_the_new_referral(w, c, kw):  # type: ignore[no-untyped-def]
    return reverse("referrals:acknowledgement", kwargs={"pk": Referral.objects.latest("pk").pk})


ROWS = {
    "referrals:submit": Row(
        method="POST",
        allowed=SUBMITTERS,
        data=submit_data,
        redirect_to=_acknowledgement_of_the_new_referral,
        effect=audited("referral.submit"),
    ),
    "referrals:mine": Row(allowed=SUBMITTERS),
    # The receipt is its submitter's only: the object is made by cell c's reporter.
    "referrals:acknowledgement": Row(
        allowed=frozenset({"reporter"}),
        kwargs=lambda w, c: {"pk": make_referral(c, by=c.members["reporter"]).pk},
        refused=404,
    ),
}
