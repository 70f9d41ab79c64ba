"""The certification gate in the browser (issue #5, "Must show").

A reporter without a valid certification opens the signalement page: refused, with the reason and
whom to contact. A trainer creates a session, records the reporter's attendance and issues the
certification. The reporter reloads: the form is there, and the signalement goes through (after
the bias guard asked to rephrase or confirm a judgement word). axe-core runs on every page;
screenshots (CMER_SCREENSHOTS=1) go to artifacts/screenshots/training-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cmer.referrals.models import Referral
from cmer.training.gate import has_valid_certification
from cmer.training.models import Certification
from tests.e2e.conftest import a11y_problems, follow, signed_in_page
from tests.factories_training import make_provider


class Browser:
    def __init__(self, browser, live_server) -> None:  # type: ignore[no-untyped-def]
        self.browser, self.live_server, self.base = browser, live_server, live_server.url
        self.step = 0
        self.problems: list[str] = []

    def page_for(self, membership):  # type: ignore[no-untyped-def]
        return signed_in_page(self.browser, self.live_server, membership)

    def check(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        self.step += 1
        self.problems += a11y_problems(page, f"training-{self.step:02d}-{name}")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_reporter_needs_a_certification_that_a_trainer_issues(live_server, browser, world):
    make_provider("Institut de prévention Provence")
    reporter = world.a.members["reporter"]
    b = Browser(browser, live_server)

    # 1. Without a certification: refused, told why and whom to contact.
    agent = b.page_for(reporter)
    response = agent.goto("/signalements/nouveau/")
    assert response is not None and response.status == 403
    expect(agent.get_by_text("Habilitation requise pour signaler")).to_be_visible()
    expect(agent.get_by_text(world.a.user("trainer").email).first).to_be_visible()
    expect(agent.get_by_role("button", name="Envoyer le signalement")).to_have_count(0)
    b.check(agent, "refused")

    # 2. The trainer creates a session, records attendance, issues the certification.
    trainer = b.page_for(world.a.members["trainer"])
    assert trainer.goto("/formation/sessions/").status == 200
    trainer.get_by_label("Intitulé").fill("Repérer le faisceau d'indicateurs")
    trainer.get_by_label("Date").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    trainer.get_by_label("Lieu").fill("Salle du conseil municipal")
    trainer.get_by_label("Programme").fill("Le faisceau, les mises en garde, cas pratiques.")
    b.check(trainer, "sessions")
    follow(trainer, trainer.get_by_role("button", name="Créer la session"))
    expect(trainer.get_by_role("heading", name="Repérer le faisceau d'indicateurs")).to_be_visible()
    trainer.get_by_label("Personne présente").first.select_option(
        label=f"{reporter.user.get_full_name()} — Agent signalant"
    )
    follow(trainer, trainer.get_by_role("button", name="Enregistrer la présence"))
    expect(trainer.get_by_text("Présence enregistrée.")).to_be_visible()
    b.check(trainer, "attendance")
    form = trainer.locator("form", has=trainer.get_by_role("button", name="Délivrer l'habilitation"))
    form.get_by_label("Personne présente").select_option(label=reporter.user.get_full_name())
    follow(trainer, form.get_by_role("button", name="Délivrer l'habilitation"))
    expect(trainer.get_by_text("Habilitation délivrée.")).to_be_visible()
    b.check(trainer, "certified")
    cert = Certification.objects.get(user=reporter.user)
    assert cert.expires_on > timezone.localdate() + timedelta(days=700)
    assert has_valid_certification(reporter)

    # 3. The reporter reloads: the form is there and the signalement goes through.
    response = agent.goto("/signalements/nouveau/")
    assert response is not None and response.status == 200
    agent.get_by_label("Nom", exact=True).fill("Testeur")
    agent.get_by_label("Prénom").fill("Camille")
    agent.get_by_label("Date de naissance").fill("2008-05-04")
    agent.get_by_label("Description factuelle").fill(
        "Il est radicalisé : il ne vient plus au club depuis un mois."
    )
    agent.locator("#id_obs-0-indicator").select_option(index=1)
    agent.locator("#id_obs-0-observed_on").fill((timezone.localdate() - timedelta(days=3)).isoformat())
    agent.locator("#id_obs-0-fact").fill("Absent aux trois derniers entraînements du club de football.")
    b.check(agent, "form")
    follow(agent, agent.get_by_role("button", name="Envoyer le signalement"))
    if agent.get_by_text("est un jugement, pas un fait").count():
        # The bias guard: warned, the writer rephrases into an observed fact.
        b.check(agent, "bias-warning")
        agent.get_by_label("Description factuelle").fill("Ne vient plus au club de football depuis un mois.")
        follow(agent, agent.get_by_role("button", name="Envoyer le signalement"))
    assert Referral.objects.filter(submitted_by=reporter).count() == 1
    b.check(agent, "acknowledged")

    # 4. The other training pages, for accessibility: self-study, draft, expiring list, bias counts.
    assert agent.goto("/formation/").status == 200
    expect(agent.get_by_text("La conversion n'est pas, en soi, un signe de radicalisation.")).to_be_visible()
    b.check(agent, "self-study")
    for path, name in (
        ("/formation/catalogue/brouillon/", "draft"),
        ("/formation/habilitations/a-renouveler/", "expiring"),
        ("/formation/vigilance-redaction/", "bias-counts"),
    ):
        assert trainer.goto(path).status == 200, path
        b.check(trainer, name)
    trainer.goto("/formation/catalogue/brouillon/")
    follow(trainer, trainer.get_by_role("button", name="Créer un brouillon"))
    b.check(trainer, "draft-created")
    trainer.goto("/formation/catalogue/brouillon/indicateur/")
    b.check(trainer, "indicator-form")
    assert not b.problems, "\n".join(b.problems)
